"""boto3 adapters against moto: the smoke state machine (moto runs the ASL) and the tagging API."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from contracts.errors import UNAVAILABLE, PreviewError
from preview import aws
from tests.cli.conftest import REGION

ROLE = "arn:aws:iam::123456789012:role/sfn"
CAUSE = (
    "Smoke failed with States.TaskFailed: 2 failed: "
    "tests/smoke/test_app.py::test_home_page, tests/smoke/test_app.py::test_search_finds_seed"
)


def _machine(sfn: Any, name: str, states: dict[str, Any], start: str) -> str:
    definition = json.dumps({"StartAt": start, "States": states})
    arn: str = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)[
        "stateMachineArn"
    ]
    return arn


def test_smoke_success_is_reported_as_passed(moto: None) -> None:
    """A state machine that reaches its success state gives a passed verdict."""
    sfn = aws.client("stepfunctions", REGION)
    arn = _machine(
        sfn,
        "ok",
        {"Check": {"Type": "Pass", "Next": "Ready"}, "Ready": {"Type": "Succeed"}},
        "Check",
    )
    smoke = aws.StepFunctionsSmoke(sfn, timeout_s=60, poll_s=0.05)
    result = smoke.run(arn, "pr-12-abcdef1-20300101T000000", {"pr": 12})
    assert result.passed and result.execution_arn.startswith("arn:aws:states:")


def test_smoke_failure_names_the_failing_tests(moto: None) -> None:
    """A Fail state's cause is parsed: status FAILED and the failing test ids, in order."""
    sfn = aws.client("stepfunctions", REGION)
    arn = _machine(
        sfn,
        "bad",
        {
            "Check": {"Type": "Pass", "Next": "SmokeFailed"},
            "SmokeFailed": {"Type": "Fail", "Error": "SmokeFailed", "Cause": CAUSE},
        },
        "Check",
    )
    result = aws.StepFunctionsSmoke(sfn, timeout_s=60, poll_s=0.05).run(arn, "pr-12-x", {})
    assert result.status == "FAILED"
    assert result.failed_tests == (
        "tests/smoke/test_app.py::test_home_page",
        "tests/smoke/test_app.py::test_search_finds_seed",
    )


TASK = "arn:aws:ecs:us-east-1:123456789012:task/pp-pr-12/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
LOG_GROUP = "/preview-platform/pr-12/smoke"


def _failed_step(sfn: Any, step: str) -> str:
    """A machine failing as the real gate does when a tools task exits non-zero."""
    error = json.dumps({"Error": f"{step}.NonZeroExit", "Cause": f"task {TASK} exited with code 5"})
    fail = {"Type": "Fail", "Error": f"{step}Failed", "Cause": f"{step} failed: {error}"}
    return _machine(sfn, f"gate-{step}", {f"{step}Failed": fail}, f"{step}Failed")


def _task_logged(lines: list[str]) -> None:
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=LOG_GROUP)
    stream = "tools/tools/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    # CloudWatch drops events stamped in the future: log them as of now.
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i - len(lines), "message": m} for i, m in enumerate(lines)]
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=events)


def test_failing_tests_are_read_from_the_smoke_task_log(moto: None) -> None:
    """Step Functions only knows the exit code: the names come from the runner's summary line."""
    sfn = aws.client("stepfunctions", REGION)
    _task_logged(
        [
            "FAILED smoke/suite/test_app.py::test_home_page - AssertionError",
            "smoke FAILED against https://pr-12.x: 4 passed, 2 failed "
            "(test_home_page, test_response_time_budget[/search]) in 3.1s",
        ]
    )
    smoke = aws.StepFunctionsSmoke(sfn, logs=aws.client("logs", REGION), timeout_s=60, poll_s=0.05)
    result = smoke.run(_failed_step(sfn, "Smoke"), "pr-12-x", {}, LOG_GROUP)
    assert result.failed_tests == ("test_home_page", "test_response_time_budget[/search]")
    assert result.detail.startswith("SmokeFailed: smoke FAILED against https://pr-12.x")


def test_a_failed_seed_says_what_the_sync_printed_last(moto: None) -> None:
    """No test ran; the sync's last line explains the exit code."""
    sfn = aws.client("stepfunctions", REGION)
    _task_logged(["sync items: 12000 rows", "error: 3 documents rejected (mapper_parsing)"])
    smoke = aws.StepFunctionsSmoke(sfn, logs=aws.client("logs", REGION), timeout_s=60, poll_s=0.05)
    result = smoke.run(_failed_step(sfn, "SeedSearch"), "pr-12-x", {}, LOG_GROUP)
    assert result.failed_tests == ()
    assert result.detail == "SeedSearchFailed: error: 3 documents rejected (mapper_parsing)"


def test_an_unreadable_task_log_leaves_the_verdict_standing(moto: None) -> None:
    """No stream (the task never started) or no log group: FAILED, with the step's own cause."""
    sfn = aws.client("stepfunctions", REGION)
    smoke = aws.StepFunctionsSmoke(sfn, logs=aws.client("logs", REGION), timeout_s=60, poll_s=0.05)
    result = smoke.run(_failed_step(sfn, "Smoke"), "pr-12-x", {}, LOG_GROUP)
    assert result.status == "FAILED" and result.failed_tests == ()
    assert result.detail.endswith('exited with code 5"}')


def test_execution_input_reaches_the_state_machine(moto: None) -> None:
    """The payload (pr, sha, url) is the execution's input, as JSON."""
    sfn = aws.client("stepfunctions", REGION)
    arn = _machine(sfn, "echo", {"Done": {"Type": "Succeed"}}, "Done")
    result = aws.StepFunctionsSmoke(sfn, timeout_s=60, poll_s=0.05).run(
        arn, "pr-1-a", {"pr": 1, "sha": "abc1234", "url": "https://pr-1.x"}
    )
    desc = sfn.describe_execution(executionArn=result.execution_arn)
    assert json.loads(desc["input"]) == {"pr": 1, "sha": "abc1234", "url": "https://pr-1.x"}


def test_missing_state_machine_is_an_unavailable_error(moto: None) -> None:
    """Starting a state machine that does not exist fails through the funnel, not a traceback."""
    sfn = aws.client("stepfunctions", REGION)
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nope"
    with pytest.raises(PreviewError) as err:
        aws.StepFunctionsSmoke(sfn, timeout_s=1, poll_s=0.01).run(missing, "x", {})
    assert err.value.exit_code == UNAVAILABLE


class _ForeverRunning:
    """A Step Functions client whose execution never finishes (moto always finishes)."""

    def __init__(self) -> None:
        self.stopped: list[str] = []

    def start_execution(self, **kw: Any) -> dict[str, Any]:
        return {"executionArn": "arn:aws:states:us-east-1:1:execution:m:x"}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return {"status": "RUNNING", "executionArn": executionArn}

    def stop_execution(self, executionArn: str, **kw: Any) -> dict[str, Any]:
        self.stopped.append(executionArn)
        return {}


def test_smoke_timeout_stops_the_execution() -> None:
    """Past smoke_timeout_s the execution is stopped and the verdict is TIMED_OUT."""
    t = [0.0]
    client = _ForeverRunning()
    smoke = aws.StepFunctionsSmoke(
        client,
        timeout_s=30,
        poll_s=5,
        sleep=lambda s: t.__setitem__(0, t[0] + s),
        clock=lambda: t[0],
    )
    result = smoke.run("arn:m", "n", {})
    assert result.status == "TIMED_OUT" and client.stopped == [result.execution_arn]


def test_tagging_finds_every_preview_resource_across_pages(moto: None) -> None:
    """All 130 resources tagged preview:pr are found (pagination), untagged ones are not."""
    sqs = boto3.client("sqs", region_name=REGION)
    for i in range(130):
        pr = i % 13 + 1
        sqs.create_queue(
            QueueName=f"pp-pr-{pr}-q{i}",
            tags={"preview:pr": str(pr), "preview:expires-at": "2030-01-01T00:00:00Z"},
        )
    sqs.create_queue(QueueName="staging-q", tags={"managed-by": "preview-platform"})
    found = aws.TaggingResources(aws.client("resourcegroupstaggingapi", REGION)).find()
    assert len(found) == 130
    assert {r.pr for r in found} == set(range(1, 14))
    assert all(r.expires_at is not None and r.expires_at.year == 2030 for r in found)
    assert not [r for r in found if "staging" in r.arn]


def test_up_reports_a_failing_smoke_machine_run_by_moto(
    moto: None, make_deps: Any, clock: Any
) -> None:
    """up against a real (moto) state machine that fails: exit 5 and the tests named in the PR."""
    from contracts.errors import SMOKE_FAILED
    from preview.up import up
    from tests.cli.fakes import FakeAutomation, FakeReporter

    sfn = aws.client("stepfunctions", REGION)
    arn = _machine(
        sfn,
        "pr-12-smoke",
        {"SmokeFailed": {"Type": "Fail", "Error": "SmokeFailed", "Cause": CAUSE}},
        "SmokeFailed",
    )
    auto = FakeAutomation(clock)
    real_up = auto.up

    def up_with_machine(stack: str, config: Any, on_output: Any) -> dict[str, Any]:
        return {**real_up(stack, config, on_output), "stateMachineArn": arn}

    auto.up = up_with_machine  # type: ignore[method-assign]
    reporter = FakeReporter({12})
    smoke = aws.StepFunctionsSmoke(sfn, timeout_s=60, poll_s=0.05)
    deps = make_deps(automation=auto, reporter=reporter, smoke=smoke)
    with pytest.raises(PreviewError) as err:
        up(deps, 12, "abcdef1234")
    assert err.value.exit_code == SMOKE_FAILED
    body = reporter.comments[12][-1]
    assert "tests/smoke/test_app.py::test_search_finds_seed" in body
    assert "console.aws.amazon.com/states/home?region=us-east-1" in body
    assert reporter.states[12] == ["in_progress", "failure"]
