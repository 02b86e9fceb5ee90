"""`preview reap`: classify, tear down orphans, delete their strays, verify, hand slots on.

The reaper only tears down stacks whose PR is closed or whose `expiresAt` has passed, so it never
touches a live PR's preview.

Strays. Resources tagged `preview:pr=<N>` for which no `pr-<N>` stack exists (stack removed by
hand, crashed first deploy) are deleted by ARN through `StrayDeleter`, and only when PR N is an
orphan by the same rule; resources of live PRs and untagged ones are never handed to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from components import naming
from contracts.errors import PreviewError
from preview.domain import ReapResult, ReapRow, TaggedResource
from preview.live import describe, preview_stacks
from preview.ports import Deps
from preview.queue import dequeue
from preview.teardown import teardown
from preview.warm import reclaim

VERIFY_ATTEMPTS = 4
VERIFY_DELAY_S = 15.0


@dataclass(frozen=True)
class _Scan:
    """What the reaper found: rows for kept previews, orphans to reap, the tagged resources."""

    rows: list[ReapRow]
    targets: list[tuple[int, str]]  # (pr, why it is an orphan)
    stray: set[int]  # orphan candidates that have tagged resources but no stack
    tagged: list[TaggedResource]
    open_prs: frozenset[int] = frozenset()


def reap(deps: Deps, *, dry_run: bool = False) -> ReapResult:
    scan = _classify(deps)
    rows = list(scan.rows)
    failed = _destroy(deps, scan.targets, rows, dry_run)
    # Only PRs without a stack: a stack's own resources go with its destroy, and a failed
    # teardown is left for the re-run rather than deleting from under Pulumi's state.
    stray_targets = {pr for pr, _ in scan.targets if pr in scan.stray} - failed
    reported = _delete_strays(deps, scan.tagged, stray_targets, rows, dry_run)
    leftovers: list[TaggedResource] = []
    if not dry_run:
        # After teardown: a slot whose PR closed (or whose lease lapsed) is retired, never reused.
        for s in reclaim(deps, set(scan.open_prs)):
            rows.append(ReapRow(s.claim_pr or 0, "-", "pool slot of an orphan", "retired", s.slot))
    if not dry_run and scan.targets:
        leftovers = _verify(deps, {pr for pr, _ in scan.targets}, reported, rows)
        for d in dequeue(deps):
            rows.append(ReapRow(d.pr, "-", "queued, a slot freed", "re-run", f"run {d.run_id}"))
    return ReapResult(rows=sorted(rows, key=lambda r: (r.pr, r.action)), leftovers=leftovers)


def _orphan_reason(pr: int, open_prs: set[int], expires_at: datetime | None, now: datetime) -> str:
    if pr not in open_prs:
        return "PR closed"
    if expires_at is not None and expires_at <= now:
        return f"expired {expires_at:%Y-%m-%d %H:%M}"
    return ""


def _classify(deps: Deps) -> _Scan:
    now = deps.now()
    open_prs = deps.reporter.open_prs()
    stacks = {naming.parse_stack(s.name).pr or 0: s for s in preview_stacks(deps)}
    tagged = deps.tagged.find()
    tagged_expiry: dict[int, datetime] = {}
    for r in tagged:
        if r.pr is not None and r.expires_at is not None:
            tagged_expiry[r.pr] = min(r.expires_at, tagged_expiry.get(r.pr, r.expires_at))
    rows: list[ReapRow] = []
    targets: list[tuple[int, str]] = []
    for pr, summary in sorted(stacks.items()):
        expires = describe(deps, summary).expires_at or tagged_expiry.get(pr)
        reason = _orphan_reason(pr, open_prs, expires, now)
        if not reason:
            rows.append(ReapRow(pr, summary.name, "PR open, not expired", "keep"))
        else:
            targets.append((pr, reason))
    stray = {r.pr for r in tagged if r.pr is not None and r.pr not in stacks}
    for pr in sorted(stray):
        reason = _orphan_reason(pr, open_prs, tagged_expiry.get(pr), now)
        if reason:
            targets.append((pr, f"{reason}; resources without a stack"))
    return _Scan(rows, targets, stray, tagged, frozenset(open_prs))


def _destroy(
    deps: Deps, targets: list[tuple[int, str]], rows: list[ReapRow], dry_run: bool
) -> set[int]:
    """Tear every orphan down; returns the PRs whose teardown failed (left for the re-run)."""
    failed: set[int] = set()
    for pr, reason in targets:
        stack = naming.stack_name(pr)
        if dry_run:
            rows.append(ReapRow(pr, stack, reason, "would destroy"))
            continue
        try:
            teardown(deps, pr, reason=f"removed by the reaper: {reason}")
            rows.append(ReapRow(pr, stack, reason, "destroyed"))
        except PreviewError as exc:
            failed.add(pr)
            rows.append(ReapRow(pr, stack, reason, "failed", exc.message))
    return failed


def _delete_strays(
    deps: Deps,
    tagged: list[TaggedResource],
    prs: set[int],
    rows: list[ReapRow],
    dry_run: bool,
) -> set[str]:
    """Delete the stack-less resources of orphan PRs; returns the ARNs already reported."""
    reported: set[str] = set()
    if not prs:
        return reported
    doomed = [r for r in tagged if r.pr in prs]
    for o in deps.strays.delete(doomed, dry_run=dry_run):
        detail = f"{o.resource.arn}: {o.detail}" if o.detail else o.resource.arn
        rows.append(ReapRow(o.resource.pr or 0, "-", "resource without a stack", o.action, detail))
        if o.action in ("manual", "failed"):
            reported.add(o.resource.arn)
    return reported


def _verify(
    deps: Deps, reaped: set[int], reported: set[str], rows: list[ReapRow]
) -> list[TaggedResource]:
    """What is still tagged with a reaped PR after teardown: listed as `stray` rows."""
    leftovers: list[TaggedResource] = []
    # The tagging index trails deletions by a little: look again before calling it a leftover.
    for attempt in range(VERIFY_ATTEMPTS):
        leftovers = [r for r in deps.tagged.find() if r.pr in reaped]
        if not leftovers or attempt == VERIFY_ATTEMPTS - 1:
            break
        deps.sleep(VERIFY_DELAY_S)
    for r in leftovers:
        if r.arn not in reported:  # already listed as manual or failed, with the reason
            rows.append(ReapRow(r.pr or 0, "-", "still tagged after teardown", "stray", r.arn))
    return leftovers
