"""Security invariants of the GitHub Actions workflows, as checks that return violations.

Each check takes a parsed workflow (plus its raw text where comments matter) and returns a list
of human-readable violations, so the tests can prove both that our workflows are clean and that
each check catches the mistake it exists for.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"

# `uses: owner/repo[/path]@<40 hex> # v1.2.3`
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*\s*$")
_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(.+?)\s*$")
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
# Contexts an attacker can influence (titles, bodies, branch names, commit messages, inputs).
_UNTRUSTED = re.compile(r"github\.event\.|github\.head_ref|inputs\.|github\.event_name")


def load(path: Path) -> dict[str, Any]:
    """Parse a workflow. YAML 1.1 reads the key `on` as boolean True: map it back."""
    doc = yaml.safe_load(path.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return dict(doc)


def triggers(wf: dict[str, Any]) -> dict[str, Any]:
    on = wf.get("on", {})
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on)


def jobs(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(wf.get("jobs", {}))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def uses_action(job: dict[str, Any], action: str) -> bool:
    """A step of the job uses `action`, or the job calls a workflow of this repository
    (`uses: ./.github/workflows/<file>`) one of whose jobs does."""
    if any(str(s.get("uses", "")).startswith(action + "@") for s in steps(job)):
        return True
    called = str(job.get("uses", ""))
    if not called.startswith("./.github/workflows/"):
        return False
    wf = load(WORKFLOWS / called.rsplit("/", 1)[1])
    return any(uses_action(j, action) for j in jobs(wf).values())


def unpinned_actions(text: str) -> list[str]:
    """Every remote action is pinned by a full commit sha and says which version that is."""
    bad = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _USES_LINE.match(line)
        if not m:
            continue
        ref = m.group(1).strip("'\"")
        if ref.startswith("./") or ref.startswith("docker://"):
            continue
        if not _PINNED.match(ref):
            bad.append(f"line {n}: {ref!r} is not pinned as <owner/repo>@<40-hex sha> # vX.Y.Z")
    return bad


def runs_pr_code(job: dict[str, Any]) -> bool:
    """The job checks out the PR's head (its code then runs with the job's token)."""
    return any(
        str(s.get("uses", "")).startswith("actions/checkout@")
        and "pull_request.head" in str((s.get("with") or {}).get("ref", ""))
        for s in steps(job)
    )


def permission_violations(wf: dict[str, Any]) -> list[str]:
    """Top level grants nothing; each job says exactly what it needs. `actions: write` (re-running
    a queued PR's workflow run) only where no PR code is checked out: with it, PR code could
    re-run or cancel any run of the repository."""
    bad = []
    if wf.get("permissions") != {}:
        bad.append(f"top-level permissions must be {{}}, got {wf.get('permissions')!r}")
    for name, job in jobs(wf).items():
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            bad.append(f"job {name}: needs an explicit permissions map, got {perms!r}")
            continue
        if any(v == "write" for k, v in perms.items() if k in ("contents", "packages")):
            bad.append(f"job {name}: never needs write to contents/packages")
        if perms.get("actions") == "write" and runs_pr_code(job):
            bad.append(f"job {name}: actions: write in a job that checks out PR code")
    return bad


def id_token_violations(wf: dict[str, Any]) -> list[str]:
    """`id-token: write` exactly where a job assumes an AWS role, nowhere else."""
    bad = []
    for name, job in jobs(wf).items():
        has_token = (job.get("permissions") or {}).get("id-token") == "write"
        assumes = uses_action(job, "aws-actions/configure-aws-credentials")
        if has_token and not assumes:
            bad.append(f"job {name}: id-token: write without assuming a role")
        if assumes and not has_token:
            bad.append(f"job {name}: assumes a role without id-token: write")
    return bad


def dangerous_trigger_violations(wf: dict[str, Any]) -> list[str]:
    """No `pull_request_target`/`workflow_run`: they run with base-repo write tokens and secrets."""
    return [
        f"trigger {t} is forbidden"
        for t in triggers(wf)
        if t in ("pull_request_target", "workflow_run")
    ]


def run_expression_violations(wf: dict[str, Any]) -> list[str]:
    """No `${{ }}` inside `run:`; values reach the shell as env vars, so nothing is spliced."""
    bad = []
    for name, job in jobs(wf).items():
        for i, step in enumerate(steps(job)):
            for m in _EXPR.finditer(str(step.get("run", ""))):
                kind = "untrusted " if _UNTRUSTED.search(m.group(1)) else ""
                bad.append(f"job {name} step {i}: {kind}expression ${{{{{m.group(1)}}}}} in run:")
    return bad


def checkout_violations(wf: dict[str, Any]) -> list[str]:
    """Checkouts never leave the token in .git/config for later steps to find."""
    bad = []
    for name, job in jobs(wf).items():
        for step in steps(job):
            is_checkout = str(step.get("uses", "")).startswith("actions/checkout@")
            if is_checkout and (step.get("with") or {}).get("persist-credentials") is not False:
                bad.append(f"job {name}: checkout without persist-credentials: false")
    return bad


_SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"
_FORK = "github.event.pull_request.head.repo.full_name != github.repository"


def fork_guard_violations(wf: dict[str, Any]) -> list[str]:
    """On PR events, credentialed jobs run only for same-repo PRs; fork jobs get no credentials."""
    if "pull_request" not in triggers(wf):
        return []
    bad = []
    for name, job in jobs(wf).items():
        cond = " ".join(str(job.get("if", "")).split())
        perms = job.get("permissions") or {}
        credentialed = perms.get("id-token") == "write" or "secrets." in yaml.safe_dump(job)
        if credentialed and _SAME_REPO not in cond:
            bad.append(f"job {name}: credentialed job without the same-repo guard")
        if _FORK in cond:
            if credentialed or any(
                str(s.get("uses", "")).startswith("actions/checkout@") for s in steps(job)
            ):
                bad.append(f"job {name}: fork job must not check out code or hold credentials")
            if set(perms) - {"pull-requests"}:
                bad.append(f"job {name}: fork job needs pull-requests only, got {sorted(perms)}")
    return bad


def all_violations(path: Path) -> list[str]:
    wf = load(path)
    return [
        *unpinned_actions(path.read_text()),
        *permission_violations(wf),
        *id_token_violations(wf),
        *dangerous_trigger_violations(wf),
        *run_expression_violations(wf),
        *checkout_violations(wf),
        *fork_guard_violations(wf),
    ]
