"""What the pipelines tell the PR: the sticky comment (also the job summary), the deployment
status, and whether a newer push superseded this run.

Error text can quote anything a tool printed, tokens included, so the body is masked
(`preview.console.redact`) before it leaves.
"""

from __future__ import annotations

from preview.console import redact
from preview.ports import Deps
from preview.report import ReportState, render


def post(deps: Deps, state: ReportState) -> str:
    """Render `state` into the PR comment and, once final, the job summary; returns the body."""
    body = redact(render(state))
    deps.reporter.comment(state.pr, body)
    summary = deps.settings.step_summary
    if summary is not None and state.status not in ("deploying", "removing"):
        with summary.open("a", encoding="utf-8") as fh:
            fh.write(body + "\n")
    return body


def deployment(deps: Deps, pr: int, sha: str, state: str, url: str = "") -> None:
    deps.reporter.deployment(pr, sha, state, url=url, logs_url=deps.settings.run_url)


def superseded(deps: Deps, pr: int, sha: str) -> bool:
    """A newer push is the PR's head: this run must not deploy (the newer one always wins)."""
    head = deps.reporter.head_sha(pr)
    if head and not head.startswith(sha) and not sha.startswith(head):
        deps.out(f"pr-{pr}: {sha[:12]} is superseded by the newer push {head[:12]}; not deploying")
        return True
    return False
