"""Health-check Lambda of the smoke gate (standard library only: it is zipped as a single file).

Event (built by smoke/definition.py):
    {"url": "https://pr-12.preview.example.com/healthz", "expected_sha": "<sha or empty>",
     "timeout_seconds": 5}

The app is healthy when GET url answers 200 directly (redirects are NOT followed: a 302 to an auth
proxy's login page means the smoke suite would not reach the app either), the body is JSON whose
`status` is "ok" (when present), and, when the app reports a commit sha, it matches the expected one
(either may be abbreviated; the shorter must be a prefix of the longer).

Healthy: returns the verdict as a dict. Not healthy: raises `Unhealthy`, whose message is the JSON
verdict. Lambda reports the exception class name as the error type, so the state machine's
Retry/Catch match on the error name "Unhealthy" and its cause carries the verdict.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_BODY_BYTES = 64 * 1024
# Keys apps commonly use for the deployed commit in their health JSON.
SHA_KEYS = ("sha", "commit", "commit_sha", "git_sha")
# Values of a health JSON's "status" that mean healthy.
HEALTHY_STATUSES = ("ok", "healthy", "pass", "up")


# The class name is the Step Functions error name, hence no `Error` suffix.
class Unhealthy(Exception):
    """The app is not (yet) healthy; str(exc) is the JSON verdict."""

    def __init__(self, verdict: dict[str, Any]) -> None:
        super().__init__(json.dumps(verdict, sort_keys=True))
        self.verdict = verdict


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # makes urllib raise HTTPError with the 3xx status instead of following it


_OPENER = urllib.request.build_opener(_NoRedirect)


def sha_matches(reported: str, expected: str) -> bool:
    """Same commit: either may be abbreviated (>= 7 chars), the shorter a prefix of the longer."""
    reported, expected = reported.strip().lower(), expected.strip().lower()
    if not reported or not expected:
        return False
    short, long_ = sorted((reported, expected), key=len)
    return len(short) >= 7 and long_.startswith(short)


def check(
    url: str, expected_sha: str = "", timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """GET `url` once and return the verdict: {"healthy", "url", "status", "reason", ...}."""
    verdict: dict[str, Any] = {"healthy": False, "url": url, "status": None}
    start = time.monotonic()
    request = urllib.request.Request(url, headers={"Accept": "application/json"}, method="GET")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            body = response.read(MAX_BODY_BYTES)
    except urllib.error.HTTPError as exc:
        verdict["status"] = exc.code
        location = exc.headers.get("Location") if exc.headers else None
        if 300 <= exc.code < 400:
            verdict["reason"] = (
                f"redirected to {location!r}; is URL protection in front of the app?"
            )
        else:
            verdict["reason"] = f"HTTP {exc.code}"
        return _finish(verdict, start)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        verdict["reason"] = f"request failed: {reason}"
        return _finish(verdict, start)

    verdict["status"] = status
    if status != 200:
        verdict["reason"] = f"HTTP {status}, expected 200"
        return _finish(verdict, start)
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        # A plain-text "OK" is a valid health answer; it just cannot report a sha.
        payload = {}
    app_status = payload.get("status")
    if app_status is not None and str(app_status).lower() not in HEALTHY_STATUSES:
        verdict["reason"] = f"app reports status {app_status!r}"
        return _finish(verdict, start)
    reported = next((str(payload[k]) for k in SHA_KEYS if payload.get(k)), "")
    verdict["sha"] = reported or None
    if reported and expected_sha and not sha_matches(reported, expected_sha):
        verdict["reason"] = (
            f"app runs {reported}, expected {expected_sha}: old deployment still live"
        )
        return _finish(verdict, start)
    verdict["healthy"] = True
    verdict["reason"] = "ok"
    return _finish(verdict, start)


def _finish(verdict: dict[str, Any], start: float) -> dict[str, Any]:
    verdict["elapsed_ms"] = round((time.monotonic() - start) * 1000)
    return verdict


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point: the verdict when healthy, `Unhealthy` raised otherwise."""
    url = event.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"event.url must be an http(s) URL, got {url!r}")
    timeout = float(event.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
    verdict = check(url, str(event.get("expected_sha") or ""), timeout)
    if not verdict["healthy"]:
        raise Unhealthy(verdict)
    return verdict
