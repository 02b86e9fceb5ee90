"""The queue at the cap, end to end through real PyGithub against the local GitHub double."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from contracts.errors import CAPPED, PreviewError, UnavailableError
from preview.down import down
from preview.github import QUEUE_LABEL, GitHubReporter
from preview.ports import Deps
from preview.reap import reap
from preview.report import queue_entry
from preview.settings import Settings
from preview.up import up
from tests.cli.fakes import Clock, FakeAutomation, FakeIndices, FakeTagged
from tests.cli.github_double import GitHubDouble

TOKEN = "ghp_queueTOKEN0123456789abcdefABCDEF0123"
LIVE = range(1, 6)  # cap is 5 (conftest): pr-1..pr-5 fill it


def sha(pr: int) -> str:
    return f"{pr:02d}" * 20


@pytest.fixture
def gh() -> Iterator[GitHubDouble]:
    with GitHubDouble(token=TOKEN) as double:
        for pr in [*LIVE, 20, 21, 22]:
            double.open_pr(pr, sha(pr))
        yield double


@pytest.fixture
def auto(clock: Clock) -> FakeAutomation:
    a = FakeAutomation(clock)
    for pr in LIVE:
        a.add(f"pr-{pr}", expires=clock.now() + timedelta(days=2))
    return a


@pytest.fixture
def world(
    gh: GitHubDouble, auto: FakeAutomation, clock: Clock, make_deps: Callable[..., Deps]
) -> Callable[..., Deps]:
    """Deps over the double; `run_id` plays GITHUB_RUN_ID of the calling workflow run."""
    reporter = GitHubReporter(
        token=TOKEN, repository="acme/shop", base_url=gh.url, throttle=False, backoff_s=0.01
    )

    def make(run_id: int | None = None, **overrides: object) -> Deps:
        settings: Settings = make_deps().settings.model_copy(update={"run_id": run_id})
        return make_deps(automation=auto, reporter=reporter, settings=settings, **overrides)

    return make


def queue(world: Callable[..., Deps], clock: Clock, pr: int, run_id: int | None) -> None:
    """`preview up` of a new PR at the cap (the PR's run `run_id` exists on GitHub)."""
    with pytest.raises(PreviewError) as err:
        up(world(run_id), pr, sha(pr))
    assert err.value.exit_code == CAPPED
    clock.sleep(60)


def test_up_at_the_cap_labels_the_pr_and_records_the_run(
    gh: GitHubDouble, clock: Clock, world: Callable[..., Deps]
) -> None:
    """Queued: label (created in the repository), the run id and time in the one comment, and
    the comment says it deploys by itself."""
    queued_at = clock.now()
    queue(world, clock, 20, 501)
    assert gh.labels_of(20) == [QUEUE_LABEL] and QUEUE_LABEL in gh.state.labels
    [comment] = gh.comments_on(20)
    entry = queue_entry(comment["body"])
    assert entry is not None and (entry.queued_at, entry.run_id) == (queued_at, 501)
    assert "deploys automatically when a preview slot frees" in comment["body"]


def test_a_new_push_keeps_the_place_and_records_the_newer_run(
    gh: GitHubDouble, clock: Clock, world: Callable[..., Deps]
) -> None:
    """A queued PR pushed again keeps its queued-at time; its newest run is the one re-run."""
    first = clock.now()
    queue(world, clock, 20, 501)
    queue(world, clock, 20, 502)
    entry = queue_entry(gh.comments_on(20)[0]["body"])
    assert entry is not None and (entry.queued_at, entry.run_id) == (first, 502)
    assert len(gh.comments_on(20)) == 1


def test_down_reruns_exactly_the_oldest_open_queued_pr(
    gh: GitHubDouble, clock: Clock, world: Callable[..., Deps]
) -> None:
    """One slot frees: the oldest queued PR that is still open is re-run, not the closed one
    before it and not the younger one after it; the closed one loses its label."""
    for pr, run in ((20, 520), (21, 521), (22, 522)):
        gh.add_run(pr, run)
        queue(world, clock, pr, run)
    gh.open_pr(20, sha(20), state="closed")
    lines: list[str] = []
    result = down(world(out=lines.append), 1)
    assert gh.state.reruns == [521]
    assert [(d.pr, d.run_id) for d in result.dequeued] == [(21, 521)]
    assert gh.labels_of(20) == [] and gh.labels_of(22) == [QUEUE_LABEL]
    assert any("pr-21" in line and "521" in line for line in lines)


def test_a_failed_index_cleanup_still_hands_the_slot_on(
    gh: GitHubDouble, clock: Clock, world: Callable[..., Deps]
) -> None:
    """`down` whose in-VPC index cleanup fails still re-runs the oldest queued PR."""
    gh.add_run(21, 521)
    queue(world, clock, 21, 521)
    failing = FakeIndices(fail=UnavailableError("cleanup failed", hint="x"))
    result = down(world(indices=failing), 1)
    assert gh.state.reruns == [521] and [d.pr for d in result.dequeued] == [21]


def test_reap_freeing_two_slots_reruns_two(
    gh: GitHubDouble, auto: FakeAutomation, clock: Clock, world: Callable[..., Deps]
) -> None:
    """The reaper destroys two closed PRs' previews and re-runs the two oldest queued PRs;
    each re-run is a row of the table."""
    for pr, run in ((20, 520), (21, 521), (22, 522)):
        gh.add_run(pr, run)
        queue(world, clock, pr, run)
    for pr in (1, 2):
        gh.open_pr(pr, sha(pr), state="closed")
    deps = world(tagged=FakeTagged(auto))
    result = reap(deps)
    assert gh.state.reruns == [520, 521]
    rerun_rows = [(r.pr, r.action, r.detail) for r in result.rows if r.action == "re-run"]
    assert rerun_rows == [(20, "re-run", "run 520"), (21, "re-run", "run 521")]
    assert result.orphans == {1, 2}


def test_reap_dry_run_reruns_nothing(
    gh: GitHubDouble, auto: FakeAutomation, clock: Clock, world: Callable[..., Deps]
) -> None:
    """A dry run frees no slot, so it re-runs nothing."""
    gh.add_run(20, 520)
    queue(world, clock, 20, 520)
    gh.open_pr(1, sha(1), state="closed")
    reap(world(tagged=FakeTagged(auto)), dry_run=True)
    assert gh.state.reruns == [] and gh.labels_of(20) == [QUEUE_LABEL]


def test_refused_rerun_warns_keeps_the_label_and_down_succeeds(
    gh: GitHubDouble, auto: FakeAutomation, clock: Clock, world: Callable[..., Deps]
) -> None:
    """GitHub answering 403 to the re-run does not fail `down`: a warning, the label stays, so
    the next freed slot retries."""
    gh.add_run(20, 520)
    queue(world, clock, 20, 520)
    gh.fail("POST", r"/actions/runs/\d+/rerun$", 403, message="Resource not accessible")
    lines: list[str] = []
    result = down(world(out=lines.append), 1)
    assert result.destroyed and result.dequeued == () and "pr-1" not in auto.stacks
    assert gh.labels_of(20) == [QUEUE_LABEL]
    assert any(line.startswith("warning: pr-20 stays queued") for line in lines)


def test_without_a_recorded_run_the_latest_preview_run_of_the_head_is_rerun(
    gh: GitHubDouble, clock: Clock, world: Callable[..., Deps]
) -> None:
    """No GITHUB_RUN_ID when queued: the newest run of preview.yml for the PR's head commit is
    re-run, not another workflow's run."""
    gh.add_run(20, 610)
    gh.add_run(20, 611)
    gh.add_run(20, 612, path=".github/workflows/ci.yml")
    queue(world, clock, 20, None)
    down(world(), 1)
    assert gh.state.reruns == [611]


def test_rerun_up_deploys_and_drops_the_label(
    gh: GitHubDouble, auto: FakeAutomation, clock: Clock, world: Callable[..., Deps]
) -> None:
    """The re-run `up` of the queued PR finds a free slot, deploys, drops the label; the PR
    still has exactly one comment."""
    gh.add_run(20, 520)
    queue(world, clock, 20, 520)
    down(world(), 1)
    result = up(world(520), 20, sha(20))
    assert result.outcome == "deployed" and "pr-20" in auto.stacks
    assert gh.labels_of(20) == []
    [comment] = gh.comments_on(20)
    assert "ready" in comment["body"] and queue_entry(comment["body"]) is None
