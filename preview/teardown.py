"""The idempotent teardown of one preview, shared by `down`, `reap` and `up`'s eviction.

Every step (refresh, destroy, remove, delete indices, deactivate the deployment, update the
comment) tolerates having been done already; a missing stack counts as destroyed, and
transient failures are retried with backoff. Re-running after any partial failure finishes it.
"""

from __future__ import annotations

from components import naming
from contracts.errors import PreviewError
from contracts.outputs import PreviewOut
from preview import notify, warm
from preview.automation import StackNotFound
from preview.domain import DownResult
from preview.live import preview_stacks
from preview.locking import retry, wait_for_lock
from preview.ports import Deps
from preview.report import ReportState


def teardown(deps: Deps, pr: int, *, reason: str, stack: str | None = None) -> DownResult:
    stack = stack or naming.stack_name(pr)
    exists, sha = _existing(deps, stack)
    if exists:
        notify.post(deps, ReportState(pr=pr, status="removing", sha=sha, notes=(reason,)))
        _destroy(deps, pr, stack, sha)
    deleted = retry(
        deps,
        f"delete indices of {stack}",
        lambda: deps.indices.delete(naming.index_prefix(pr)),
    )
    # Only now that nothing uses it: the slot is retired, and refill replaces it with a fresh one.
    for slot in retry(deps, f"release the pool slot of {stack}", lambda: warm.release(deps, pr)):
        deps.out(f"{stack}: pool slot {slot} released (retired; `preview pool refill` replaces it)")
    notify.deployment(deps, pr, sha, "inactive")
    notify.post(deps, ReportState(pr=pr, status="removed", sha=sha, notes=(reason,)))
    return DownResult(pr=pr, destroyed=exists, indices_deleted=deleted)


def _existing(deps: Deps, stack: str) -> tuple[bool, str]:
    """Whether the stack exists, and the sha it was deployed at."""
    if not any(s.name == stack for s in preview_stacks(deps)):
        return False, ""
    try:
        # From outputs: a fresh CI runner has no stack config to read it from.
        return True, str(deps.automation.outputs(stack).get(PreviewOut.SHA, ""))
    except StackNotFound:
        return False, ""


def _destroy(deps: Deps, pr: int, stack: str, sha: str) -> None:
    """Refresh, destroy and remove the stack; a failure is shown in the PR, with the fix."""
    auto = deps.automation
    try:
        wait_for_lock(deps, stack)
        retry(deps, f"refresh {stack}", lambda: auto.refresh(stack, deps.out), stack)
        retry(deps, f"destroy {stack}", lambda: auto.destroy(stack, deps.out), stack)
        retry(deps, f"remove {stack}", lambda: auto.remove(stack), stack)
    except StackNotFound:
        pass  # removed by someone else meanwhile: that is the goal
    except PreviewError as exc:
        rerun = f"re-running `preview down --pr {pr}` finishes the job"
        exc.hint = f"{exc.hint}; {rerun}" if exc.hint else rerun
        failed = ReportState(
            pr=pr, status="failed", sha=sha, error=f"teardown stopped: {exc.message}", hint=exc.hint
        )
        notify.post(deps, failed)
        raise
