"""IAM and secret wiring the components share (plain helpers, no component of their own).

* `service_trust(service)`: the assume-role document letting one AWS service assume a role.
* `service_role(...)`: such a role (under the preview boundary when given) and its managed
  policy attachments.
* `allow_policy(...)` / `allow_statements(...)`: an inline policy of Allow statements.
* `db_secret_env(...)`: the RDS-managed master secret as container `secrets` (username and
  password): ECS resolves the JSON keys at task start, so the values never reach state or the
  task definition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

ECS_TASKS = "ecs-tasks.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
STEP_FUNCTIONS = "states.amazonaws.com"
VPC_FLOW_LOGS = "vpc-flow-logs.amazonaws.com"
ECS_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
LAMBDA_VPC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
# The JSON keys of an RDS-managed master user secret.
DB_SECRET_KEYS = (("USER", "username"), ("PASSWORD", "password"))


def service_trust(service: str) -> str:
    """Assume-role policy: only `service` (e.g. ecs-tasks.amazonaws.com) may assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def service_role(
    name: str,
    service: str,
    *,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    boundary: pulumi.Input[str] | None = None,
    managed: Mapping[str, str] | None = None,
) -> aws.iam.Role:
    """A role `service` assumes; `managed` maps attachment child names to managed policy ARNs."""
    role = aws.iam.Role(
        name,
        assume_role_policy=service_trust(service),
        permissions_boundary=boundary,
        tags=tags,
        opts=opts,
    )
    for child, policy_arn in (managed or {}).items():
        aws.iam.RolePolicyAttachment(child, role=role.name, policy_arn=policy_arn, opts=opts)
    return role


def allow_policy(
    name: str,
    role: aws.iam.Role,
    actions: str | Sequence[str],
    resources: pulumi.Input[str] | Sequence[pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> aws.iam.RolePolicy:
    """An inline policy of `role` allowing `actions` on `resources`."""
    return allow_statements(name, role, [(actions, resources)], opts)


def allow_statements(
    name: str,
    role: aws.iam.Role,
    grants: Sequence[tuple[str | Sequence[str], pulumi.Input[str] | Sequence[pulumi.Input[str]]]],
    opts: pulumi.ResourceOptions,
) -> aws.iam.RolePolicy:
    """An inline policy of `role` with one Allow statement per (actions, resources) grant."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": a, "Resource": r} for a, r in grants],
    }
    return aws.iam.RolePolicy(
        name, role=role.id, policy=pulumi.Output.json_dumps(document), opts=opts
    )


def db_secret_env(
    secret_arn: pulumi.Input[str], prefix: str, skip: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Container secrets `<prefix>USER` / `<prefix>PASSWORD` from the RDS master secret,
    except the names in `skip` (the app set its own)."""
    return [
        {"name": f"{prefix}{env}", "valueFrom": pulumi.Output.concat(secret_arn, f":{key}::")}
        for env, key in DB_SECRET_KEYS
        if f"{prefix}{env}" not in skip
    ]
