"""The preview smoke suite: what every preview must do before anyone looks at it.

Run through `preview smoke --base-url URL` (or `pytest -p smoke.suite.plugin smoke/suite ...`).
Each test checks one thing a reviewer would notice; the failure message says what was seen.
"""

from __future__ import annotations

from typing import Any

import pytest

from smoke.health import judge_health
from smoke.suite.plugin import Smoke


def test_health(smoke: Smoke) -> None:
    """The health endpoint answers 200 itself with JSON {"status": "ok", "sha": <this commit>}."""
    response = smoke.get(smoke.health_path, accept="application/json")
    reason, _ = judge_health(response.status, response.headers, response.body, smoke.expected_sha)
    assert reason is None, f"{response}: {reason}"


def test_home_page(smoke: Smoke) -> None:
    """The home page renders as HTML."""
    response = smoke.get("/", accept="text/html")
    assert response.status == 200, str(response)
    assert response.content_type.startswith("text/html"), response.content_type


def test_database_endpoint(smoke: Smoke) -> None:
    """An endpoint backed by the preview's database returns its rows."""
    response = smoke.get(smoke.db_path, accept="application/json")
    assert response.status == 200, f"{response}: {response.body[:300]!r}"
    body = response.json()
    rows = body.get("items", body) if isinstance(body, dict) else body
    assert isinstance(rows, list) and rows, f"no rows from {smoke.db_path}: {body!r:.300}"


def test_search_endpoint(smoke: Smoke) -> None:
    """Search returns the documents seeded from the database."""
    response = smoke.get(smoke.search_url, accept="application/json")
    assert response.status == 200, f"{response}: {response.body[:300]!r}"
    body: Any = response.json()
    hits = body.get("hits", []) if isinstance(body, dict) else body
    assert len(hits) >= smoke.search_min_hits, (
        f"{len(hits)} hits for {smoke.search_query!r}, expected at least {smoke.search_min_hits}: "
        "was the search index seeded?"
    )


def test_http_redirects_to_https(smoke: Smoke) -> None:
    """Where TLS is on, plain HTTP answers with a permanent redirect to HTTPS."""
    if not smoke.http_url:
        pytest.skip("TLS is off for this preview (http base URL, no --smoke-http-url)")
    response = smoke.get(smoke.http_url)
    assert response.status in (301, 302, 307, 308), f"{response}: expected a redirect to https"
    location = response.headers.get("location", "")
    assert location.startswith("https://"), f"redirects to {location!r}, not to https"


@pytest.mark.parametrize("endpoint", ["health", "home", "database", "search"])
def test_response_time_budget(smoke: Smoke, endpoint: str) -> None:
    """Each endpoint answers within the per-request budget."""
    path = {
        "health": smoke.health_path,
        "home": "/",
        "database": smoke.db_path,
        "search": smoke.search_url,
    }[endpoint]
    response = smoke.get(path)
    assert response.elapsed_ms <= smoke.budget_ms, (
        f"GET {path} took {response.elapsed_ms:.0f} ms, budget {smoke.budget_ms} ms"
    )
