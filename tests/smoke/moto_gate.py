"""The smoke gate deployed into moto: its VPC, ECS cluster, tools task definition, health
Lambda and log group (`tools_and_health`), and a `Gate` to run state machines over them
(`deployed_gate`). The fixtures over it are in tests/smoke/conftest.py."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
from moto import mock_aws

from smoke.definition import SmokeTargets, build_definition
from smoke.health import handler as health_handler
from tests.smoke.moto_shims import (
    container_exit_codes,
    ecs_sync_casing,
    immediate_ecs_tasks,
    lambda_runtime,
)

REGION = "us-east-1"


@dataclass
class Gate:
    """A smoke gate deployed into moto, with the knobs the tests turn."""

    targets: SmokeTargets
    role_arn: str
    exit_codes: dict[str, int]
    # Commands of the ECS tasks the state machine started, in start order.
    commands: list[list[str]]
    lambda_events: list[dict[str, Any]]
    sfn: Any
    ecs: Any

    def machine(self, **overrides: Any) -> str:
        """Create the state machine of these targets; returns its ARN."""
        targets = replace(self.targets, **overrides)
        name = f"smoke-{len(self.sfn.list_state_machines()['stateMachines'])}"
        arn: str = self.sfn.create_state_machine(
            name=name, definition=json.dumps(build_definition(targets)), roleArn=self.role_arn
        )["stateMachineArn"]
        return arn

    def run(self, payload: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        """Create the state machine, run it on `payload` to the end, return describe_execution."""
        machine = self.machine(**overrides)
        execution = self.sfn.start_execution(
            stateMachineArn=machine, input=json.dumps(payload or {})
        )["executionArn"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            result: dict[str, Any] = self.sfn.describe_execution(executionArn=execution)
            if result["status"] != "RUNNING":
                return result
            time.sleep(0.1)
        raise AssertionError(f"execution {execution} still running after 120 s")


# (command, environment, task ARN) -> exit code.
ContainerRun = Callable[[list[str], dict[str, str], str], int]
# Where the tools tasks log, as the preview stack's awslogs configuration has it.
LOG_GROUP = "/preview-platform/pr-12/smoke"


@dataclass(frozen=True)
class GateWorld:
    """Names, tags and roles of what the gate runs over. The defaults are the smoke tests' own
    (one untagged role for everything); tests/authz passes the synthesized pr-12 stack's, so the
    real policies judge real ARNs."""

    cluster: str = "pr-12"
    tools_family: str = "pr-12-tools"
    health_function: str = "pr-12-health"
    log_group: str = LOG_GROUP
    tags: dict[str, str] = field(default_factory=dict)
    task_role: str = "smoke"
    execution_role: str = "smoke"
    health_role: str = "smoke"
    machine_role: str = "smoke"


def tools_and_health(
    base_url: str, health_url: str, expected_sha: str, world: GateWorld | None = None
) -> tuple[SmokeTargets, str]:
    """In the current moto account: the VPC, ECS cluster and tools task definition, the health
    Lambda and the log group; returns the gate's targets over them and the state machine's role."""
    world = world or GateWorld()
    ec2 = boto3.client("ec2", REGION)
    ecs = boto3.client("ecs", REGION)
    iam = boto3.client("iam", REGION)
    lam = boto3.client("lambda", REGION)
    ecs_tags = [{"key": k, "value": v} for k, v in world.tags.items()]
    boto3.client("logs", REGION).create_log_group(logGroupName=world.log_group, tags=world.tags)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc run_task needs DNS hostnames on the VPC, as Fargate does.
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tools", Description="tools", VpcId=vpc)
    cluster = ecs.create_cluster(clusterName=world.cluster, tags=ecs_tags)["cluster"]["clusterArn"]
    uses = (world.task_role, world.execution_role, world.health_role, world.machine_role)
    role = {
        name: iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument="{}",
            Tags=[{"Key": k, "Value": v} for k, v in world.tags.items()],
        )["Role"]["Arn"]
        for name in dict.fromkeys(uses)
    }
    task_definition = ecs.register_task_definition(
        family=world.tools_family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        taskRoleArn=role[world.task_role],
        executionRoleArn=role[world.execution_role],
        containerDefinitions=[{"name": "tools", "image": "tools:1", "cpu": 256, "memory": 512}],
        tags=ecs_tags,
    )["taskDefinition"]["taskDefinitionArn"]
    function = lam.create_function(
        FunctionName=world.health_function,
        Runtime="python3.12",
        Role=role[world.health_role],
        Handler="health.handler",
        Code={"ZipFile": b"stand-in: tests run smoke.health.handler in-process"},
        Tags=world.tags,
    )["FunctionArn"]
    targets = SmokeTargets(
        cluster_arn=cluster,
        tools_task_definition_arn=task_definition,
        tools_container_name="tools",
        subnets=[subnet],
        security_groups=[group["GroupId"]],
        health_function_arn=function,
        base_url=base_url,
        health_url=health_url,
        expected_sha=expected_sha,
        execution_role_arn=role[world.execution_role],
        task_role_arn=role[world.task_role],
        # The shortest schedule ASL allows: two retries one second apart.
        health_deadline_seconds=2,
        health_interval_seconds=1,
        health_backoff_rate=1.0,
        health_max_delay_seconds=1,
        health_request_timeout_seconds=2,
    )
    return targets, role[world.machine_role]


@contextmanager
def deployed_gate(
    base_url: str, health_url: str, expected_sha: str, execute: ContainerRun | None = None
) -> Iterator[Gate]:
    """A moto account with a VPC, ECS cluster, tools task definition and health Lambda.

    The health Lambda runs smoke.health.handler in-process. A tools task exits with the code the
    test set in `Gate.exit_codes` for its subcommand, else `execute(command, environment)` runs
    it for real (None: exits 0).
    """
    exit_codes: dict[str, int] = {}
    commands: list[list[str]] = []

    def container(command: list[str], environment: dict[str, str], task_arn: str) -> int:
        commands.append(command)
        # The image's entrypoint is `preview`: the first word is the subcommand.
        verb = command[0] if command else ""
        if verb in exit_codes:
            return exit_codes[verb]
        return execute(command, environment, task_arn) if execute else 0

    config: Any = {
        "stepfunctions": {"execute_state_machine": True},
        "lambda": {"use_docker": False},
    }
    with (
        immediate_ecs_tasks(),
        mock_aws(config=config),
        ecs_sync_casing(),
        container_exit_codes(container),
        lambda_runtime(health_handler) as events,
    ):
        targets, role = tools_and_health(base_url, health_url, expected_sha)
        sfn, ecs = boto3.client("stepfunctions", REGION), boto3.client("ecs", REGION)
        yield Gate(targets, role, exit_codes, commands, events, sfn, ecs)
