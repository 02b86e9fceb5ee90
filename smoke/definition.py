"""Amazon States Language definition and IAM policy of a preview's smoke gate.

The state machine runs three steps and stops at the first that fails:

    SeedSearch  (ecs:runTask.sync, tools image: `preview sync --spec SPEC`)
    WaitHealthy (lambda:invoke of smoke/health.py, retried with backoff up to a deadline)
    Smoke       (ecs:runTask.sync, tools image: `preview smoke --base-url URL --expected-sha SHA`)

With input `{"seeded": true}` it starts at WaitHealthy: `preview up` passes it on the first
deploy of a preview whose indices a warm pool slot seeded ahead of time. A seeder (SmokeTargets
without the health and smoke fields) has SeedSearch alone. With input `{"action": "cleanup"}`
it runs only CleanupSearch (ecs:runTask.sync, tools image:
`preview sync --delete-prefix`): `preview down` starts it before destroying the stack, so the
indices are deleted from inside the VPC by the task role that owns them.

Every step has a Catch that leads to `<Step>Failed`, a Fail state with error `<Step>Failed` and
cause `<Step> failed: {"Error": <the step's error>, "Cause": <its cause>}`, so `DescribeExecution`
alone says what broke. ECS task results are also checked for the container's exit code: a task
that ran and exited non-zero fails the step even where the integration itself reports success.

Values from the stack (ARNs, URLs, subnets, the sha) are placed verbatim into the structures, never
formatted into strings, so the preview component may pass `pulumi.Output`s and serialize the result
with `pulumi.Output.json_dumps`. Everything this module computes (retry counts, timeouts) comes
from plain Python ints in `SmokeTargets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.constants import CLEANUP_INPUT, CLEANUP_STEP, SEEDED_INPUT
from smoke.targets import SmokeTargets, health_retry_delays, seed_only

# The health Lambda raises this error type when the app is not healthy yet (smoke/health.py);
# Step Functions uses the Python exception class name as the error name.
UNHEALTHY_ERROR = "Unhealthy"

# Transient Lambda service errors AWS recommends retrying for lambda:invoke.
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
]

SEED_STEP = "SeedSearch"
HEALTH_STEP = "WaitHealthy"
SMOKE_STEP = "Smoke"
STEPS = (SEED_STEP, HEALTH_STEP, SMOKE_STEP)
SUCCESS_STATE = "Ready"
# CLEANUP_INPUT runs only CLEANUP_STEP (contracts/constants.py says why).
ROUTE_STATE = "Route"
CLEANUP_DONE_STATE = "Cleaned"

# The rule Step Functions manages itself for every ecs:runTask.sync; its name is fixed by AWS.
ECS_SYNC_RULE = "StepFunctionsGetEventsForECSTaskRule"

__all__ = ["SmokeTargets", "build_definition", "build_role_policy", "health_retry_delays"]


def _container_env(env: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"Name": name, "Value": env[name]} for name in sorted(env)]


def _run_tools_task(t: SmokeTargets, command: list[Any], env: Mapping[str, Any]) -> dict[str, Any]:
    override: dict[str, Any] = {"Name": t.tools_container_name, "Command": command}
    if env:
        override["Environment"] = _container_env(env)
    return {
        "Cluster": t.cluster_arn,
        "TaskDefinition": t.tools_task_definition_arn,
        "LaunchType": "FARGATE",
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": t.subnets,
                "SecurityGroups": t.security_groups,
                "AssignPublicIp": "ENABLED" if t.assign_public_ip else "DISABLED",
            }
        },
        "Overrides": {"ContainerOverrides": [override]},
    }


def _catch_to(step: str) -> list[dict[str, Any]]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"{step}Failed"}]


def _ecs_step(step: str, params: dict[str, Any], timeout: int, next_state: str) -> dict[str, Any]:
    """A Task running the tools image, then a Choice on the container's exit code."""
    result = f"$.{step}"
    exit_code = f"{result}.Container.ExitCode"
    return {
        step: {
            "Type": "Task",
            "Resource": "arn:aws:states:::ecs:runTask.sync",
            "Parameters": params,
            "TimeoutSeconds": timeout,
            # Keep only what the exit-code check and the failure cause need: the full task
            # description is large. (Indexing here, not in the Choice, also sidesteps moto
            # returning `$.a[0].b` as a list.)
            "ResultSelector": {"TaskArn.$": "$.TaskArn", "Container.$": "$.Containers[0]"},
            "ResultPath": result,
            # Fargate capacity and API throttling are transient; a failed command is not.
            "Retry": [
                {
                    "ErrorEquals": ["ECS.AmazonECSException"],
                    "IntervalSeconds": 10,
                    "BackoffRate": 2.0,
                    "MaxAttempts": 2,
                }
            ],
            "Catch": _catch_to(step),
            "Next": f"{step}ExitCode",
        },
        f"{step}ExitCode": {
            "Type": "Choice",
            "Choices": [
                # A task stopped before its container ran has no exit code at all.
                {"Not": {"Variable": exit_code, "IsPresent": True}, "Next": f"{step}NotRun"},
                {"Variable": exit_code, "NumericEquals": 0, "Next": next_state},
            ],
            "Default": f"{step}ExitedNonZero",
        },
        f"{step}NotRun": {
            "Type": "Pass",
            "Parameters": {
                "Error": f"{step}.TaskNotRun",
                "Cause.$": f"States.Format('task {{}} stopped before its container exited', "
                f"{result}.TaskArn)",
            },
            "ResultPath": "$.error",
            "Next": f"{step}Failed",
        },
        f"{step}ExitedNonZero": {
            "Type": "Pass",
            "Parameters": {
                "Error": f"{step}.NonZeroExit",
                "Cause.$": f"States.Format('task {{}} exited with code {{}}', {result}.TaskArn, "
                f"{exit_code})",
            },
            "ResultPath": "$.error",
            "Next": f"{step}Failed",
        },
    }


def _fail_state(step: str) -> dict[str, Any]:
    return {
        f"{step}Failed": {
            "Type": "Fail",
            # A fixed error name per step (ErrorPath may not re-raise reserved `States.*` names).
            # The cause carries the step's whole error object: {"Error": ..., "Cause": ...}.
            # JsonToString of the object, not its fields, because some errors (timeouts) may
            # come without a Cause, and a missing path would fail this state with States.Runtime.
            "Error": f"{step}Failed",
            "CausePath": f"States.Format('{step} failed: {{}}', States.JsonToString($.error))",
        }
    }


def _is_input(key: str, value: Any) -> dict[str, Any]:
    # IsPresent first: comparing a missing path is a States.Runtime error.
    test = "StringEquals" if isinstance(value, str) else "BooleanEquals"
    return {
        "And": [{"Variable": f"$.{key}", "IsPresent": True}, {"Variable": f"$.{key}", test: value}]
    }


def _route(t: SmokeTargets) -> dict[str, Any]:
    """Cleanup input runs only the cleanup; `{"seeded": true}` (indices seeded ahead of time by
    the warm pool) skips SeedSearch; anything else starts with it."""
    choices = [{**_is_input("action", CLEANUP_INPUT["action"]), "Next": CLEANUP_STEP}]
    if not seed_only(t):
        choices.append({**_is_input(SEEDED_INPUT, True), "Next": HEALTH_STEP})
    return {ROUTE_STATE: {"Type": "Choice", "Choices": choices, "Default": SEED_STEP}}


def _sync_steps(t: SmokeTargets) -> dict[str, Any]:
    """CleanupSearch (`sync --delete-prefix`) and SeedSearch (`sync --spec`)."""
    prefix = list(t.command_prefix)
    cleanup = _run_tools_task(t, [*prefix, "sync", "--delete-prefix"], t.sync_environment)
    seed = _run_tools_task(t, [*prefix, "sync", "--spec", t.sync_spec], t.sync_environment)
    after_seed = SUCCESS_STATE if seed_only(t) else HEALTH_STEP
    return {
        **_ecs_step(CLEANUP_STEP, cleanup, t.cleanup_timeout_seconds, CLEANUP_DONE_STATE),
        CLEANUP_DONE_STATE: {"Type": "Succeed"},
        **_ecs_step(SEED_STEP, seed, t.seed_timeout_seconds, after_seed),
    }


def _health_step(t: SmokeTargets) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": t.health_function_arn,
            "Payload": {
                "url": t.health_url,
                "expected_sha": t.expected_sha,
                "timeout_seconds": t.health_request_timeout_seconds,
            },
        },
        # One HTTP request plus Lambda start-up; a hung invocation counts as not healthy yet.
        "TimeoutSeconds": t.health_request_timeout_seconds + 10,
        "ResultSelector": {"verdict.$": "$.Payload"},
        "ResultPath": f"$.{HEALTH_STEP}",
        "Retry": [
            {
                "ErrorEquals": [UNHEALTHY_ERROR, "States.Timeout"],
                "IntervalSeconds": t.health_interval_seconds,
                "BackoffRate": float(t.health_backoff_rate),
                "MaxDelaySeconds": t.health_max_delay_seconds,
                "MaxAttempts": len(health_retry_delays(t)),
            },
            {
                "ErrorEquals": LAMBDA_TRANSIENT_ERRORS,
                "IntervalSeconds": 2,
                "BackoffRate": 2.0,
                "MaxAttempts": 3,
            },
        ],
        "Catch": _catch_to(HEALTH_STEP),
        "Next": SMOKE_STEP,
    }


def _smoke_step(t: SmokeTargets) -> dict[str, Any]:
    command = [*t.command_prefix, "smoke", "--base-url", t.base_url]
    command += ["--expected-sha", t.expected_sha]
    if t.health_path is not None:
        command += ["--health-path", t.health_path]
    command += list(t.smoke_args)
    task = _run_tools_task(t, command, dict(t.smoke_environment))
    return _ecs_step(SMOKE_STEP, task, t.smoke_timeout_seconds, SUCCESS_STATE)


def _timeout(t: SmokeTargets) -> int:
    """The longer of the two paths: seed, every health retry, smoke."""
    if seed_only(t):
        return max(t.seed_timeout_seconds, t.cleanup_timeout_seconds)
    delays = health_retry_delays(t)
    health = sum(delays) + len(delays) * (t.health_request_timeout_seconds + 10)
    return t.seed_timeout_seconds + health + t.smoke_timeout_seconds


def build_definition(t: SmokeTargets) -> dict[str, Any]:
    """The ASL document of the smoke gate (serialize with json.dumps or Output.json_dumps)."""
    states = {**_route(t), **_sync_steps(t)}
    steps: tuple[str, ...] = (SEED_STEP, CLEANUP_STEP)
    if not seed_only(t):
        states[HEALTH_STEP] = _health_step(t)
        states.update(_smoke_step(t))
        steps = (*STEPS, CLEANUP_STEP)
    states[SUCCESS_STATE] = {"Type": "Succeed"}
    for step in steps:
        states.update(_fail_state(step))
    comment = (
        "Warm pool seeder: seed the slot's search indices. "
        if seed_only(t)
        else 'Preview smoke gate: seed search (skipped for input {"seeded": true}), wait '
        "until healthy, run the smoke suite. "
    )
    return {
        "Comment": comment + 'Input {"action": "cleanup"}: delete the search indices instead.',
        "StartAt": ROUTE_STATE,
        "TimeoutSeconds": _timeout(t),
        "States": states,
    }


def build_role_policy(t: SmokeTargets) -> dict[str, Any]:
    """IAM policy of the state machine's role: exactly what `build_definition(t)` calls."""
    pass_roles = [arn for arn in (t.task_role_arn, t.execution_role_arn) if arn is not None]
    on_cluster = {"ArnEquals": {"ecs:cluster": t.cluster_arn}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RunToolsTask",
                "Effect": "Allow",
                "Action": ["ecs:RunTask"],
                "Resource": [t.tools_task_definition_arn],
                "Condition": on_cluster,
            },
            {
                "Sid": "TrackToolsTask",
                "Effect": "Allow",
                "Action": ["ecs:StopTask", "ecs:DescribeTasks"],
                "Resource": ["*"],
                "Condition": on_cluster,
            },
            {
                # runTask.sync learns that the task stopped through this managed rule.
                "Sid": "EcsSyncEvents",
                "Effect": "Allow",
                "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                "Resource": [f"arn:{t.partition}:events:*:*:rule/{ECS_SYNC_RULE}"],
            },
            {
                "Sid": "PassToolsTaskRoles",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": pass_roles,
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
        ]
        + (
            []
            if seed_only(t)
            else [
                {
                    "Sid": "InvokeHealthCheck",
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": [t.health_function_arn],
                }
            ]
        ),
    }
