"""Health-check Lambda of the smoke gate (standard library only: it is zipped as a single file).

Event (built by smoke/definition.py):
    {"url": "https://pr-12.preview.example.com/health", "expected_sha": "<sha>",
     "timeout_seconds": 5}

"Healthy" means the preview serves the pushed commit, so the answer must prove it. The one health
contract, shared by this Lambda and the pytest smoke suite (smoke/suite/test_smoke.py):

* GET url answers 200 itself: redirects are NOT followed (a 302 to an auth proxy's login page
  means the smoke suite would not reach the app either, and a redirect loop costs one request);
* with a JSON body (Content-Type application/json) holding one object, no key twice;
* whose `status` is the string "ok";
* and whose `sha` obeys SHA_RULE against the expected sha (see `sha_matches`).

A plain-text "OK", an HTML error page that happens to contain the sha, a missing or empty sha, a
sha that is a different commit sharing a prefix: each is refused, with the reason in the verdict.

Every exchange is bounded by ONE total deadline (connect, TLS, request, status line, headers,
body), however the server behaves: a server trickling its headers or body one byte at a time
cannot stretch it, as a per-read socket timeout would let it (see `fetch`).

Healthy: returns the verdict as a dict. Not healthy: raises `Unhealthy`, whose message is the JSON
verdict. Lambda reports the exception class name as the error type, so the state machine's
Retry/Catch match on the error name "Unhealthy" and its cause carries the verdict. A bad event
(no URL, no valid expected sha) raises ValueError: a configuration error no retry can fix.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_BODY_BYTES = 64 * 1024

# The abbreviation rule, stated once for the Lambda and the smoke suite.
SHA_RULE = (
    "the health JSON's `sha` must be the expected commit sha or a prefix of it of at least 7 "
    "lowercase hex characters"
)
_HEX_SHA = re.compile(r"[0-9a-f]{7,64}")  # 40 for SHA-1 repositories, 64 for SHA-256 ones


# The class name is the Step Functions error name, hence no `Error` suffix.
class Unhealthy(Exception):
    """The app is not (yet) healthy; str(exc) is the JSON verdict."""

    def __init__(self, verdict: dict[str, Any]) -> None:
        super().__init__(json.dumps(verdict, sort_keys=True))
        self.verdict = verdict


def valid_sha(value: object) -> bool:
    """A commit sha as git prints it: 7 to 64 lowercase hex characters, nothing around them."""
    return isinstance(value, str) and _HEX_SHA.fullmatch(value) is not None


def sha_matches(reported: object, expected: object) -> bool:
    """SHA_RULE: `reported` is `expected` or a prefix of it, both at least 7 lowercase hex.

    Only the reported side may be abbreviated: a full reported sha that merely starts with a
    short expected one may be another commit sharing that prefix, so it does not match.
    """
    return valid_sha(reported) and valid_sha(expected) and str(expected).startswith(str(reported))


def judge_health(
    status: int, headers: dict[str, str], body: bytes, expected_sha: str
) -> tuple[str | None, str | None]:
    """Apply the health contract to one response: (reason it fails or None, reported sha)."""
    if 300 <= status < 400:
        location = headers.get("location")
        return f"redirected to {location!r}; is URL protection in front of the app?", None
    if status != 200:
        return f"HTTP {status}, expected 200", None
    ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        return f"Content-Type {ctype or 'missing'!r}, expected application/json", None
    try:
        payload = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError) as exc:
        return f"body is not JSON ({exc}): {body[:80]!r}", None
    if not isinstance(payload, dict):
        return f"body is JSON {type(payload).__name__}, expected an object", None
    app_status = payload.get("status")
    if app_status != "ok":
        return f"app reports status {app_status!r}, expected 'ok'", None
    reported = payload.get("sha")
    if not isinstance(reported, str) or not reported:
        return f"no `sha` string in the health JSON (got {reported!r}); {SHA_RULE}", None
    if not sha_matches(reported, expected_sha):
        if valid_sha(reported) and reported.startswith(expected_sha):
            why = f"a longer sha may be another commit sharing the prefix; {SHA_RULE}"
        elif valid_sha(reported):
            why = "old deployment still live?"
        else:
            why = SHA_RULE
        return f"app runs {reported!r}, expected {expected_sha}: {why}", reported
    return None, reported


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"key(s) {dupes} appear twice")
    return dict(pairs)


# --- one HTTP exchange under one total deadline ----------------------------------------------


class DeadlineExceeded(TimeoutError):
    """The whole exchange did not finish within its total deadline."""


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes  # at most max_body bytes
    truncated: bool


class _DeadlineSocket:
    """A socket whose every send/receive may wait only for what is left of one deadline.

    A plain socket timeout restarts with every read, so a server sending a byte per second keeps
    a 5 s timeout from ever firing; here each call gets `deadline - now` and none after it.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline
        # http.client closes the connection once the response owns it (Connection: close);
        # like socket.socket, keep the descriptor open until the response's reader is closed.
        self._io_refs = 0
        self._closed = False

    def _arm(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("total deadline exceeded")
        self._sock.settimeout(left)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes)

    def recv(self, bufsize: int) -> bytes:
        self._arm()
        return self._sock.recv(bufsize)

    def sendall(self, data: Any) -> None:
        self._arm()  # since Python 3.5 the timeout bounds the whole sendall
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        self._io_refs += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:  # called by SocketIO.close
        self._io_refs -= 1
        if self._closed and self._io_refs <= 0:
            self._sock.close()

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._closed = True
        if self._io_refs <= 0:
            self._sock.close()

    def setsockopt(self, *args: Any) -> None:
        self._sock.setsockopt(*args)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("total deadline exceeded")
    return left


class _DeadlineConnection:
    _deadline: float

    def connect(self) -> None:
        # The connect and the TLS handshake get what is left; CPython bounds the handshake by
        # its socket timeout as a whole. Name resolution is not bounded (getaddrinfo has no
        # timeout), but it does not depend on how the server behaves.
        self.timeout = _left(self._deadline)
        super().connect()  # type: ignore[misc]
        self.sock = _DeadlineSocket(self.sock, self._deadline)  # type: ignore[has-type]


class _HTTP(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _HTTPS(_DeadlineConnection, http.client.HTTPSConnection):
    pass


def fetch(
    url: str,
    *,
    timeout: float,
    accept: str = "*/*",
    max_body: int = MAX_BODY_BYTES,
    context: ssl.SSLContext | None = None,
) -> Fetched:
    """GET `url` once, never following redirects, all of it within `timeout` seconds.

    Raises DeadlineExceeded, OSError (refused, reset, TLS) or http.client.HTTPException (not
    HTTP, more than 100 headers, a header line over 64 KiB).
    """
    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        context = context or ssl.create_default_context()
        conn = _HTTPS(parts.hostname, parts.port, timeout=timeout, context=context)
    else:
        conn = _HTTP(parts.hostname, parts.port, timeout=timeout)
    conn._deadline = deadline  # type: ignore[attr-defined]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    response: http.client.HTTPResponse | None = None
    try:
        conn.request(
            "GET",
            target,
            headers={"Accept": accept, "Connection": "close", "User-Agent": "preview-smoke"},
        )
        response = conn.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        body = response.read(max_body + 1) if response.status not in (204, 304) else b""
        return Fetched(response.status, headers, body[:max_body], len(body) > max_body)
    except TimeoutError:  # every wait was armed with what was left, so this is the deadline
        raise DeadlineExceeded(f"no complete answer within {timeout:g}s") from None
    finally:
        if response is not None:
            response.close()
        conn.close()


def check(
    url: str, expected_sha: str = "", timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """GET `url` once and return the verdict: {"healthy", "url", "status", "reason", "sha", ...}."""
    verdict: dict[str, Any] = {"healthy": False, "url": url, "status": None, "sha": None}
    start = time.monotonic()
    try:
        got = fetch(url, timeout=timeout, accept="application/json")
    except DeadlineExceeded as exc:
        verdict["reason"] = f"request timed out: {exc}"
        return _finish(verdict, start)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        verdict["reason"] = f"request failed: {type(exc).__name__}: {exc}"
        return _finish(verdict, start)
    verdict["status"] = got.status
    if got.truncated:
        verdict["reason"] = f"body is larger than {MAX_BODY_BYTES} bytes"
        return _finish(verdict, start)
    reason, verdict["sha"] = judge_health(got.status, got.headers, got.body, expected_sha)
    verdict["healthy"] = reason is None
    verdict["reason"] = reason or "ok"
    return _finish(verdict, start)


def _finish(verdict: dict[str, Any], start: float) -> dict[str, Any]:
    verdict["elapsed_ms"] = round((time.monotonic() - start) * 1000)
    return verdict


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point: the verdict when healthy, `Unhealthy` raised otherwise."""
    url = event.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"event.url must be an http(s) URL, got {url!r}")
    expected = event.get("expected_sha")
    if not valid_sha(expected):
        raise ValueError(
            f"event.expected_sha must be the pushed commit (7-64 lowercase hex), got {expected!r}"
        )
    try:
        timeout = float(event.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
    except (TypeError, ValueError):
        timeout = -1.0
    if not 0 < timeout <= 900:
        raise ValueError(
            f"event.timeout_seconds must be a number of seconds in (0, 900], "
            f"got {event.get('timeout_seconds')!r}"
        )
    verdict = check(url, str(expected), timeout)
    if not verdict["healthy"]:
        raise Unhealthy(verdict)
    return verdict
