"""Fixtures of the smoke-gate tests: the gate in moto (tests/smoke/moto_gate.py), small HTTP
servers, and the reference app over real MariaDB and OpenSearch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.smoke.moto_gate import Gate, deployed_gate

REPO = Path(__file__).resolve().parents[2]
SEARCH_SPEC = REPO / "examples" / "app" / "search-spec.yaml"
SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HealthState:
    """What the stand-in app's /healthz answers; tests flip it."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"status": "ok", "sha": SHA})
    location: str | None = None
    # Answer 503 to this many requests first, like an app still starting.
    unhealthy_first: int = 0
    requests: int = 0

    def reset(self) -> None:
        self.__dict__.update(HealthState().__dict__)


@contextmanager
def loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on a free loopback port from a daemon thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def health_server() -> Iterator[tuple[str, HealthState]]:
    """A loopback server answering every GET from a HealthState (healthy until a test flips it);
    yields its base URL and the state."""
    state = HealthState()

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            state.requests += 1
            starting = state.requests <= state.unhealthy_first
            body = json.dumps(state.body).encode()
            self.send_response(503 if starting else state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with loopback(Handler) as url:
        yield url, state


@contextmanager
def redirector(status: int, to: str) -> Iterator[str]:
    """A loopback listener answering every GET with `status` to `to` + the request's path (an
    ALB's port-80 listener); yields its URL."""

    class Redirect(_QuietHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Location", f"{to}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    with loopback(Redirect) as url:
        yield url


@pytest.fixture(scope="module")
def _health_server() -> Iterator[tuple[str, HealthState]]:
    with health_server() as served:
        yield served


@pytest.fixture
def health_app(_health_server: tuple[str, HealthState]) -> tuple[str, HealthState]:
    """A loopback server answering /healthz from a HealthState (healthy at the start of a test)."""
    _health_server[1].reset()
    return _health_server


@pytest.fixture
def gate(_moto_gate: Gate, health_app: tuple[str, HealthState]) -> Gate:
    """The smoke gate in moto in front of the stand-in health server.

    One account serves the module (building it takes seconds); each test starts from all tasks
    exiting 0 and no recorded commands or Lambda events.
    """
    _moto_gate.exit_codes.clear()
    _moto_gate.commands.clear()
    _moto_gate.lambda_events.clear()
    return _moto_gate


@pytest.fixture(scope="module")
def _moto_gate(_health_server: tuple[str, HealthState]) -> Iterator[Gate]:
    base_url, _ = _health_server
    with deployed_gate(base_url, f"{base_url}/healthz", SHA) as gate:
        yield gate


# --- the reference app on a loopback port, with real MariaDB and OpenSearch behind it ---

APP_SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


@pytest.fixture(scope="session")
def survey_db(mariadb_server: Any) -> Iterator[str]:
    """A fresh MariaDB database with a small survey dataset (examples/seed.py)."""
    import sqlalchemy as sa

    from examples.seed import populate

    url: str = mariadb_server.create_database()
    engine = sa.create_engine(url)
    populate(engine, rows=300, seed=7)
    engine.dispose()
    yield url
    mariadb_server.drop_database(url.rsplit("/", 1)[1].split("?", 1)[0])


@pytest.fixture(scope="session")
def survey_index(opensearch_url: str, survey_db: str) -> Iterator[str]:
    """`survey_db` seeded into OpenSearch by the real `preview sync` with the app's search spec.

    Yields the index prefix; the indices are deleted afterwards.
    """
    import uuid

    prefix = f"smoke-{uuid.uuid4().hex[:8]}-"
    env = {
        **os.environ,
        "PREVIEW_SYNC_DATABASE_URL": survey_db,
        "PREVIEW_SYNC_OPENSEARCH_URL": opensearch_url,
        "PREVIEW_SYNC_INDEX_PREFIX": prefix,
    }
    sync = [sys.executable, "-m", "preview.cli", "sync", "--spec", str(SEARCH_SPEC)]
    result = subprocess.run(
        sync, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"preview sync failed:\n{result.stdout}\n{result.stderr}"
    yield prefix
    subprocess.run(
        [*sync, "--delete-prefix"], cwd=REPO, env=env, capture_output=True, timeout=120, check=False
    )


@pytest.fixture(scope="session")
def reference_app(
    survey_db: str, survey_index: str, opensearch_url: str
) -> Iterator[tuple[str, Any]]:
    """examples/app served on a loopback port; yields (base URL, App)."""
    from examples.app.app import App, Settings, serve

    app = App(
        Settings(
            database_url=survey_db,
            search_url=opensearch_url,
            index_prefix=survey_index,
            sha=APP_SHA,
            slow_seconds=0.6,
        )
    )
    server, thread = serve(app)
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    app.engine.dispose()


@pytest.fixture
def app(reference_app: tuple[str, Any]) -> Iterator[tuple[str, Any]]:
    """The reference app, healthy at the start and the end of each test."""
    url, instance = reference_app
    instance.faults.clear()
    yield url, instance
    instance.faults.clear()


def run_smoke(base_url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `preview smoke`; returns (exit code, its summary line).

    The budget is generous unless a test sets one: on a loaded CI machine a healthy query may
    take seconds, and only test_slow_app_breaks_the_budget is about time.
    """
    budget = [] if "--budget-ms" in args else ["--budget-ms", "20000"]
    sha = [] if "--expected-sha" in args else ["--expected-sha", APP_SHA]
    command = [
        *(sys.executable, "-m", "preview.cli", "smoke", "--base-url", base_url),
        *budget,
        *sha,
        *args,
    ]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("smoke ")]
    assert lines, f"no summary line:\n{result.stdout}\n{result.stderr}"
    return result.returncode, lines[-1]


def failure(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(failed step, its error object) from a failed execution's cause."""
    step, separator, error = result["cause"].partition(" failed: ")
    assert separator, f"cause does not name a step: {result['cause']!r}"
    return step, json.loads(error)
