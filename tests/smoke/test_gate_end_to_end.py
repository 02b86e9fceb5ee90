"""The whole smoke gate against the running reference app.

moto's ASL interpreter drives the state machine; the tools "containers" run the real
`preview sync` and `preview smoke` commands as subprocesses, and the health Lambda is the real
handler, so each verdict below comes from MariaDB, OpenSearch and the app over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest

from contracts.constants import tools_log_stream
from preview.aws import StepFunctionsSmoke
from tests.cli_main import preview_process
from tests.smoke.conftest import APP_SHA, SEARCH_SPEC, failure
from tests.smoke.moto_gate import LOG_GROUP, REGION, Gate, deployed_gate

pytestmark = pytest.mark.services


def _run_tools(command: list[str], environment: dict[str, str], task_arn: str) -> int:
    """The tools image: ENTRYPOINT ["preview"], the override's command and environment.

    Its output goes where the awslogs driver sends it: one event per line, in the task's stream.
    """
    result = preview_process(*command, env=environment, timeout=300)
    logs = boto3.client("logs", REGION)
    stream = tools_log_stream(task_arn)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    # CloudWatch refuses empty messages; the driver drops blank lines.
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    now = int(time.time() * 1000)
    if lines:
        logs.put_log_events(
            logGroupName=LOG_GROUP,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": line} for line in lines],
        )
    return result.returncode


@pytest.fixture(scope="module")
def _live_gate(
    reference_app: tuple[str, Any], survey_db: str, survey_index: str, opensearch_url: str
) -> Iterator[Gate]:
    url, _ = reference_app
    with deployed_gate(url, f"{url}/health", APP_SHA, execute=_run_tools) as gate:
        gate.targets = replace(
            gate.targets,
            sync_spec=str(SEARCH_SPEC),
            # Generous on a loaded CI machine; the budget check has its own test.
            smoke_args=["--budget-ms", "20000"],
            health_request_timeout_seconds=10,
            # The stack puts these in the tools task definition; here they come as overrides.
            sync_environment={
                "PREVIEW_SYNC_DATABASE_URL": survey_db,
                "PREVIEW_SYNC_OPENSEARCH_URL": opensearch_url,
                "PREVIEW_SYNC_INDEX_PREFIX": survey_index,
            },
        )
        yield gate


@pytest.fixture
def live_gate(_live_gate: Gate, app: tuple[str, Any]) -> Gate:
    """The gate in front of the reference app, which is healthy at the start of each test."""
    _live_gate.commands.clear()
    _live_gate.exit_codes.clear()
    _live_gate.lambda_events.clear()
    return _live_gate


def test_healthy_app_passes_the_whole_gate(live_gate: Gate) -> None:
    """Re-seeding search, the health check and the full smoke suite pass: the gate succeeds."""
    result = live_gate.run()
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert [command[0] for command in live_gate.commands] == ["sync", "smoke"]


def test_broken_db_endpoint_fails_in_smoke(live_gate: Gate, app: tuple[str, Any]) -> None:
    """A DB endpoint answering 500 passes the health check but fails the gate in Smoke."""
    _, instance = app
    instance.faults.add("db-error")
    result = live_gate.run()
    assert result["error"] == "SmokeFailed"
    assert failure(result)[1]["Cause"].endswith("exited with code 5")


def test_failing_smoke_tests_reach_the_verdict_through_the_task_log(
    live_gate: Gate, app: tuple[str, Any]
) -> None:
    """What `preview up` puts in the PR: the suite's failing test, read from the task's log."""
    _, instance = app
    instance.faults.add("db-error")
    logs = boto3.client("logs", REGION)
    smoke = StepFunctionsSmoke(live_gate.sfn, logs=logs, timeout_s=120, poll_s=0.1)
    result = smoke.run(live_gate.machine(), "pr-12-db-error", {}, LOG_GROUP)
    assert result.status == "FAILED"
    assert result.failed_tests == ("test_database_endpoint",)
    url = live_gate.targets.base_url
    assert result.detail.startswith(f"SmokeFailed: smoke FAILED against {url}")


def test_stale_build_fails_in_wait_healthy(live_gate: Gate, app: tuple[str, Any]) -> None:
    """An old build still serving never passes WaitHealthy, and the suite never runs."""
    _, instance = app
    instance.faults.add("stale-sha")
    result = live_gate.run()
    assert result["error"] == "WaitHealthyFailed"
    assert instance.settings.stale_sha in result["cause"]
    assert [command[0] for command in live_gate.commands] == ["sync"]


def test_cleanup_deletes_the_previews_indices_from_its_tools_task(
    live_gate: Gate, opensearch_url: str
) -> None:
    """`preview down`'s cleanup: the state machine runs the real `preview sync --delete-prefix`
    in the tools task; the preview's indices are gone, another preview's stay, and the count
    comes back from the task's log."""
    from opensearchpy import OpenSearch

    from preview.aws import StateMachineIndexCleanup

    client = OpenSearch(hosts=[opensearch_url])
    mine = ["pr-4713-responses-1", "pr-4713-surveys-1"]
    other = "pr-47130-responses-1"
    for name in [*mine, other]:
        client.indices.create(index=name)
    env = {**live_gate.targets.sync_environment, "PREVIEW_SYNC_INDEX_PREFIX": "pr-4713-"}
    try:
        machine = live_gate.machine(sync_environment=env)
        cleanup = StateMachineIndexCleanup(
            live_gate.sfn, logs=boto3.client("logs", REGION), timeout_s=120, poll_s=0.1
        )
        outputs = {"stateMachineArn": machine, "smokeLogGroupName": LOG_GROUP}
        assert cleanup.delete(4713, outputs) == 2
        assert live_gate.commands == [["sync", "--delete-prefix"]]
        assert not any(client.indices.exists(index=name) for name in mine)
        assert client.indices.exists(index=other)
    finally:
        client.indices.delete(index=f"{other},{','.join(mine)}", ignore_unavailable=True)


def test_a_failed_cleanup_is_an_unavailable_error(live_gate: Gate) -> None:
    """A cleanup task that fails raises UnavailableError naming the PR and the execution."""
    from contracts.errors import UnavailableError
    from preview.aws import StateMachineIndexCleanup

    live_gate.exit_codes["sync"] = 3
    cleanup = StateMachineIndexCleanup(live_gate.sfn, timeout_s=120, poll_s=0.1)
    with pytest.raises(UnavailableError, match="pr-12 failed in its tools task"):
        cleanup.delete(12, {"stateMachineArn": live_gate.machine()})
