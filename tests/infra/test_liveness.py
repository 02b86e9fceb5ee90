"""Liveness (`/livez`, what the load balancer checks) touches neither the database nor search.

Any connection attempt resumes a paused Aurora Serverless v2 instance, and the ALB checks its
target every 15 s: a health check that opens a DB connection keeps the clone awake all day.
The reference app is served for real, with its database and search URLs pointing at TCP
listeners that count every connection they receive.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest


class CountingListener:
    """A TCP server that accepts, counts and closes every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        # close() alone does not wake a thread blocked in accept(); shutdown() does.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def app_over_counters() -> Iterator[tuple[str, CountingListener, CountingListener]]:
    from examples.app.app import App, Settings, serve

    db, search = CountingListener(), CountingListener()
    app = App(
        Settings(
            database_url=f"mysql+pymysql://app@127.0.0.1:{db.port}/app?connect_timeout=2",
            search_url=f"http://127.0.0.1:{search.port}",
        )
    )
    server, thread = serve(app)
    try:
        yield f"http://127.0.0.1:{server.server_port}", db, search
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.engine.dispose()
        db.close()
        search.close()


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_livez_answers_without_touching_database_or_search(
    app_over_counters: tuple[str, CountingListener, CountingListener],
) -> None:
    """GET /livez is 200 while the DB is unreachable, and no connection reaches DB or search."""
    url, db, search = app_over_counters
    for _ in range(3):
        status, body = _get(f"{url}/livez")
        assert (status, body.get("status")) == (200, "ok")
    assert (db.count, search.count) == (0, 0)


def test_readiness_still_checks_the_database(
    app_over_counters: tuple[str, CountingListener, CountingListener],
) -> None:
    """/health (readiness, what the smoke gate waits on) does reach the database: the counters
    see what a DB-touching path does, so the liveness test above can fail."""
    url, db, _ = app_over_counters
    status, body = _get(f"{url}/health")
    assert status == 503 and body["checks"]["database"] != "ok"
    assert db.count >= 1
