"""`preview smoke`: run the pytest smoke suite against a preview URL (the Smoke ECS task's command).

Prints one summary line, e.g.
    smoke FAILED against https://pr-12.example.com: 8 passed, 2 failed (test_database_endpoint, ...)
and exits 0 when every test passed, 5 (SmokeFailedError) when any failed, 2 on bad settings.
Apps add their own smoke tests in a folder given by --extra-dir / PREVIEW_SMOKE_EXTRA_DIR; they
get the same `smoke` fixture (see smoke/suite/plugin.py).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

SUITE_DIR = Path(__file__).resolve().parent / "suite"

# click option -> pytest option of smoke/suite/plugin.py
_PASSTHROUGH = {
    "expected_sha": "--smoke-expected-sha",
    "health_path": "--smoke-health-path",
    "db_path": "--smoke-db-path",
    "search_path": "--smoke-search-path",
    "search_query": "--smoke-search-query",
    "search_min_hits": "--smoke-search-min-hits",
    "http_url": "--smoke-http-url",
    "budget_ms": "--smoke-budget-ms",
    "timeout_s": "--smoke-timeout-s",
}


class _Outcomes:
    """Pytest plugin collecting each test's outcome for the summary line."""

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        name = report.nodeid.split("::", 1)[-1]
        if report.failed:
            if name not in self.failed:
                self.failed.append(name)
        elif report.skipped and report.when in ("setup", "call"):
            self.skipped.append(name)
        elif report.passed and report.when == "call":
            self.passed.append(name)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.failed.append(f"collecting {report.nodeid or 'tests'}")


def summary_line(base_url: str, outcomes: _Outcomes, seconds: float, *, ok: bool = True) -> str:
    verdict = "FAILED" if outcomes.failed or not ok else "passed"
    counts = [f"{len(outcomes.passed)} passed"]
    if outcomes.failed:
        counts.append(f"{len(outcomes.failed)} failed ({', '.join(outcomes.failed)})")
    if outcomes.skipped:
        counts.append(f"{len(outcomes.skipped)} skipped")
    return f"smoke {verdict} against {base_url}: {', '.join(counts)} in {seconds:.1f}s"


def pytest_args(
    base_url: str,
    *,
    junit: str | None,
    extra_dirs: list[str],
    settings: dict[str, Any],
    verbose: bool = False,
) -> list[str]:
    args = [
        str(SUITE_DIR),
        *extra_dirs,
        "-p",
        "smoke.suite.plugin",
        # The suite is self-contained: no repo conftest, ini file or cache next to it.
        "-c",
        os.devnull,
        "--rootdir",
        str(SUITE_DIR),
        "--confcutdir",
        str(SUITE_DIR),
        "-p",
        "no:cacheprovider",
        "--smoke-base-url",
        base_url,
        "-rfE",
        "-q" if not verbose else "-v",
    ]
    for name, flag in _PASSTHROUGH.items():
        if settings.get(name) not in (None, ""):
            args += [flag, str(settings[name])]
    if junit:
        args += ["--junitxml", junit]
    return args


@click.command()
@click.option(
    "--base-url",
    required=True,
    envvar="PREVIEW_SMOKE_BASE_URL",
    help="URL of the preview, e.g. https://pr-12.preview.example.com.",
)
@click.option(
    "--expected-sha",
    envvar="PREVIEW_SMOKE_EXPECTED_SHA",
    required=True,
    help="Commit the preview must run; its health JSON must report it.",
)
@click.option("--junit", type=click.Path(dir_okay=False), help="Write a JUnit XML report here.")
@click.option(
    "--extra-dir",
    "extra_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="App smoke tests to run too (repeatable; env PREVIEW_SMOKE_EXTRA_DIR, ':'-separated).",
)
@click.option("--health-path", help="Health endpoint [/health].")
@click.option("--db-path", help="Endpoint that reads the database [/api/surveys].")
@click.option("--search-path", help="Endpoint that queries search [/api/search].")
@click.option("--search-query", help="Query that has seeded matches [checkout].")
@click.option(
    "--search-min-hits", type=click.IntRange(min=0), help="Hits the query must return [1]."
)
@click.option("--http-url", help="Plain-HTTP URL that must redirect to HTTPS.")
@click.option(
    "--budget-ms", type=click.IntRange(min=1), help="Response-time budget per request, ms [2000]."
)
@click.option(
    "--timeout-s",
    type=click.FloatRange(min=0, max=3600, min_open=True),
    help="Total deadline of one request, connect to last byte, seconds [15].",
)
@click.option("-v", "--verbose", is_flag=True, help="Show pytest's per-test output.")
def smoke(
    base_url: str,
    junit: str | None,
    extra_dirs: tuple[str, ...],
    verbose: bool,
    **settings: Any,
) -> None:
    """Run the smoke suite against a preview URL; exit non-zero when any check fails."""
    import pytest

    from contracts.errors import SmokeFailedError, UsageError
    from smoke.health import SHA_RULE, valid_sha

    sha = settings.get("expected_sha")
    if not valid_sha(sha):
        raise UsageError(
            f"--expected-sha / PREVIEW_SMOKE_EXPECTED_SHA {sha!r} is not a commit sha",
            hint=f"pass the pushed commit (7-64 lowercase hex characters); {SHA_RULE}",
        )
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"--base-url must be an http(s) URL, got {base_url!r}",
            hint="pass the preview's URL, e.g. --base-url https://pr-12.preview.example.com",
        )
    dirs = list(extra_dirs)
    env_dirs = os.environ.get("PREVIEW_SMOKE_EXTRA_DIR", "")
    dirs += [d for d in env_dirs.split(os.pathsep) if d]
    for directory in dirs:
        if not Path(directory).is_dir():
            raise UsageError(
                f"extra smoke test folder {directory!r} does not exist",
                hint="fix --extra-dir / PREVIEW_SMOKE_EXTRA_DIR or create the folder",
            )
    outcomes = _Outcomes()
    args = pytest_args(base_url, junit=junit, extra_dirs=dirs, settings=settings, verbose=verbose)
    start = time.monotonic()
    code = pytest.main(args, plugins=[outcomes])
    ok = code == pytest.ExitCode.OK
    line = summary_line(base_url, outcomes, time.monotonic() - start, ok=ok)
    click.echo(line)
    sys.stdout.flush()
    if code == pytest.ExitCode.USAGE_ERROR:
        raise UsageError("the smoke suite rejected its settings", hint="see the pytest error above")
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise UsageError("no smoke tests were collected", hint="check --extra-dir")
    if not ok or outcomes.failed:
        raise SmokeFailedError(
            f"{len(outcomes.failed)} smoke test(s) failed against {base_url}",
            hint="read the failures above" + (f" or the JUnit report {junit}" if junit else ""),
        )
