"""The smoke gate's state machine, run by moto's ASL interpreter (see tests/smoke/moto_shims.py)."""

from __future__ import annotations

import json

from contracts.constants import CLEANUP_INPUT
from smoke.definition import health_retry_delays
from tests.smoke.conftest import SHA, HealthState, failure
from tests.smoke.moto_gate import Gate


def test_healthy_preview_passes_the_gate(gate: Gate) -> None:
    """Seed, health check and smoke all succeed: the execution succeeds."""
    result = gate.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")


def test_steps_run_in_order_with_their_commands(
    gate: Gate, health_app: tuple[str, HealthState]
) -> None:
    """Search is seeded before the health check; the suite runs against the preview URL."""
    base_url, _ = health_app
    gate.run()
    assert gate.commands == [
        ["sync", "--spec", "/app/search-spec.yaml"],
        ["smoke", "--base-url", base_url, "--expected-sha", SHA],
    ]
    assert gate.lambda_events == [
        {"url": f"{base_url}/healthz", "expected_sha": SHA, "timeout_seconds": 2}
    ]


def test_health_never_ready_fails_in_wait_healthy(
    gate: Gate, health_app: tuple[str, HealthState]
) -> None:
    """An app never turning healthy exhausts the retries; the cause names WaitHealthy."""
    _, state = health_app
    state.status = 503
    result = gate.run()
    assert result["status"] == "FAILED"
    assert result["error"] == "WaitHealthyFailed"
    step, error = failure(result)
    assert (step, error["Error"]) == ("WaitHealthy", "Unhealthy")
    assert "HTTP 503" in error["Cause"]


def test_health_is_retried_until_the_deadline(
    gate: Gate, health_app: tuple[str, HealthState]
) -> None:
    """WaitHealthy asks once, then once per retry of the schedule, and not more."""
    _, state = health_app
    state.status = 503
    gate.run()
    assert state.requests == 1 + len(health_retry_delays(gate.targets))


def test_app_recovering_within_the_deadline_passes(
    gate: Gate, health_app: tuple[str, HealthState]
) -> None:
    """A preview still starting at the first check passes once it turns healthy in time."""
    _, state = health_app
    state.unhealthy_first = len(health_retry_delays(gate.targets))
    result = gate.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")


def test_auth_redirect_is_not_healthy(gate: Gate, health_app: tuple[str, HealthState]) -> None:
    """A 302 to a login page (URL protection in front of the app) fails the gate in WaitHealthy."""
    _, state = health_app
    state.status = 302
    state.location = "https://sso.example.com/login"
    result = gate.run()
    assert result["error"] == "WaitHealthyFailed"
    assert "sso.example.com/login" in result["cause"]


def test_stale_deployment_fails_in_wait_healthy(
    gate: Gate, health_app: tuple[str, HealthState]
) -> None:
    """An app still serving the previous commit is not the preview of this sha."""
    _, state = health_app
    state.body = {"status": "ok", "sha": "f" * 40}
    result = gate.run()
    assert result["error"] == "WaitHealthyFailed"
    assert SHA in result["cause"]


def test_smoke_failure_fails_in_smoke(gate: Gate) -> None:
    """A smoke suite exiting non-zero fails the gate with a cause naming Smoke and the exit code."""
    gate.exit_codes["smoke"] = 1
    result = gate.run()
    assert result["status"] == "FAILED"
    assert result["error"] == "SmokeFailed"
    step, error = failure(result)
    assert (step, error["Error"]) == ("Smoke", "Smoke.NonZeroExit")
    assert error["Cause"].endswith("exited with code 1")


def test_seed_failure_stops_before_health(gate: Gate) -> None:
    """A failed search seed fails in SeedSearch and never runs the health check or the suite."""
    gate.exit_codes["sync"] = 2
    result = gate.run()
    assert result["error"] == "SeedSearchFailed"
    assert gate.lambda_events == []
    assert len(gate.commands) == 1


def test_failure_output_is_json_of_the_step_error(gate: Gate) -> None:
    """The execution history keeps the step's own error, so tooling can read it without parsing."""
    gate.exit_codes["smoke"] = 3
    result = gate.run()
    history = gate.sfn.get_execution_history(executionArn=result["executionArn"])["events"]
    entered = next(e for e in history if e["type"] == "FailStateEntered")[
        "stateEnteredEventDetails"
    ]
    assert json.loads(entered["input"])["error"]["Error"] == "Smoke.NonZeroExit"


def test_cleanup_input_deletes_the_indices_and_nothing_else(gate: Gate) -> None:
    """Input {"action": "cleanup"} runs only `sync --delete-prefix` in the tools task (inside
    the VPC, where the domain answers): no seeding, no health check, no smoke suite."""
    result = gate.run(CLEANUP_INPUT)
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert gate.commands == [["sync", "--delete-prefix"]]
    assert gate.lambda_events == []


def test_failed_cleanup_fails_the_execution(gate: Gate) -> None:
    """A cleanup task exiting non-zero fails the execution with CleanupSearchFailed, so
    `preview down` can tell the PR that indices were left behind."""
    gate.exit_codes["sync"] = 3
    result = gate.run(CLEANUP_INPUT)
    assert result["status"] == "FAILED"
    assert result["error"] == "CleanupSearchFailed"
    step, error = failure(result)
    assert step == "CleanupSearch" and "exited with code 3" in error["Cause"]


def test_pre_seeded_input_skips_seeding(gate: Gate, health_app: tuple[str, HealthState]) -> None:
    """`{"seeded": true}` (a new warm preview: the pool seeded its slot's indices) starts at
    the health check; the smoke suite still runs."""
    base_url, _ = health_app
    result = gate.run({"pr": 12, "seeded": True})
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert gate.commands == [["smoke", "--base-url", base_url, "--expected-sha", SHA]]
    assert len(gate.lambda_events) == 1


def test_a_seeder_seeds_or_cleans_and_nothing_else(gate: Gate) -> None:
    """A pool slot's seeder (no app: no health Lambda, no smoke) runs `sync --spec` alone, or
    with the cleanup input `sync --delete-prefix` alone."""
    seeder = {"health_function_arn": None, "base_url": None, "health_url": None}
    seeder["expected_sha"] = None
    result = gate.run({}, **seeder)
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert gate.commands == [["sync", "--spec", "/app/search-spec.yaml"]]
    gate.commands.clear()
    assert gate.run(CLEANUP_INPUT, **seeder)["status"] == "SUCCEEDED"
    assert gate.commands == [["sync", "--delete-prefix"]]
    assert gate.lambda_events == []
    gate.exit_codes["sync"] = 2
    failed = gate.run({}, **seeder)
    assert (failed["status"], failed["error"]) == ("FAILED", "SeedSearchFailed")
