"""Run the `preview` entry point in-process, as a shell would: exit code, stdout, stderr."""

from __future__ import annotations

import pytest

from preview.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`preview <args>` through the real funnel (`preview.cli.main`), its output captured."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
