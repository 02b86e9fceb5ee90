"""The ASL definition and role policy builders, checked without running them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from contracts.errors import UsageError
from smoke.definition import (
    STEPS,
    SmokeTargets,
    build_definition,
    build_role_policy,
    health_retry_delays,
)

STATELINT = Path(sys.executable).with_name("statelint")


class Ref:
    """Stands in for a pulumi Output: an object that must never be turned into a string."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _refuse(self, *_: object) -> str:
        raise AssertionError(f"{self.name} was formatted into a string")

    __str__ = __repr__ = __format__ = _refuse


def _targets(**overrides: Any) -> SmokeTargets:
    values: dict[str, Any] = {
        "cluster_arn": "arn:aws:ecs:eu-west-1:111122223333:cluster/previews",
        "tools_task_definition_arn": "arn:aws:ecs:eu-west-1:111122223333:task-definition/pr-7:3",
        "tools_container_name": "tools",
        "subnets": ["subnet-0a", "subnet-0b"],
        "security_groups": ["sg-0c"],
        "health_function_arn": "arn:aws:lambda:eu-west-1:111122223333:function:pr-7-health",
        "base_url": "https://pr-7.preview.example.com",
        "health_url": "https://pr-7.preview.example.com/healthz",
        "expected_sha": "0123456789abcdef0123456789abcdef01234567",
        "execution_role_arn": "arn:aws:iam::111122223333:role/pr-7-exec",
        "task_role_arn": "arn:aws:iam::111122223333:role/pr-7-task",
        "sync_environment": {"PREVIEW_SYNC_INDEX_PREFIX": "pr-7-"},
    }
    values.update(overrides)
    return SmokeTargets(**values)


# SmokeTargets fields the stack fills with resource outputs.
STACK_FIELDS = (
    "cluster_arn",
    "tools_task_definition_arn",
    "subnets",
    "security_groups",
    "health_function_arn",
    "base_url",
    "health_url",
    "execution_role_arn",
    "task_role_arn",
)


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _lint(definition: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(
        [str(STATELINT), str(path)], capture_output=True, text=True, check=False, timeout=60
    )


SEEDER = {"health_function_arn": None, "base_url": None, "health_url": None, "expected_sha": None}


@pytest.mark.parametrize("kind", ["gate", "seeder"])
def test_definition_passes_statelint(tmp_path: Path, kind: str) -> None:
    """The generated ASL is valid Amazon States Language, the gate's and a pool seeder's."""
    result = _lint(build_definition(_targets(**(SEEDER if kind == "seeder" else {}))), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_seeder_grants_its_machine_no_lambda() -> None:
    policy = build_role_policy(_targets(**SEEDER))
    assert "lambda:InvokeFunction" not in json.dumps(policy)
    assert "lambda:InvokeFunction" in json.dumps(build_role_policy(_targets()))


def test_half_a_gate_is_refused() -> None:
    with pytest.raises(UsageError, match="go together"):
        _targets(health_function_arn=None)


def test_statelint_gate_rejects_a_broken_definition(tmp_path: Path) -> None:
    """The lint check above can fail: a dangling Next is reported."""
    definition = build_definition(_targets())
    definition["States"]["WaitHealthy"]["Next"] = "Nowhere"
    assert _lint(definition, tmp_path).returncode != 0


def test_stack_values_are_placed_verbatim() -> None:
    """Every stack-provided value lands in the definition as the same object, never stringified."""
    refs = {
        name: Ref(name)
        for name in (
            "cluster_arn",
            "tools_task_definition_arn",
            "tools_container_name",
            "subnets",
            "security_groups",
            "health_function_arn",
            "base_url",
            "health_url",
            "expected_sha",
        )
    }
    definition = build_definition(_targets(**refs))
    found = {id(node) for node in _walk(definition)}
    assert {name for name, ref in refs.items() if id(ref) not in found} == set()


def test_role_policy_takes_stack_values_verbatim() -> None:
    """The role policy also accepts Outputs for every ARN it grants."""
    refs = {
        name: Ref(name)
        for name in (
            "cluster_arn",
            "tools_task_definition_arn",
            "health_function_arn",
            "task_role_arn",
            "execution_role_arn",
        )
    }
    policy = build_role_policy(_targets(**refs))
    found = {id(node) for node in _walk(policy)}
    assert {name for name, ref in refs.items() if id(ref) not in found} == set()


def test_every_step_fails_into_its_own_fail_state() -> None:
    """Each step catches all errors into `<Step>Failed`, whose cause starts with the step name."""
    states = build_definition(_targets())["States"]
    for step in STEPS:
        assert states[step]["Catch"][0]["ErrorEquals"] == ["States.ALL"]
        assert states[step]["Catch"][0]["Next"] == f"{step}Failed"
        fail = states[f"{step}Failed"]
        assert fail["Type"] == "Fail"
        assert fail["CausePath"].startswith(f"States.Format('{step} failed")


def test_ecs_parameters_are_pascal_case() -> None:
    """runTask.sync parameters use the PascalCase Step Functions names, or AWS rejects them."""
    params = build_definition(_targets())["States"]["Smoke"]["Parameters"]
    vpc = params["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert set(vpc) == {"Subnets", "SecurityGroups", "AssignPublicIp"}
    assert set(params["Overrides"]["ContainerOverrides"][0]) == {"Name", "Command"}


def test_sync_environment_overrides_the_container() -> None:
    """Extra sync settings (the index prefix) reach the sync container as environment."""
    params = build_definition(_targets())["States"]["SeedSearch"]["Parameters"]
    override = params["Overrides"]["ContainerOverrides"][0]
    assert override["Environment"] == [{"Name": "PREVIEW_SYNC_INDEX_PREFIX", "Value": "pr-7-"}]


def test_role_policy_grants_what_the_definition_uses() -> None:
    """Every resource the definition calls is granted, so definition and policy cannot drift."""
    targets = _targets()
    definition = build_definition(targets)
    granted: dict[str, list[Any]] = {}
    for statement in build_role_policy(targets)["Statement"]:
        for action in statement["Action"]:
            granted.setdefault(action, []).extend(statement["Resource"])
    for state in definition["States"].values():
        if state.get("Resource") == "arn:aws:states:::ecs:runTask.sync":
            assert state["Parameters"]["TaskDefinition"] in granted["ecs:RunTask"]
            assert {"ecs:StopTask", "ecs:DescribeTasks", "events:PutRule"} <= set(granted)
        if state.get("Resource") == "arn:aws:states:::lambda:invoke":
            assert state["Parameters"]["FunctionName"] in granted["lambda:InvokeFunction"]
    assert targets.task_role_arn in granted["iam:PassRole"]
    assert targets.execution_role_arn in granted["iam:PassRole"]


def test_retry_schedule_reaches_the_deadline_and_stops() -> None:
    """Retries wait at least the deadline in total, and one retry fewer would not."""
    targets = _targets(health_deadline_seconds=300)
    delays = health_retry_delays(targets)
    assert sum(delays) >= 300 > sum(delays[:-1])
    retry = build_definition(targets)["States"]["WaitHealthy"]["Retry"][0]
    assert retry["MaxAttempts"] == len(delays)


def test_retry_delays_follow_backoff_and_cap() -> None:
    """Waits grow by the backoff rate and never exceed MaxDelaySeconds."""
    delays = health_retry_delays(
        _targets(
            health_deadline_seconds=100,
            health_interval_seconds=2,
            health_backoff_rate=2.0,
            health_max_delay_seconds=10,
        )
    )
    assert delays[:4] == [2, 4, 8, 10]
    assert max(delays) == 10


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("health_backoff_rate", 0.5),
        ("health_deadline_seconds", 0),
        ("health_interval_seconds", "5"),
        ("health_max_delay_seconds", 1),
    ],
)
def test_bad_settings_name_the_field(field: str, value: Any) -> None:
    """A bad retry setting is refused with an error naming the field and a fix."""
    with pytest.raises(UsageError) as excinfo:
        replace(_targets(), **{field: value})
    assert field in excinfo.value.message
    assert excinfo.value.hint


def test_commands_fit_the_tools_image_entrypoint() -> None:
    """By default the override is the bare subcommand: the tools image's entrypoint is `preview`."""
    states = build_definition(_targets(health_path="/status"))["States"]
    sync = states["SeedSearch"]["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"]
    smoke = states["Smoke"]["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"]
    assert sync[:2] == ["sync", "--spec"]
    assert smoke[0] == "smoke"
    assert smoke[-2:] == ["--health-path", "/status"]


def test_command_prefix_is_prepended() -> None:
    """An image without the `preview` entrypoint gets it from command_prefix."""
    states = build_definition(_targets(command_prefix=("preview",)))["States"]
    smoke = states["Smoke"]["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command"]
    assert smoke[:2] == ["preview", "smoke"]


class _NoResources(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return args.name, dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def pulumi_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """Pulumi's runtime under mocks on a private event loop, torn down after the test."""
    from pulumi.runtime import settings

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(_NoResources(), project="preview-platform", stack="pr-7")
    try:
        yield loop
    finally:
        settings.SETTINGS.outputs.clear()
        loop.close()
        asyncio.set_event_loop(None)


@pytest.mark.parametrize("build", [build_definition, build_role_policy])
def test_pulumi_outputs_serialize_like_plain_values(
    pulumi_loop: asyncio.AbstractEventLoop, build: Any
) -> None:
    """With pulumi Outputs and Output.json_dumps, the document is the JSON of the plain values."""
    plain = _targets()
    outputs: dict[str, Any] = {
        name: pulumi.Output.from_input(getattr(plain, name)) for name in STACK_FIELDS
    }
    lifted = replace(plain, **outputs)
    rendered = pulumi_loop.run_until_complete(pulumi.Output.json_dumps(build(lifted)).future())
    assert rendered is not None
    assert json.loads(rendered) == build(plain)
