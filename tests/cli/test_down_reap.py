"""Fault matrix for `down` and `reap`: they converge and never touch a live PR's stack."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from contracts.errors import LOCKED, PreviewError, UnavailableError
from preview.domain import TaggedResource
from preview.down import down
from preview.locking import holder_gone
from preview.ports import Deps
from preview.reap import reap
from tests.cli.fakes import Clock, FakeAutomation, FakeIndices, FakeReporter, FakeTagged

LIVE = ("pr-7", "pr-8")


def _inject(auto: FakeAutomation, fault: str, stack: str) -> None:
    if fault == "lock-held-then-released":
        auto.hold_lock(stack, release_after_polls=3)
    elif fault == "lock-stale":
        auto.hold_lock(stack, age=timedelta(hours=5))
    elif fault == "lock-dead-pid-this-host":
        auto.hold_lock(stack, host="runner-here", pid=999_999)
    elif fault.startswith("transient-"):
        op, k = fault.split("-")[1], int(fault.split("-")[2])
        auto.transient[(op, stack)] = k
    elif fault == "destroy-halfway":
        auto.halfway[stack] = 1
    elif fault == "destroy-halfway-twice":
        auto.halfway[stack] = 2
    elif fault == "remove-fails":
        auto.permanent[("remove", stack)] = 1
    elif fault == "stack-already-gone":
        del auto.stacks[stack]


FAULTS = [
    "none",
    "lock-held-then-released",
    "lock-stale",
    "lock-dead-pid-this-host",
    "transient-refresh-3",
    "transient-destroy-4",
    "transient-remove-2",
    "transient-destroy-9",  # more than the retries: the first run fails, the second converges
    "destroy-halfway",
    "destroy-halfway-twice",
    "remove-fails",
    "stack-already-gone",
]


def _world(clock: Clock) -> FakeAutomation:
    auto = FakeAutomation(clock)
    for name in ("pr-3", *LIVE):
        auto.add(name, expires=clock.now() + timedelta(days=1))
    auto.add("staging")
    return auto


def _untouched(before: FakeAutomation, after: FakeAutomation, names: tuple[str, ...]) -> None:
    for name in names:
        assert after.stacks[name] == before.stacks[name]
        assert not [c for c in after.calls if c[1] == name and c[0] not in ("config", "outputs")]


@pytest.mark.parametrize("fault", FAULTS)
def test_down_converges_on_rerun(fault: str, clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """Whatever fails half-way, re-running `down` (once per hard failure) leaves nothing behind."""
    auto = _world(clock)
    _inject(auto, fault, "pr-3")
    deps = make_deps(automation=auto)
    for _ in range(3):
        try:
            down(deps, 3)
            break
        except PreviewError:
            continue
    assert "pr-3" not in auto.stacks
    assert not [r for r in auto.tagged() if r.pr == 3]


@pytest.mark.parametrize("fault", FAULTS)
def test_down_never_touches_other_stacks(
    fault: str, clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """Tearing down pr-3 under any fault leaves live previews and staging exactly as they were."""
    auto = _world(clock)
    _inject(auto, fault, "pr-3")
    before = copy.deepcopy(auto)
    deps = make_deps(automation=auto)
    for _ in range(2):
        with contextlib.suppress(PreviewError):
            down(deps, 3)
    _untouched(before, auto, (*LIVE, "staging"))


def test_down_never_breaks_a_live_fresh_lock(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """A lock whose holder is alive and younger than lock_stale_s is waited for, then exit 4."""
    auto = _world(clock)
    auto.hold_lock("pr-3", host="runner-b", age=timedelta(minutes=10))
    deps = make_deps(automation=auto)
    with pytest.raises(PreviewError) as err:
        down(deps, 3)
    assert err.value.exit_code == LOCKED
    assert auto.broken == [] and "pr-3" in auto.stacks
    assert ("destroy", "pr-3") not in auto.calls


def test_lock_on_this_host_with_live_pid_is_not_broken(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """Same host is not enough to break a lock: the holder's pid must also be gone."""
    auto = _world(clock)
    auto.hold_lock("pr-3", host="runner-here", pid=1)
    deps = make_deps(automation=auto, pid_alive=lambda pid: pid == 1)
    with pytest.raises(PreviewError):
        down(deps, 3)
    assert auto.broken == []


@pytest.mark.parametrize(
    ("host", "age_h", "pid_alive", "gone"),
    [
        ("runner-here", 0.1, False, True),  # our host, process dead
        ("runner-here", 0.1, True, False),  # our host, process alive
        ("runner-b", 0.1, False, False),  # other host: a pid there tells us nothing
        ("runner-b", 3.9, True, False),  # under lock_stale_s (4 h)
        ("runner-b", 4.1, True, True),  # over lock_stale_s: the CI job was killed long ago
    ],
)
def test_lock_breaking_rule(
    host: str,
    age_h: float,
    pid_alive: bool,
    gone: bool,
    clock: Clock,
    make_deps: Callable[..., Deps],
) -> None:
    """holder_gone is exactly: (same host and pid dead) or (older than lock_stale_s)."""
    auto = FakeAutomation(clock)
    auto.hold_lock("pr-1", host=host, age=timedelta(hours=age_h))
    deps = make_deps(automation=auto, pid_alive=lambda pid: pid_alive)
    assert holder_gone(deps, auto.locks["pr-1"].info) is gone


def test_down_reports_each_step_and_marks_deployment_inactive(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """down deletes the PR's indices, deactivates the deployment and ends on a 'removed' comment."""
    auto = _world(clock)
    deps = make_deps(automation=auto)
    down(deps, 3)
    reporter = deps.reporter
    assert isinstance(reporter, FakeReporter)
    assert reporter.states[3] == ["inactive"]
    assert "removed" in reporter.comments[3][-1]
    assert deps.indices.deleted == [3]  # type: ignore[union-attr]


def test_indices_are_deleted_while_the_stack_still_exists(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """The cleanup runs in the preview's own tools task, so it is started before the destroy,
    with the live stack's outputs (its state machine)."""
    auto = _world(clock)
    auto.stacks["pr-3"].outputs["stateMachineArn"] = "arn:aws:states:::stateMachine:pp-pr-3-smoke"
    seen: list[tuple[bool, str]] = []

    class Cleanup(FakeIndices):
        def delete(self, pr: int, outputs: Any) -> int | None:
            seen.append(("pr-3" in auto.stacks, outputs.get("stateMachineArn", "")))
            return 2

    down(make_deps(automation=auto, indices=Cleanup()), 3)
    assert seen == [(True, "arn:aws:states:::stateMachine:pp-pr-3-smoke")]
    assert "pr-3" not in auto.stacks


def test_down_converges_when_the_index_cleanup_fails(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """A failed cleanup task never stops the teardown: the stack goes, the deployment turns
    inactive and the final comment says which indices were left and how to delete them."""
    auto = _world(clock)
    failing = FakeIndices(fail=UnavailableError("cleanup task exited with code 3", hint="x"))
    lines: list[str] = []
    deps = make_deps(automation=auto, indices=failing, out=lines.append)
    result = down(deps, 3)
    reporter = deps.reporter
    assert isinstance(reporter, FakeReporter)
    assert result.destroyed and "pr-3" not in auto.stacks and result.indices_deleted is None
    assert reporter.states[3] == ["inactive"]
    last = reporter.comments[3][-1]
    assert "removed" in last and "pr-3-*" in last and "preview sync --delete-prefix" in last
    assert any(line.startswith("warning: search indices pr-3-*") for line in lines)


def test_failed_down_says_so_in_the_pr(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """A teardown that stops half-way leaves a comment with the error and the re-run advice."""
    auto = _world(clock)
    auto.halfway["pr-3"] = 1
    deps = make_deps(automation=auto)
    with pytest.raises(PreviewError):
        down(deps, 3)
    last = deps.reporter.comments[3][-1]  # type: ignore[union-attr]
    assert "teardown stopped" in last and "preview down --pr 3" in last


# --- the reaper -------------------------------------------------------------------------------


def _reaper_world(clock: Clock) -> tuple[FakeAutomation, set[int], set[int], list[TaggedResource]]:
    """48 previews: open, closed, expired, half-destroyed, config-less; plus strays and staging."""
    auto = FakeAutomation(clock)
    now = clock.now()
    open_prs: set[int] = set()
    orphans: set[int] = set()
    for pr in range(1, 49):
        kind = pr % 6
        name = f"pr-{pr}"
        if kind == 0:  # open, fresh
            auto.add(name, expires=now + timedelta(hours=30))
            open_prs.add(pr)
        elif kind == 1:  # closed PR
            auto.add(name, expires=now + timedelta(hours=30))
            orphans.add(pr)
        elif kind == 2:  # open PR but TTL passed
            auto.add(name, expires=now - timedelta(minutes=1))
            open_prs.add(pr)
            orphans.add(pr)
        elif kind == 3:  # closed and half-destroyed by an earlier failed down
            auto.add(name, expires=now + timedelta(hours=1), resources=2)
            orphans.add(pr)
        elif kind == 4:  # open PR, stack without config yet (first up still running)
            auto.add(name, config=False)
            open_prs.add(pr)
        else:  # closed, expired, with an empty stack left by a failed remove
            auto.add(name, expires=now - timedelta(days=3), resources=0)
            orphans.add(pr)
    auto.add("staging")
    auto.add("prod")
    strays = [
        TaggedResource("arn:aws:sqs:us-east-1:1:pp-pr-90-q", 90, now - timedelta(hours=1)),
        TaggedResource("arn:aws:sqs:us-east-1:1:pp-pr-91-q", 91, now + timedelta(days=1)),
    ]
    open_prs.add(91)  # stray of an open PR: its first deploy is under way, keep it
    return auto, open_prs, orphans, strays


def test_reaper_finds_every_orphan(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """Dry run: orphans are exactly the closed or expired previews plus strays of closed PRs."""
    auto, open_prs, orphans, strays = _reaper_world(clock)
    deps = make_deps(
        automation=auto, reporter=FakeReporter(open_prs), tagged=FakeTagged(auto, strays)
    )
    result = reap(deps, dry_run=True)
    assert result.orphans == orphans | {90}
    assert not [c for c in auto.calls if c[0] in ("refresh", "destroy", "remove", "up")]


def test_reaper_destroys_orphans_and_spares_live_previews(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """After a reap, only open unexpired previews and long-lived stacks remain, untouched."""
    auto, open_prs, orphans, strays = _reaper_world(clock)
    before = copy.deepcopy(auto)
    deps = make_deps(
        automation=auto, reporter=FakeReporter(open_prs), tagged=FakeTagged(auto, strays)
    )
    reap(deps)
    live = {f"pr-{pr}" for pr in range(1, 49) if pr not in orphans}
    assert set(auto.stacks) == live | {"staging", "prod"}
    _untouched(before, auto, tuple(live | {"staging", "prod"}))


def test_reaper_reports_tagged_leftovers(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """A tagged resource of a closed PR that no stack owns is listed as a stray, not hidden."""
    auto, open_prs, _, strays = _reaper_world(clock)
    deps = make_deps(
        automation=auto, reporter=FakeReporter(open_prs), tagged=FakeTagged(auto, strays)
    )
    result = reap(deps)
    assert [r.arn for r in result.leftovers] == ["arn:aws:sqs:us-east-1:1:pp-pr-90-q"]
    assert any(r.action == "stray" and r.pr == 90 for r in result.rows)


@pytest.mark.parametrize("fault", FAULTS)
def test_reap_converges_under_faults(
    fault: str, clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """With a fault on a closed PR's stack, re-run reaps remove it; live ones stay intact, and
    the stray deleter is never handed a resource a stack still owns."""
    auto = _world(clock)
    _inject(auto, fault, "pr-3")
    before = copy.deepcopy(auto)
    deps = make_deps(automation=auto, reporter=FakeReporter(set(map(int, (s[3:] for s in LIVE)))))
    tagged = FakeTagged(auto)
    deps = replace(deps, tagged=tagged, strays=tagged)
    for _ in range(3):
        result = reap(deps)
        if not any(r.action in ("failed", "stray") for r in result.rows):
            break
    assert "pr-3" not in auto.stacks
    assert tagged.deleted == []  # a stack's resources go with its destroy, never by ARN
    _untouched(before, auto, (*LIVE, "staging"))


class LaggingTagged(FakeTagged):
    """The tagging index still lists a destroyed stack's resources for the first `lag` reads."""

    def __init__(self, automation: FakeAutomation, lag: int) -> None:
        super().__init__(automation)
        self.lag = lag
        self.snapshot = automation.tagged()

    def find(self) -> list[TaggedResource]:
        self.lag -= 1
        return self.snapshot if self.lag >= 0 else super().find()


def test_reaper_waits_out_tagging_lag(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """Resources the tagging index lists for a moment after teardown are not called leftovers."""
    auto = _world(clock)
    deps = make_deps(automation=auto, reporter=FakeReporter({7, 8}))
    # first read by the scan, two stale after teardown
    deps = replace(deps, tagged=LaggingTagged(auto, lag=3))
    result = reap(deps)
    assert result.leftovers == [] and "pr-3" not in auto.stacks


def _stray_world(clock: Clock, make_deps: Callable[..., Deps]) -> tuple[Deps, FakeTagged]:
    """The reaper world whose tagging double also deletes the strays handed to it."""
    auto, open_prs, _, strays = _reaper_world(clock)
    tagged = FakeTagged(auto, strays)
    deps = make_deps(automation=auto, reporter=FakeReporter(open_prs), tagged=tagged, strays=tagged)
    return deps, tagged


def test_reaper_deletes_strays_of_orphans_only(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """The closed PR's stack-less resource is deleted; the open PR's stray is never handed over."""
    deps, tagged = _stray_world(clock, make_deps)
    result = reap(deps)
    assert tagged.deleted == ["arn:aws:sqs:us-east-1:1:pp-pr-90-q"]
    assert [r.arn for r in tagged.strays] == ["arn:aws:sqs:us-east-1:1:pp-pr-91-q"]
    assert result.leftovers == []
    assert not [r for r in result.rows if r.action in ("failed", "stray", "manual")]
    assert any(r.action == "deleted" and r.detail.endswith("pp-pr-90-q") for r in result.rows)


def test_reaper_dry_run_lists_strays_as_would_delete(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """--dry-run: each stray ARN of an orphan is a `would delete` row, and nothing is deleted."""
    deps, tagged = _stray_world(clock, make_deps)
    result = reap(deps, dry_run=True)
    assert tagged.deleted == [] and len(tagged.strays) == 2
    rows = [(r.pr, r.action, r.detail) for r in result.rows if r.stack == "-"]
    assert rows == [(90, "would delete", "arn:aws:sqs:us-east-1:1:pp-pr-90-q")]


def test_reaper_lists_undeletable_strays_once_and_converges(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """A type without a handler is `manual` (not also `stray`); a failed delete is retried by
    the next reap, which then leaves nothing of the PR behind."""
    auto = _world(clock)
    manual = TaggedResource("arn:aws:unknown:us-east-1:1:thing/pp-pr-5", 5, None)
    flaky = TaggedResource("arn:aws:ec2:us-east-1:1:security-group/sg-5", 5, None)
    tagged = FakeTagged(auto, [manual, flaky])
    tagged.fail[flaky.arn] = 1
    deps = make_deps(automation=auto, reporter=FakeReporter({7, 8}), tagged=tagged, strays=tagged)
    first = reap(deps)
    actions = {r.detail.split(": ")[0]: r.action for r in first.rows if r.stack == "-"}
    assert actions == {manual.arn: "manual", flaky.arn: "failed"}
    second = reap(deps)
    assert [r.arn for r in second.leftovers] == [manual.arn]
    assert tagged.deleted == [flaky.arn]
    assert "pr-3" not in auto.stacks and {"pr-7", "pr-8", "staging"} <= set(auto.stacks)
