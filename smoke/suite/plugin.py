"""Pytest plugin of the smoke suite: its options and the `smoke` fixture.

Loaded with `-p smoke.suite.plugin` (the `preview smoke` runner does that), so the suite's own tests
and an app's extra smoke tests (PREVIEW_SMOKE_EXTRA_DIR) share the same fixture wherever they live.
Every option also reads an environment variable, which is how an ECS task passes settings.

An app's extra test only needs the fixture:

    def test_export_page(smoke):
        response = smoke.get("/export")
        assert response.status == 200
"""

from __future__ import annotations

import http.client
import json
import math
import os
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import pytest

from smoke.health import SHA_RULE, DeadlineExceeded, fetch, valid_sha

MAX_BODY = 10 * 1024 * 1024  # a smoke page larger than this is a failure, not a memory spike

# option name -> (environment variable, default, help)
OPTIONS: dict[str, tuple[str, str, str]] = {
    "base_url": (
        "PREVIEW_SMOKE_BASE_URL",
        "",
        "URL of the preview, e.g. https://pr-12.example.com",
    ),
    "expected_sha": (
        "PREVIEW_SMOKE_EXPECTED_SHA",
        "",
        "commit sha the preview must run (required: ready means serving the pushed commit)",
    ),
    "health_path": ("PREVIEW_SMOKE_HEALTH_PATH", "/health", "health endpoint (JSON status, sha)"),
    "db_path": ("PREVIEW_SMOKE_DB_PATH", "/api/surveys", "endpoint that reads the database"),
    "search_path": ("PREVIEW_SMOKE_SEARCH_PATH", "/api/search", "endpoint that queries search"),
    "search_query": ("PREVIEW_SMOKE_SEARCH_QUERY", "checkout", "query with seeded matches"),
    "search_min_hits": ("PREVIEW_SMOKE_SEARCH_MIN_HITS", "1", "hits the seeded index must give"),
    "http_url": (
        "PREVIEW_SMOKE_HTTP_URL",
        "",
        "plain-HTTP URL that must redirect to HTTPS (default: base URL with http:// when it is "
        "https://; the check is skipped for plain-HTTP previews)",
    ),
    "budget_ms": ("PREVIEW_SMOKE_BUDGET_MS", "2000", "response-time budget per request, in ms"),
    "timeout_s": (
        "PREVIEW_SMOKE_TIMEOUT_S",
        "15",
        "total deadline of one request (connect to last body byte), in seconds",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smoke", "preview smoke suite")
    for name, (env, default, help_) in OPTIONS.items():
        group.addoption(
            f"--smoke-{name.replace('_', '-')}",
            dest=f"smoke_{name}",
            default=None,
            help=f"{help_} [env {env}, default {default!r}]",
        )


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            pytest.fail(f"{self.url} did not return JSON: {self.body[:200]!r}", pytrace=False)

    def __str__(self) -> str:
        return f"HTTP {self.status} from {self.url} in {self.elapsed_ms:.0f} ms"


@dataclass
class Smoke:
    """Settings of this run and a small HTTP client that never follows redirects."""

    base_url: str
    expected_sha: str
    health_path: str
    db_path: str
    search_path: str
    search_query: str
    search_min_hits: int
    http_url: str
    budget_ms: int
    timeout_s: float
    _context: ssl.SSLContext = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # SSL_CERT_FILE is honoured by the default context (private CAs on internal previews).
        self._context = ssl.create_default_context()

    @property
    def search_url(self) -> str:
        return f"{self.search_path}?{urlencode({'q': self.search_query})}"

    def url(self, path: str) -> str:
        return urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))

    def get(self, path_or_url: str, *, accept: str = "*/*") -> Response:
        """GET a path of the preview (or an absolute URL); 3xx/4xx/5xx are returned, not raised.

        The whole exchange is bounded by `timeout_s` (smoke.health.fetch), however slowly the
        server sends its headers or body; redirects are never followed.
        """
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        start = time.perf_counter()
        failure = ""
        try:
            got = fetch(
                url, timeout=self.timeout_s, accept=accept, max_body=MAX_BODY, context=self._context
            )
        except DeadlineExceeded as exc:
            failure = f"timed out: {exc}"
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if failure:  # failed outside the except block: no chained traceback in the report
            pytest.fail(f"GET {url} failed: {failure}", pytrace=False)
        if got.truncated:
            pytest.fail(f"GET {url}: body larger than {MAX_BODY} bytes", pytrace=False)
        elapsed = (time.perf_counter() - start) * 1000
        return Response(got.status, got.headers, got.body, elapsed, url)


def _setting(config: pytest.Config, name: str) -> str:
    env, default, _ = OPTIONS[name]
    value = config.getoption(f"smoke_{name}")
    if value is None:
        value = os.environ.get(env, default)
    return str(value)


def _number(config: pytest.Config, name: str, kind: type[int] | type[float]) -> Any:
    raw = _setting(config, name)
    try:
        value = kind(raw)
    except ValueError:
        value = -1
    # 'inf'/'nan' parse as floats but no socket accepts them as a timeout: refuse them here.
    finite = math.isfinite(value) and value <= 24 * 3600 * 1000
    if not finite or (value <= 0 and not (name == "search_min_hits" and value == 0)):
        env = OPTIONS[name][0]
        raise pytest.UsageError(
            f"--smoke-{name.replace('_', '-')} / {env} must be a positive finite number, "
            f"got {raw!r}"
        )
    return value


def settings_from(config: pytest.Config) -> Smoke:
    base_url = _setting(config, "base_url").strip()
    if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
        raise pytest.UsageError(
            f"--smoke-base-url / PREVIEW_SMOKE_BASE_URL must be an http(s) URL, got {base_url!r}"
        )
    http_url = _setting(config, "http_url").strip()
    if not http_url and base_url.startswith("https://"):
        http_url = urlunsplit(urlsplit(base_url)._replace(scheme="http"))
    expected_sha = _setting(config, "expected_sha").strip()
    if not valid_sha(expected_sha):
        raise pytest.UsageError(
            "--smoke-expected-sha / PREVIEW_SMOKE_EXPECTED_SHA must be the pushed commit "
            f"(7-64 lowercase hex characters), got {expected_sha!r}; {SHA_RULE}"
        )
    return Smoke(
        base_url=base_url,
        expected_sha=expected_sha,
        health_path=_setting(config, "health_path"),
        db_path=_setting(config, "db_path"),
        search_path=_setting(config, "search_path"),
        search_query=_setting(config, "search_query"),
        search_min_hits=_number(config, "search_min_hits", int),
        http_url=http_url,
        budget_ms=_number(config, "budget_ms", int),
        timeout_s=_number(config, "timeout_s", float),
    )


_SETTINGS = pytest.StashKey[Smoke]()


def pytest_configure(config: pytest.Config) -> None:
    # Bad settings stop the run before any test (pytest exit 4, `preview smoke` exit 2) instead
    # of erroring every test that uses the fixture.
    if not (config.getoption("help") or config.getoption("collectonly")):
        config.stash[_SETTINGS] = settings_from(config)


@pytest.fixture(scope="session")
def smoke(pytestconfig: pytest.Config) -> Smoke:
    """Settings and HTTP client of this smoke run."""
    if _SETTINGS not in pytestconfig.stash:
        pytestconfig.stash[_SETTINGS] = settings_from(pytestconfig)
    return pytestconfig.stash[_SETTINGS]
