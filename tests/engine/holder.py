"""A second process that holds a stack's lock: it runs `up` with a program that blocks.

    python -m tests.engine.holder <backend url> <stack> <started file> <release file>

The program writes <started file> once it runs (the CLI has taken the lock by then) and blocks
until <release file> exists. The environment carries the passphrase, PULUMI_HOME and AWS keys.
Killing this process group with SIGKILL leaves the lock behind, as a runner killed mid-update
does.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pulumi

from preview.automation import PulumiAutomation


def main(backend_url: str, stack: str, started: str, release: str) -> None:
    def program() -> None:
        Path(started).write_text("running\n")
        deadline = time.monotonic() + 300  # never outlive a test run
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        pulumi.export("heldBy", "holder")

    import os

    env = {k: v for k, v in os.environ.items() if k.startswith(("PULUMI_", "AWS_"))}
    automation = PulumiAutomation(
        work_dir=Path("."),
        project="preview-platform",
        backend_url=backend_url,
        env=env,
        program=program,
    )
    automation.up(stack, {"holder": "yes"}, lambda line: None)


if __name__ == "__main__":
    main(*sys.argv[1:5])
