"""The health contract and the total deadline, against real misbehaving HTTP servers on loopback.

"Ready" must mean the preview serves the pushed commit, so a health answer that proves nothing
fails both the health Lambda (smoke.health.handler) and the gate's pytest suite (test_health, run
as `pytest -p smoke.suite.plugin` in a subprocess, as the Smoke task runs it). Each server below
is a raw socket: it can trickle bytes, never finish its headers or redirect to itself, which
http.server would not let a test do.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smoke.health import SHA_RULE, Unhealthy, check, handler, sha_matches
from smoke.suite import test_smoke as suite
from smoke.suite.plugin import Smoke

REPO = Path(__file__).resolve().parents[2]
SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
# Another commit whose sha starts with the same 7 characters.
TWIN = "a1b2c3d" + "9" * 33

Script = Callable[[socket.socket, "Server"], None]


class Server:
    """A loopback TCP server that runs `script(conn, server)` for every connection."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(30)
                _read_request(conn)
                self.requests += 1
                self.script(conn, self)
        except OSError:
            pass  # the client gave up: that is what these servers test

    def trickle(self, conn: socket.socket, data: bytes, every: float = 0.1) -> None:
        """Send one byte per `every` seconds: each read gets data long before a read timeout."""
        for i in range(len(data)):
            if self.stop.is_set():
                return
            conn.sendall(data[i : i + 1])
            time.sleep(every)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _response(
    body: bytes, status: str = "200 OK", ctype: str = "application/json", extra: str = ""
) -> tuple[bytes, bytes]:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        f"{extra}Connection: close\r\n\r\n"
    ).encode()
    return head, body


def _answer(body: bytes, **kw: str) -> Script:
    def script(conn: socket.socket, server: Server) -> None:
        head, payload = _response(body, **kw)
        conn.sendall(head + payload)

    return script


HEALTHY = json.dumps({"status": "ok", "sha": SHA}).encode()


@pytest.fixture
def serve() -> Iterator[Callable[[Script], Server]]:
    servers: list[Server] = []

    def start(script: Script) -> Server:
        servers.append(Server(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _gate_health(url: str, expected: str = SHA, timeout: float = 5) -> str | None:
    """The smoke suite's test_health with its `smoke` fixture, in-process: None or the failure."""
    smoke = Smoke(
        base_url=url,
        expected_sha=expected,
        health_path="/health",
        db_path="/api/surveys",
        search_path="/api/search",
        search_query="x",
        search_min_hits=1,
        http_url="",
        budget_ms=2000,
        timeout_s=timeout,
    )
    try:
        suite.test_health(smoke)
    except (AssertionError, pytest.fail.Exception) as exc:
        return str(exc)
    return None


def _gate(url: str, expected: str = SHA, timeout: float = 5) -> subprocess.CompletedProcess[str]:
    """The smoke suite's test_health, as the Smoke task runs the suite (a pytest subprocess)."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "smoke.suite.plugin", "smoke/suite"),
            *("-k", "test_health", "-c", os.devnull, "-p", "no:cacheprovider", "-q"),
            *("--rootdir", "smoke/suite", "--confcutdir", "smoke/suite"),
            *("--smoke-base-url", url, "--smoke-expected-sha", expected),
            *("--smoke-timeout-s", str(timeout)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# (case, body, content type, expected sha given to the gate)
PROVES_NOTHING = [
    ("plain text OK", b"OK", "text/plain", SHA),
    (
        "HTML error page holding the sha",
        f"<html>502 Bad Gateway {SHA}</html>".encode(),
        "text/html",
        SHA,
    ),
    ("JSON array", json.dumps([{"status": "ok", "sha": SHA}]).encode(), "application/json", SHA),
    ("no sha", b'{"status": "ok"}', "application/json", SHA),
    ("empty sha", b'{"status": "ok", "sha": ""}', "application/json", SHA),
    (
        "sha under another key",
        json.dumps({"status": "ok", "commit": SHA}).encode(),
        "application/json",
        SHA,
    ),
    ("no status", json.dumps({"sha": SHA}).encode(), "application/json", SHA),
    (
        "status not ok",
        json.dumps({"status": "degraded", "sha": SHA}).encode(),
        "application/json",
        SHA,
    ),
    (
        "prefix shorter than 7",
        json.dumps({"status": "ok", "sha": SHA[:6]}).encode(),
        "application/json",
        SHA,
    ),
    (
        "another commit sharing the short expected prefix",
        json.dumps({"status": "ok", "sha": TWIN}).encode(),
        "application/json",
        SHA[:7],
    ),
    (
        "sha with spaces",
        json.dumps({"status": "ok", "sha": f" {SHA} "}).encode(),
        "application/json",
        SHA,
    ),
    (
        "upper-case sha",
        json.dumps({"status": "ok", "sha": SHA.upper()}).encode(),
        "application/json",
        SHA,
    ),
    (
        "sha key twice",
        f'{{"status": "ok", "sha": "{TWIN}", "sha": "{SHA}"}}'.encode(),
        "application/json",
        SHA,
    ),
    ("JSON served as HTML", HEALTHY, "text/html", SHA),
    ("not UTF-8", b'{"status": "ok", "sha": "\xff\xfe"}', "application/json", SHA),
]


@pytest.mark.parametrize(
    ("case", "body", "ctype", "expected"), PROVES_NOTHING, ids=[c[0] for c in PROVES_NOTHING]
)
def test_health_answer_that_proves_nothing_fails_lambda_and_gate(
    serve: Callable[[Script], Server], case: str, body: bytes, ctype: str, expected: str
) -> None:
    """Only {"status": "ok", "sha": <the commit or a >= 7-char prefix>} as JSON passes."""
    server = serve(_answer(body, ctype=ctype))
    with pytest.raises(Unhealthy) as excinfo:
        handler({"url": f"{server.url}/health", "expected_sha": expected}, None)
    assert excinfo.value.verdict["healthy"] is False
    assert _gate_health(server.url, expected) is not None


def test_gate_subprocess_fails_an_html_page_holding_the_sha(
    serve: Callable[[Script], Server],
) -> None:
    """Wired as the Smoke task runs it: pytest exits 1 with test_health failed."""
    server = serve(_answer(f"<html>502 Bad Gateway {SHA}</html>".encode(), ctype="text/html"))
    gate = _gate(server.url)
    assert gate.returncode == 1, gate.stdout  # pytest: tests failed
    assert "1 failed" in gate.stdout and "text/html" in gate.stdout, gate.stdout


@pytest.mark.parametrize("reported", [SHA, SHA[:7], SHA[:12]])
def test_commit_or_its_prefix_passes_lambda_and_gate(
    serve: Callable[[Script], Server], reported: str
) -> None:
    """The app may abbreviate its sha to any prefix of at least 7 hex characters."""
    server = serve(_answer(json.dumps({"status": "ok", "sha": reported, "checks": {}}).encode()))
    verdict = handler({"url": f"{server.url}/health", "expected_sha": SHA}, None)
    assert verdict["healthy"] is True and verdict["sha"] == reported
    assert _gate_health(server.url) is None


def test_abbreviation_rule_is_one_function() -> None:
    """The rule the Lambda and suite share: reported is a >= 7 lowercase-hex prefix of expected."""
    assert sha_matches(SHA[:7], SHA) and sha_matches(SHA, SHA)
    assert not sha_matches(SHA[:6], SHA)
    assert not sha_matches(SHA, SHA[:7])  # the expected side is never the abbreviated one
    assert not sha_matches("g" * 7, "g" * 40)
    assert "at least 7" in SHA_RULE


def test_missing_expected_sha_is_a_configuration_error(serve: Callable[[Script], Server]) -> None:
    """Without an expected sha nothing can be proven: the Lambda refuses the event, the suite
    refuses to start (pytest usage error, exit 4)."""
    server = serve(_answer(HEALTHY))
    with pytest.raises(ValueError, match=r"event\.expected_sha"):
        handler({"url": f"{server.url}/health", "expected_sha": ""}, None)
    gate = _gate(server.url, expected="")
    assert gate.returncode == 4
    assert "PREVIEW_SMOKE_EXPECTED_SHA" in gate.stderr


# --- one total deadline, however the server behaves ------------------------------------------


def _slow_body(conn: socket.socket, server: Server) -> None:
    head, body = _response(HEALTHY)
    conn.sendall(head)
    server.trickle(conn, body)


def _endless_header(conn: socket.socket, server: Server) -> None:
    head, body = _response(HEALTHY, extra="X-Padding: " + "a" * 80 + "\r\n")
    server.trickle(conn, head)
    conn.sendall(body)


def _slow_status_line(conn: socket.socket, server: Server) -> None:
    head, body = _response(HEALTHY)
    server.trickle(conn, head[:40])
    conn.sendall(head[40:] + body)


def _silent(conn: socket.socket, server: Server) -> None:
    server.stop.wait(30)


# Each of these eventually sends a perfectly healthy answer, 5-10 s late: a per-read timeout
# (the old behaviour) waits for it and says "healthy"; one total deadline says "timed out".
SLOW = [
    ("slowloris body", _slow_body),
    ("never-ending header", _endless_header),
    ("slow status line", _slow_status_line),
    ("accepts and says nothing", _silent),
]


@pytest.mark.parametrize(("case", "script"), SLOW, ids=[c[0] for c in SLOW])
def test_lambda_exchange_is_bounded_by_one_deadline(
    serve: Callable[[Script], Server], case: str, script: Script
) -> None:
    """However slowly the server trickles its answer, the verdict is 'timed out', not healthy."""
    server = serve(script)
    verdict = check(f"{server.url}/health", SHA, timeout=0.5)
    assert verdict["healthy"] is False
    assert "timed out" in verdict["reason"], verdict


@pytest.mark.parametrize(("case", "script"), SLOW[:3], ids=[c[0] for c in SLOW[:3]])
def test_gate_exchange_is_bounded_by_one_deadline(
    serve: Callable[[Script], Server], case: str, script: Script
) -> None:
    """The smoke suite's requests get the same total deadline (--smoke-timeout-s)."""
    server = serve(script)
    failure = _gate_health(server.url, timeout=0.5)
    assert failure is not None and "timed out" in failure, failure


def test_redirect_loop_costs_one_request(serve: Callable[[Script], Server]) -> None:
    """A redirect to itself is not followed: one request, unhealthy, the Location named."""

    def loop(conn: socket.socket, server: Server) -> None:
        head, _ = _response(b"", status="302 Found", extra=f"Location: {server.url}/health\r\n")
        conn.sendall(head)

    server = serve(loop)
    verdict = check(f"{server.url}/health", SHA, timeout=2)
    assert (verdict["healthy"], verdict["status"], server.requests) == (False, 302, 1)
    assert "/health" in verdict["reason"]


def test_endless_headers_are_refused(serve: Callable[[Script], Server]) -> None:
    """A server that sends header lines forever gets a verdict, not an unbounded read."""

    def flood(conn: socket.socket, server: Server) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not server.stop.is_set():
            conn.sendall(b"X-More: yes\r\n" * 50)

    server = serve(flood)
    verdict = check(f"{server.url}/health", SHA, timeout=2)
    assert verdict["healthy"] is False
    assert "request failed" in verdict["reason"] or "timed out" in verdict["reason"]


def test_endless_body_is_cut_at_the_limit(serve: Callable[[Script], Server]) -> None:
    """A body that never ends (no length, no close) fails within the deadline."""

    def endless(conn: socket.socket, server: Server) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        while not server.stop.is_set():
            conn.sendall(b" " * 4096)

    server = serve(endless)
    verdict = check(f"{server.url}/health", SHA, timeout=2)
    assert verdict["healthy"] is False
