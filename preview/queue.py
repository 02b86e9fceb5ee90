"""The queue of PRs waiting for a preview slot. GitHub holds it (the CLI keeps no state).

A queued PR gets the label `preview:queued` and its comment records when it was first queued
and the workflow run that asked. Whenever a slot may have freed (`down`, `reap` after
destroying), `dequeue` re-runs the recorded runs of the oldest open queued PRs, one per free
slot; the re-run `up` deploys and drops the label. Dequeuing never fails the command that freed
the slot: a refusal is a warning and the PR stays labelled, so the next freed slot retries it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.errors import PreviewError
from preview.domain import Dequeued
from preview.live import preview_stacks
from preview.ports import Deps
from preview.report import QueueEntry


def enqueue(deps: Deps, pr: int) -> QueueEntry:
    """Label the PR and make its queue record; a PR queued before keeps its place."""
    prior = deps.reporter.queue_entry(pr)
    deps.reporter.set_queued(pr, True)
    queued_at = prior.queued_at if prior else deps.now().replace(microsecond=0)
    # The newest push's run is the one worth re-running: an older one would be superseded.
    return QueueEntry(queued_at, deps.settings.run_id or (prior.run_id if prior else None))


def unqueue(deps: Deps, pr: int) -> None:
    """Drop the queue label; a stale label only costs a needless re-run, so it never fails."""
    try:
        deps.reporter.set_queued(pr, False)
    except PreviewError as exc:
        deps.out(f"warning: could not drop the queue label of pr-{pr}: {exc.message}")


def dequeue(deps: Deps) -> list[Dequeued]:
    """Re-run the workflows of the oldest open queued PRs, one per free slot. Never raises."""
    reporter = deps.reporter
    try:
        queued = reporter.queued()
        free = deps.settings.cap - len(preview_stacks(deps)) if queued else 0
    except PreviewError as exc:
        deps.out(f"warning: could not read the preview queue: {exc.message}")
        return []
    oldest = datetime.max.replace(tzinfo=UTC)
    started: list[Dequeued] = []
    for q in sorted(queued, key=lambda q: (q.entry.queued_at if q.entry else oldest, q.pr)):
        try:
            if not q.open:
                reporter.set_queued(q.pr, False)  # closed while waiting: no longer wanted
                continue
            if len(started) >= free:
                break
            recorded = q.entry.run_id if q.entry else None
            run_id = reporter.rerun(q.pr, recorded, deps.settings.workflow)
        except PreviewError as exc:
            deps.out(f"warning: pr-{q.pr} stays queued: {exc.message} ({exc.hint})")
            continue
        deps.out(f"pr-{q.pr}: a preview slot is free; re-running workflow run {run_id}")
        started.append(Dequeued(q.pr, run_id, q.entry.queued_at if q.entry else None))
    return started
