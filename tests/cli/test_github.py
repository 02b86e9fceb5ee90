"""The GitHub reporter through real PyGithub against a local REST double."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from contracts.errors import UNAVAILABLE, USAGE, PreviewError
from preview.down import down
from preview.github import GitHubReporter
from preview.ports import Deps
from preview.report import MARKER
from preview.up import up
from tests.cli.fakes import Clock, FakeAutomation
from tests.cli.github_double import GitHubDouble

TOKEN = "ghp_doubleTOKEN0123456789abcdefABCDEF0123"
SHA = "abcdef0123456789abcdef0123456789abcdef01"


@pytest.fixture
def gh() -> Iterator[GitHubDouble]:
    with GitHubDouble(token=TOKEN) as double:
        double.open_pr(12, SHA)
        double.open_pr(13, "1" * 40)
        double.open_pr(14, "2" * 40, state="closed")
        yield double


@pytest.fixture
def reporter(gh: GitHubDouble) -> GitHubReporter:
    return GitHubReporter(
        token=TOKEN, repository="acme/shop", base_url=gh.url, throttle=False, backoff_s=0.01
    )


def test_many_runs_leave_exactly_one_comment(gh: GitHubDouble, reporter: GitHubReporter) -> None:
    """Twenty reports on the same PR edit one comment in place; it shows the last report."""
    for i in range(20):
        reporter.comment(12, f"{MARKER}\nrun {i}")
    comments = gh.comments_on(12)
    assert len(comments) == 1 and comments[0]["body"].endswith("run 19")


def test_duplicate_sticky_comments_collapse_to_one(
    gh: GitHubDouble, reporter: GitHubReporter
) -> None:
    """If a retried POST ever left two marked comments, the next report keeps only the oldest."""
    reporter.comment(12, "first")
    gh.state.next_id += 1
    gh.state.comments[gh.state.next_id] = {"id": gh.state.next_id, "issue": 12, "body": MARKER}
    reporter.comment(12, "second")
    comments = gh.comments_on(12)
    assert len(comments) == 1 and comments[0]["body"].endswith("second")


def test_other_comments_are_left_alone(gh: GitHubDouble, reporter: GitHubReporter) -> None:
    """Only the comment carrying the marker is edited; a reviewer's comment stays as written."""
    gh.state.comments[1] = {"id": 1, "issue": 12, "body": "LGTM"}
    reporter.comment(12, "report")
    assert gh.state.comments[1]["body"] == "LGTM" and len(gh.comments_on(12)) == 2


def test_deployment_statuses_arrive_in_order(
    gh: GitHubDouble, clock: Clock, make_deps: Callable[..., Deps], reporter: GitHubReporter
) -> None:
    """up then down: environment pr-12 sees in_progress, success (with the URL), inactive."""
    auto = FakeAutomation(clock)
    deps = make_deps(automation=auto, reporter=reporter)
    up(deps, 12, SHA)
    down(deps, 12)
    assert gh.statuses_of("pr-12") == ["in_progress", "success", "inactive"]
    success = [s for st in gh.state.statuses.values() for s in st if s["state"] == "success"]
    assert success[0]["environment_url"] == "https://pr-12.preview.example.com"
    assert len(gh.comments_on(12)) == 1 and "removed" in gh.comments_on(12)[0]["body"]


def test_each_push_gets_its_own_deployment(
    gh: GitHubDouble, clock: Clock, make_deps: Callable[..., Deps], reporter: GitHubReporter
) -> None:
    """Two pushes: two deployments of pr-12, each in_progress then success, one comment."""
    deps = make_deps(automation=FakeAutomation(clock), reporter=reporter)
    up(deps, 12, SHA)
    gh.open_pr(12, "f" * 40)
    up(deps, 12, "f" * 40)
    assert gh.statuses_of("pr-12") == ["in_progress", "success"] * 2
    assert len(gh.comments_on(12)) == 1


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) - 2)},
            "API rate limit exceeded for installation ID 1.",
        ),
        (403, {"Retry-After": "0"}, "You have exceeded a secondary rate limit."),
        (429, {"Retry-After": "0"}, "Too Many Requests"),
        (500, {}, "Server Error"),
        (502, {}, "Bad Gateway"),
        (503, {}, "Service Unavailable"),
    ],
)
def test_rate_limits_and_5xx_are_retried(
    status: int,
    headers: dict[str, str],
    message: str,
    gh: GitHubDouble,
    reporter: GitHubReporter,
) -> None:
    """A rate-limit or 5xx answer (twice) is retried; the comment is written exactly once."""
    gh.fail("GET", r"/issues/12/comments$", status, times=2, headers=headers, message=message)
    gh.fail("POST", r"/issues/12/comments$", status, times=1, headers=headers, message=message)
    reporter.comment(12, "hello")
    assert len(gh.comments_on(12)) == 1
    codes = [code for method, path, code in gh.state.log if path.endswith("/issues/12/comments")]
    assert codes == [status, status, 200, status, 201]


def test_rate_limit_resetting_far_away_fails_fast(gh: GitHubDouble) -> None:
    """A primary limit that resets in an hour is not slept through: exit 3 with the reason."""
    r = GitHubReporter(
        token=TOKEN,
        repository="acme/shop",
        base_url=gh.url,
        throttle=False,
        backoff_s=0.01,
        max_rate_limit_wait_s=5,
    )
    reset = str(int(time.time()) + 3600)
    gh.fail(
        "GET",
        r"/pulls$",
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        message="API rate limit exceeded for installation ID 1.",
    )
    with pytest.raises(PreviewError) as err:
        r.open_prs()
    assert err.value.exit_code == UNAVAILABLE and "rate limit" in err.value.message


def test_persistent_5xx_is_an_unavailable_error(gh: GitHubDouble, reporter: GitHubReporter) -> None:
    """When GitHub keeps failing, the error says so and exits 3 (re-run later)."""
    gh.fail("GET", r"/pulls$", 502, times=100)
    with pytest.raises(PreviewError) as err:
        reporter.open_prs()
    assert err.value.exit_code == UNAVAILABLE and "re-run" in err.value.hint


def test_bad_token_is_a_usage_error_without_the_token(gh: GitHubDouble) -> None:
    """A refused token exits 2, names GITHUB_TOKEN, and never prints the token itself."""
    bad = "ghp_wrongTOKENwrongTOKENwrongTOKEN012345"
    r = GitHubReporter(token=bad, repository="acme/shop", base_url=gh.url, throttle=False)
    with pytest.raises(PreviewError) as err:
        r.comment(12, "x")
    assert err.value.exit_code == USAGE and "GITHUB_TOKEN" in err.value.hint
    assert bad not in str(err.value) and TOKEN not in str(err.value)


def test_open_prs_and_head_sha(gh: GitHubDouble, reporter: GitHubReporter) -> None:
    """Open PRs exclude closed ones; a closed PR has no head to deploy."""
    assert reporter.open_prs() == {12, 13}
    assert reporter.head_sha(12) == SHA and reporter.head_sha(14) is None


def test_open_prs_follows_every_page(gh: GitHubDouble, reporter: GitHubReporter) -> None:
    """With 75 open PRs (three pages), all are seen: a missed page would make the reaper
    destroy live previews."""
    for n in range(100, 175):
        gh.open_pr(n, "3" * 40)
    assert reporter.open_prs() == {12, 13, *range(100, 175)}
    pages = [p for m, p, c in gh.state.log if p.endswith("/pulls")]
    assert len(pages) == 3


def test_token_is_sent_as_authorization(gh: GitHubDouble, reporter: GitHubReporter) -> None:
    """Every request carries the token in the Authorization header (and nowhere else)."""
    reporter.open_prs()
    assert gh.state.auth and all(a == f"token {TOKEN}" for a in gh.state.auth)
