"""`preview smoke` and its pytest suite, run for real over HTTP against the reference app.

The runner runs as a subprocess, as in the Smoke ECS task: what matters is its exit code and the
one summary line naming the failing tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from contracts.errors import SMOKE_FAILED
from tests.smoke.conftest import APP_SHA, redirector, run_smoke

pytestmark = pytest.mark.services


def _failed_tests(summary: str) -> set[str]:
    if "failed (" not in summary:
        return set()
    names = summary.split("failed (", 1)[1].rsplit(")", 1)[0]
    return {name.strip() for name in names.split(", ")}


@pytest.fixture(scope="module")
def https_redirector() -> Iterator[str]:
    """Stands in for the ALB's port-80 listener: every request gets a 301 to https://."""
    with redirector(301, "https://pr-12.preview.example.com") as url:
        yield url


def test_healthy_app_passes(app: tuple[str, Any], https_redirector: str) -> None:
    """Every check passes against a healthy, seeded app: exit 0 and nothing skipped."""
    url, _ = app
    code, summary = run_smoke(url, "--expected-sha", APP_SHA, "--http-url", https_redirector)
    assert (code, _failed_tests(summary)) == (0, set()), summary
    assert summary.startswith(f"smoke passed against {url}: 9 passed in")


@pytest.mark.parametrize(
    ("fault", "failing"),
    [
        pytest.param("db-error", "test_database_endpoint", id="database-error"),
        pytest.param("stale-sha", "test_health", id="stale-sha"),
    ],
)
def test_a_fault_is_named(app: tuple[str, Any], fault: str, failing: str) -> None:
    """One fault fails the run and the summary names only the test that checks it: a DB
    endpoint answering 500 fails test_database_endpoint, an old build still serving test_health."""
    url, instance = app
    instance.faults.add(fault)
    code, summary = run_smoke(url, "--expected-sha", APP_SHA)
    assert code == SMOKE_FAILED
    assert _failed_tests(summary) == {failing}


def test_slow_app_breaks_the_budget(app: tuple[str, Any]) -> None:
    """Responses slower than the budget fail the per-endpoint budget checks, and only those."""
    url, instance = app
    instance.faults.add("slow")  # 0.6 s per response
    code, summary = run_smoke(url, "--expected-sha", APP_SHA, "--budget-ms", "300")
    assert code == SMOKE_FAILED
    assert _failed_tests(summary) == {
        f"test_response_time_budget[{endpoint}]"
        for endpoint in ("health", "home", "database", "search")
    }


def test_login_redirect_fails_health(app: tuple[str, Any]) -> None:
    """URL protection answering 302 fails the run (redirects are never followed)."""
    url, instance = app
    instance.faults.add("login-redirect")
    code, summary = run_smoke(url)
    assert code == SMOKE_FAILED
    assert {"test_health", "test_home_page"} <= _failed_tests(summary)


def test_missing_https_redirect_is_named(app: tuple[str, Any]) -> None:
    """Where TLS is on, plain HTTP served without a redirect fails the redirect check."""
    url, _ = app
    code, summary = run_smoke(url, "--expected-sha", APP_SHA, "--http-url", url)
    assert code == SMOKE_FAILED
    assert _failed_tests(summary) == {"test_http_redirects_to_https"}


def test_unseeded_search_is_named(app: tuple[str, Any]) -> None:
    """A query with no seeded matches fails test_search_endpoint."""
    url, _ = app
    code, summary = run_smoke(url, "--search-query", "zzqqxx-never-seeded")
    assert code == SMOKE_FAILED
    assert _failed_tests(summary) == {"test_search_endpoint"}


def test_app_extra_tests_are_collected(app: tuple[str, Any], tmp_path: Path) -> None:
    """Tests an app drops into PREVIEW_SMOKE_EXTRA_DIR run with the suite and use its fixture."""
    url, _ = app
    (tmp_path / "test_app_pages.py").write_text(
        "def test_surveys_have_titles(smoke):\n"
        "    assert smoke.get('/api/surveys').json()['items'][0]['title']\n\n"
        "def test_export_page(smoke):\n"
        "    assert smoke.get('/export').status == 200\n"
    )
    env = {**os.environ, "PREVIEW_SMOKE_EXTRA_DIR": str(tmp_path)}
    code, summary = run_smoke(url, env=env)
    assert code == SMOKE_FAILED
    assert _failed_tests(summary) == {"test_export_page"}
    assert "9 passed" in summary  # 8 of the suite (no TLS: redirect skipped) + 1 extra


def test_junit_report_lists_the_failure(app: tuple[str, Any], tmp_path: Path) -> None:
    """--junit writes a report in which the failing check is marked failed."""
    url, instance = app
    instance.faults.add("db-error")
    report = tmp_path / "smoke.xml"
    run_smoke(url, "--junit", str(report))
    cases = ElementTree.parse(report).getroot().iter("testcase")
    failed = {case.get("name") for case in cases if case.find("failure") is not None}
    assert failed == {"test_database_endpoint"}
