"""`preview up`: plan, cap policy, racing pushes, smoke verdicts and what the PR sees."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from contracts.errors import CAPPED, SMOKE_FAILED, UNAVAILABLE, USAGE, PreviewError
from preview.domain import Extras
from preview.ports import Deps
from preview.report import MARKER, SmokeResult
from preview.settings import Settings
from preview.up import up
from tests.cli.conftest import REPO_ROOT
from tests.cli.fakes import Clock, FakeAutomation, FakeReporter, FakeSmoke

SHA1 = "1111111aaaaaaa"
SHA2 = "2222222bbbbbbb"


def test_up_sets_the_contract_config_over_the_template(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """The stack gets pr, sha, branch, expiresAt = now + TTL, and keeps the template's keys."""
    auto = FakeAutomation(clock)
    deps = make_deps(automation=auto, reporter=FakeReporter({12}))
    up(deps, 12, SHA1, "feature/x")
    cfg = auto.stacks["pr-12"].config
    assert (cfg["pr"], cfg["sha"], cfg["branch"]) == ("12", SHA1, "feature/x")
    expires = datetime.fromisoformat(cfg["expiresAt"].replace("Z", "+00:00"))
    assert expires == clock.now() + timedelta(hours=deps.settings.ttl_hours)
    assert cfg["stagingStack"].endswith("/staging") and cfg["loadBalancing"] == "shared"


def test_new_push_updates_the_same_preview(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """A second push to a PR updates stack pr-N in place: one stack, two updates, newest sha."""
    auto = FakeAutomation(clock)
    reporter = FakeReporter({12})
    deps = make_deps(automation=auto, reporter=reporter)
    up(deps, 12, SHA1)
    reporter.open[12] = SHA2
    up(deps, 12, SHA2)
    assert list(auto.stacks) == ["pr-12"]
    assert auto.stacks["pr-12"].updates == 2 and auto.stacks["pr-12"].config["sha"] == SHA2


def test_newer_push_wins_over_a_deploy_in_flight(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """The newer run waits for the running deploy's lock; the older run then deploys nothing."""
    auto = FakeAutomation(clock)
    auto.add("pr-12", sha=SHA1)
    auto.hold_lock("pr-12", host="runner-b", release_after_polls=2)  # run of SHA1 in flight
    reporter = FakeReporter({12})
    reporter.open[12] = SHA2
    deps = make_deps(automation=auto, reporter=reporter)
    newer = up(deps, 12, SHA2)
    older = up(deps, 12, SHA1)  # e.g. a retried job of the old push
    assert (newer.outcome, older.outcome) == ("deployed", "superseded")
    assert auto.stacks["pr-12"].config["sha"] == SHA2 and auto.broken == []


def test_cap_reached_queues_and_says_so(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """At the cap with policy queue: exit 6, nothing deployed, the PR comment explains it."""
    auto = FakeAutomation(clock)
    for pr in range(1, 6):
        auto.add(f"pr-{pr}")
    reporter = FakeReporter({9})
    deps = make_deps(automation=auto, reporter=reporter)
    with pytest.raises(PreviewError) as err:
        up(deps, 9, SHA1)
    assert err.value.exit_code == CAPPED
    assert "pr-9" not in auto.stacks
    assert "queued" in reporter.comments[9][-1] and "cap is 5" in reporter.comments[9][-1]


def test_cap_reached_evicts_the_oldest_idle_preview(
    clock: Clock, make_deps: Callable[..., Deps], settings: Settings
) -> None:
    """Policy evict-oldest-idle removes the preview idle longest and deploys the new PR."""
    auto = FakeAutomation(clock)
    for pr, hours_ago in [(1, 2), (2, 50), (3, 30), (4, 1), (5, 3)]:
        auto.add(f"pr-{pr}", updated=clock.now() - timedelta(hours=hours_ago))
    s = settings.model_copy(update={"eviction_policy": "evict-oldest-idle"})
    deps = make_deps(automation=auto, settings=s, reporter=FakeReporter({9}))
    up(deps, 9, SHA1)
    assert sorted(auto.stacks) == ["pr-1", "pr-3", "pr-4", "pr-5", "pr-9"]


def test_cap_with_no_idle_preview_queues_even_when_evicting(
    clock: Clock, make_deps: Callable[..., Deps], settings: Settings
) -> None:
    """Eviction never removes a preview that was updated within idle_hours."""
    auto = FakeAutomation(clock)
    for pr in range(1, 6):
        auto.add(f"pr-{pr}", updated=clock.now() - timedelta(hours=1))
    s = settings.model_copy(update={"eviction_policy": "evict-oldest-idle"})
    deps = make_deps(automation=auto, settings=s, reporter=FakeReporter({9}))
    with pytest.raises(PreviewError) as err:
        up(deps, 9, SHA1)
    assert err.value.exit_code == CAPPED and len(auto.stacks) == 5


def test_smoke_failure_is_visible_in_the_pr(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """A failed smoke gate exits 5; the comment names the failing tests; deployment: failure."""
    reporter = FakeReporter({12})
    smoke = FakeSmoke(
        SmokeResult("FAILED", ("test_home_page", "test_search_finds_seed"), "Smoke failed")
    )
    deps = make_deps(reporter=reporter, smoke=smoke)
    with pytest.raises(PreviewError) as err:
        up(deps, 12, SHA1)
    assert err.value.exit_code == SMOKE_FAILED
    body = reporter.comments[12][-1]
    assert "test_home_page" in body and "test_search_finds_seed" in body
    assert reporter.states[12] == ["in_progress", "failure"]


def test_smoke_runs_against_the_stack_outputs(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """up starts the state machine named by the stack outputs, with the URL and sha as input,
    and points the runner at the stack's smoke log group for the failing test names."""
    smoke = FakeSmoke()
    deps = make_deps(reporter=FakeReporter({12}), smoke=smoke)
    result = up(deps, 12, SHA1)
    arn, name, payload = smoke.runs[0]
    assert arn.endswith(":stateMachine:pr-12") and name.startswith("pr-12-")
    assert payload == {"pr": 12, "sha": SHA1, "url": result.url}
    assert smoke.log_groups == ["/preview-platform/pr-12/smoke"]


def test_deploy_failure_is_visible_in_the_pr(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """A failed Pulumi update is reported in the comment with the fix, and exits 3."""
    auto = FakeAutomation(clock)
    auto.add("pr-12")
    auto.permanent[("up", "pr-12")] = 1
    reporter = FakeReporter({12})
    deps = make_deps(automation=auto, reporter=reporter)
    with pytest.raises(PreviewError) as err:
        up(deps, 12, SHA1)
    assert err.value.exit_code == UNAVAILABLE
    assert "deploy failed" in reporter.comments[12][-1]
    assert "DependencyViolation" in reporter.comments[12][-1]
    assert reporter.states[12] == ["in_progress", "failure"]


def test_transient_up_failures_are_retried(clock: Clock, make_deps: Callable[..., Deps]) -> None:
    """Throttling during up is retried with growing backoff and the deploy succeeds."""
    auto = FakeAutomation(clock)
    auto.add("pr-12")
    auto.transient[("up", "pr-12")] = 3
    deps = make_deps(automation=auto, reporter=FakeReporter({12}))
    assert up(deps, 12, SHA1).outcome == "deployed"
    assert clock.slept == [2, 4, 8]


@pytest.mark.parametrize("sha", ["", "XYZ", "12345", "g" * 40, "a" * 41])
def test_bad_sha_is_a_usage_error_naming_the_flag(sha: str, make_deps: Callable[..., Deps]) -> None:
    """--sha must look like a commit; the error names the flag and the fix."""
    with pytest.raises(PreviewError) as err:
        up(make_deps(), 12, sha)
    assert err.value.exit_code == USAGE and "--sha" in err.value.message


def _load_balancing(settings: Settings, tmp_path: Path, mode: str) -> Settings:
    """Settings whose config template is the repository's with `loadBalancing: <mode>`."""
    template = tmp_path / "preview.yaml"
    shared = (REPO_ROOT / "preview.yaml").read_text()
    template.write_text(shared.replace("loadBalancing: shared", f"loadBalancing: {mode}"))
    return settings.model_copy(update={"config_template": template})


def test_report_goes_to_the_step_summary(
    clock: Clock, make_deps: Callable[..., Deps], settings: Settings, tmp_path: Path
) -> None:
    """With GITHUB_STEP_SUMMARY set, the final report Markdown is appended to that file."""
    summary = tmp_path / "summary.md"
    s = settings.model_copy(update={"step_summary": summary})
    deps = make_deps(settings=s, reporter=FakeReporter({12}))
    up(deps, 12, SHA1)
    text = summary.read_text()
    assert MARKER in text and "ready" in text and "https://pr-12.preview.example.com" in text


def test_bad_template_is_reported_in_the_pr(
    clock: Clock, make_deps: Callable[..., Deps], settings: Settings, tmp_path: Path
) -> None:
    """A config template the program would reject fails before deploying, named in the PR."""
    s = _load_balancing(settings, tmp_path, "sideways")
    auto = FakeAutomation(clock)
    reporter = FakeReporter({12})
    deps = make_deps(automation=auto, settings=s, reporter=reporter)
    with pytest.raises(PreviewError) as err:
        up(deps, 12, SHA1)
    assert err.value.exit_code == USAGE and "loadBalancing" in err.value.message
    assert (
        "loadBalancing" in reporter.comments[12][-1]
        and "deploy failed" in reporter.comments[12][-1]
    )
    assert auto.stacks == {} and 12 not in reporter.states


def test_unexpected_crash_is_still_visible_in_the_pr(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """A bug (any exception) during deploy marks the deployment failed and says so in the PR."""
    auto = FakeAutomation(clock)

    def crash(*args: object) -> dict[str, str]:
        raise KeyError("outputs")

    auto.up = crash  # type: ignore[method-assign, assignment]
    reporter = FakeReporter({12})
    deps = make_deps(automation=auto, reporter=reporter)
    with pytest.raises(KeyError):
        up(deps, 12, SHA1)
    assert "internal error: KeyError" in reporter.comments[12][-1]
    assert reporter.states[12] == ["in_progress", "failure"]


def test_comment_carries_cost_diagram_and_logs(
    clock: Clock, make_deps: Callable[..., Deps], settings: Settings
) -> None:
    """The ready comment shows URL, sha, smoke, cost/day, expiry, logs link and the Mermaid."""
    s = settings.model_copy(update={"run_url": "https://ci.example/run/7"})
    reporter = FakeReporter({12})
    deps = make_deps(
        settings=s,
        reporter=reporter,
        extras=lambda pr, cfg: Extras(0.42, "flowchart LR\n  a --> b"),
    )
    up(deps, 12, SHA1)
    body = reporter.comments[12][-1]
    for part in (
        "https://pr-12.preview.example.com",
        SHA1[:12],
        "passed",
        "$0.42/day",
        "Expires",
        "https://ci.example/run/7",
        "```mermaid\nflowchart LR",
    ):
        assert part in body


def test_shared_alb_rule_priorities_never_collide(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """PR 25000 defaults to PR 1's listener slot; while pr-1 is live it gets the next free one,
    keeps it across pushes, and the next PR whose default slot is free gets that default."""
    auto = FakeAutomation(clock)
    auto.add("pr-1")  # deployed before the CLI stored priorities: holds its default (1, 2)
    reporter = FakeReporter({1, 25_000, 7})
    deps = make_deps(automation=auto, reporter=reporter)
    up(deps, 25_000, SHA1)
    assert auto.stacks["pr-25000"].config["rulePriority"] == "3"
    reporter.open[25_000] = SHA2
    up(deps, 25_000, SHA2)
    assert auto.stacks["pr-25000"].config["rulePriority"] == "3"
    up(deps, 7, SHA1)
    assert auto.stacks["pr-7"].config["rulePriority"] == "13"


def test_a_preview_holding_a_taken_priority_moves_on_its_next_push(
    clock: Clock, make_deps: Callable[..., Deps]
) -> None:
    """Two PRs allocated concurrently can pick the same pair; the next push of either heals it."""
    auto = FakeAutomation(clock)
    auto.add("pr-4").config["rulePriority"] = "7"
    auto.add("pr-5").config["rulePriority"] = "7"
    deps = make_deps(automation=auto, reporter=FakeReporter({4, 5}))
    up(deps, 5, SHA1)
    assert auto.stacks["pr-5"].config["rulePriority"] == "9"
    assert auto.stacks["pr-4"].config["rulePriority"] == "7"


def test_dedicated_previews_take_no_listener_priority(
    clock: Clock, make_deps: Callable[..., Deps], settings: Settings, tmp_path: Path
) -> None:
    s = _load_balancing(settings, tmp_path, "dedicated")
    auto = FakeAutomation(clock)
    up(make_deps(automation=auto, settings=s, reporter=FakeReporter({3})), 3, SHA1)
    assert "rulePriority" not in auto.stacks["pr-3"].config
    assert auto.stacks["pr-3"].config["loadBalancing"] == "dedicated"
