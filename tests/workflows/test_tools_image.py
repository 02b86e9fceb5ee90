"""Dockerfile.tools agrees with the smoke state machine that runs it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from smoke.definition import SmokeTargets

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile.tools").read_text()


def test_entrypoint_is_the_preview_command() -> None:
    """The state machine's ECS override is the bare subcommand, so the entrypoint is `preview`."""
    assert 'ENTRYPOINT ["preview"]' in DOCKERFILE
    assert tuple(SmokeTargets.__dataclass_fields__["command_prefix"].default) == ()


def test_search_spec_lands_where_sync_reads_it() -> None:
    """`preview sync --spec` gets the path the image copies the app's search spec to."""
    default_spec = SmokeTargets.__dataclass_fields__["sync_spec"].default
    assert re.search(rf"^COPY \$\{{SEARCH_SPEC\}} {re.escape(default_spec)}$", DOCKERFILE, re.M)
    source = re.search(r"^ARG SEARCH_SPEC=(\S+)$", DOCKERFILE, re.M)
    assert source and (ROOT / source.group(1)).is_file()


def test_every_package_is_copied() -> None:
    """Each top-level package pyproject installs is in the image (else `pip install .` drops it)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*") for p in patterns}
    copied = set(re.findall(r"^COPY (\w+)/ \1/$", DOCKERFILE, re.M))
    assert packages <= copied
