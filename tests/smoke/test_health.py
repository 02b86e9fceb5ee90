"""The health-check Lambda handler, over real HTTP against the reference app."""

from __future__ import annotations

import json
from typing import Any

import pytest

from smoke.health import Unhealthy, check, handler
from tests.smoke.conftest import APP_SHA

pytestmark = pytest.mark.services


def _event(url: str, sha: str = APP_SHA) -> dict[str, Any]:
    return {"url": f"{url}/health", "expected_sha": sha, "timeout_seconds": 5}


def test_healthy_app_passes(app: tuple[str, Any]) -> None:
    """A healthy app running the expected commit gets a healthy verdict carrying its sha."""
    url, _ = app
    verdict = handler(_event(url), None)
    assert verdict["healthy"] is True
    assert verdict["sha"] == APP_SHA


def test_abbreviated_expected_sha_does_not_prove_the_commit(app: tuple[str, Any]) -> None:
    """A full sha reported against a short expected one may be another commit: refused."""
    url, _ = app
    with pytest.raises(Unhealthy) as excinfo:
        handler(_event(url, APP_SHA[:7]), None)
    assert "another commit" in excinfo.value.verdict["reason"]


def test_stale_sha_is_unhealthy(app: tuple[str, Any]) -> None:
    """An app still serving an older build fails, and the verdict says which sha it runs."""
    url, instance = app
    instance.faults.add("stale-sha")
    with pytest.raises(Unhealthy) as excinfo:
        handler(_event(url), None)
    verdict = json.loads(str(excinfo.value))
    assert verdict["healthy"] is False
    assert verdict["sha"] == instance.settings.stale_sha
    assert APP_SHA in verdict["reason"]


def test_login_redirect_is_unhealthy(app: tuple[str, Any]) -> None:
    """A 302 to a login page is not followed and not healthy."""
    url, instance = app
    instance.faults.add("login-redirect")
    with pytest.raises(Unhealthy) as excinfo:
        handler(_event(url), None)
    assert excinfo.value.verdict["status"] == 302
    assert "/login" in excinfo.value.verdict["reason"]


def test_slow_app_times_out(app: tuple[str, Any]) -> None:
    """A health endpoint slower than the request timeout is unhealthy, not a hung Lambda."""
    url, instance = app
    instance.faults.add("slow")  # 0.6 s per response in the fixture
    verdict = check(f"{url}/health", APP_SHA, timeout=0.2)
    assert verdict["healthy"] is False
    assert "timed out" in verdict["reason"]


def test_unreachable_app_is_unhealthy() -> None:
    """Nothing listening (the service not started yet) is a verdict, not a crash."""
    verdict = check("http://127.0.0.1:9/health", APP_SHA, timeout=1)
    assert verdict["healthy"] is False
    assert verdict["reason"].startswith("request failed")


def test_bad_event_names_the_field() -> None:
    """An event without an http(s) URL is refused with the field named."""
    with pytest.raises(ValueError, match=r"event\.url"):
        handler({"url": "pr-12.example.com/health"}, None)
