"""The idempotent teardown of one preview, shared by `down`, `reap` and `up`'s eviction.

Every step (delete indices, refresh, destroy, remove, deactivate the deployment, update the
comment) tolerates having been done already; a missing stack counts as destroyed, and
transient failures are retried with backoff. Re-running after any partial failure finishes it.
Index deletion runs first (inside the VPC, through the stack's own state machine) and a failure
there is reported, never fatal.
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
    deleted: int | None = 0
    warnings: tuple[str, ...] = ()
    if exists:
        notify.post(deps, ReportState(pr=pr, status="removing", sha=sha, notes=(reason,)))
        deleted, warnings = _delete_indices(deps, pr, stack)
        _destroy(deps, pr, stack, sha)
    # Only now that nothing uses it: the slot is retired, and refill replaces it with a fresh one.
    for slot in retry(deps, f"release the pool slot of {stack}", lambda: warm.release(deps, pr)):
        deps.out(f"{stack}: pool slot {slot} released (retired; `preview pool refill` replaces it)")
    notify.deployment(deps, pr, sha, "inactive")
    notify.post(deps, ReportState(pr=pr, status="removed", sha=sha, notes=(reason, *warnings)))
    return DownResult(pr=pr, destroyed=exists, indices_deleted=deleted, warnings=warnings)


def _delete_indices(deps: Deps, pr: int, stack: str) -> tuple[int | None, tuple[str, ...]]:
    """Delete the PR's search indices before the destroy, from inside the VPC: the cleanup runs
    in the preview's own tools task (its state machine), which exists only while the stack does.
    The VPC-only domain never answers the runner this runs on. A failure is a warning in the
    PR, never a stop: the teardown still destroys, deactivates and hands the slot on."""
    prefix = naming.index_prefix(pr)
    try:
        outputs = deps.automation.outputs(stack)
        # A warm preview's are its pool slot's (stacks/preview.py).
        prefix = str(outputs.get(PreviewOut.INDEX_PREFIX) or prefix)
        return deps.indices.delete(pr, outputs), ()
    except Exception as exc:  # whatever broke, the preview must still go away
        why = exc.message if isinstance(exc, PreviewError) else f"{type(exc).__name__}: {exc}"
        warning = (
            f"search indices {prefix}* were not deleted ({why}); delete them from inside the "
            f"VPC: `preview sync --delete-prefix --prefix {prefix}`"
        )
        deps.out(f"warning: {warning}")
        return None, (warning,)


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
