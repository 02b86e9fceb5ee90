"""Fargate task definitions the components share (plain helpers, no component of their own).

* `container(...)`: one container definition, its environment sorted (a stable definition, so
  an unchanged config registers no new revision) and its output sent to CloudWatch Logs.
* `task_definition(...)`: an `awsvpc` Fargate task definition of such containers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws


def container(
    name: str,
    image: pulumi.Input[str],
    environment: Mapping[str, pulumi.Input[str]],
    secrets: list[dict[str, Any]],
    *,
    log_group: pulumi.Input[str],
    region: str,
    stream_prefix: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "essential": True,
        "environment": [{"name": k, "value": environment[k]} for k in sorted(environment)],
        "secrets": secrets,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": stream_prefix,
            },
        },
    }


def task_definition(
    resource_name: str,
    *,
    family: str,
    cpu: int,
    memory: int,
    execution_role_arn: pulumi.Input[str],
    task_role_arn: pulumi.Input[str],
    containers: Sequence[dict[str, Any]],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.ecs.TaskDefinition:
    return aws.ecs.TaskDefinition(
        resource_name,
        family=family,
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu=str(cpu),
        memory=str(memory),
        execution_role_arn=execution_role_arn,
        task_role_arn=task_role_arn,
        container_definitions=pulumi.Output.json_dumps(list(containers)),
        tags=tags,
        opts=opts,
    )
