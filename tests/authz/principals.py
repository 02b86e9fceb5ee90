"""The principals of the platform as AWS sees them, read from the synthesized stacks.

Identity policies and permissions boundaries come from the real program: the bootstrap stack
(components/bootstrap.py) for the GitHub roles and the boundary, a preview stack for the roles of
its tasks, Lambda and state machine. AWS-managed policies the roles attach are copied below
from AWS's managed policy reference (docs.aws.amazon.com/aws-managed-policy/latest/reference/).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from components.bootstrap import BOUNDARY_NAME
from preview.synth.configfile import pr_config, stack_file_config
from preview.synth.harness import ACCOUNT, Resource, Synth, synthesize
from tests.authz.iam_eval import Principal

ROLE = "aws:iam/role:Role"


def _allow(actions: list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


AWS_MANAGED: dict[str, dict[str, Any]] = {
    # .../reference/AmazonECSTaskExecutionRolePolicy.html
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy": _doc(
        _allow(
            [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ]
        )
    ),
    # .../reference/AWSLambdaBasicExecutionRole.html
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": _doc(
        _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])
    ),
    # .../reference/AWSLambdaVPCAccessExecutionRole.html (version 3)
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole": _doc(
        _allow(
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ]
        )
    ),
    # .../reference/PowerUserAccess.html
    "arn:aws:iam::aws:policy/PowerUserAccess": _doc(
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        _allow(
            [
                "account:GetAccountInformation",
                "account:GetPrimaryEmail",
                "account:ListRegions",
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeOrganization",
            ]
        ),
    ),
}

# The example config of each stack type (what `preview synth` reads).
BOOTSTRAP_CONFIG = "bootstrap"


@functools.cache
def bootstrap_stack() -> Synth:
    return synthesize("bootstrap", stack_file_config("bootstrap"))


@functools.cache
def preview_stack() -> Synth:
    return synthesize("pr-12", pr_config(12))


@functools.cache
def pool_stack() -> Synth:
    from tests.infra.test_pool_stack import pool_config

    return synthesize("pool", pool_config())


def _logical(ref: Any) -> str:
    """A role reference in mocked inputs (`<name>-id`, or an ARN ending in the name)."""
    return str(ref).rsplit(":", 1)[-1].rsplit("/", 1)[-1].removesuffix("-id")


def role_arn(role: Resource) -> str:
    name = role.inputs.get("name") or f"{role.name}-1a2b3c"
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _policies_of(synth: Synth, role: Resource) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    # Inputs name the role by its logical name, id or physical name, depending on the program.
    me = {role.name, str(role.inputs.get("name")), f"{role.name}-1a2b3c"}
    for r in synth.resources:
        if r.type == "aws:iam/rolePolicy:RolePolicy" and _logical(r.inputs["role"]) in me:
            out.append(_json(r.inputs["policy"]))
        if (
            r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
            and _logical(r.inputs["role"]) in me
        ):
            arn = str(r.inputs["policyArn"])
            managed = _managed(synth, arn)
            # Managed statements have no Sid: name them after the policy for the grants table.
            label = arn.rsplit("/", 1)[1]
            out.append(
                {
                    **managed,
                    "Statement": [
                        {"Sid": f"{label}#{i}", **st} for i, st in enumerate(managed["Statement"])
                    ],
                }
            )
    for inline in role.inputs.get("inlinePolicies") or []:
        out.append(_json(inline["policy"]))
    return out


def _managed(synth: Synth, arn: str) -> Mapping[str, Any]:
    """An AWS-managed policy (copied into AWS_MANAGED) or one the same stack creates."""
    if arn in AWS_MANAGED:
        return AWS_MANAGED[arn]
    own = f"arn:aws:iam::{ACCOUNT}:policy/"
    for r in synth.of_type("aws:iam/policy:Policy"):
        if arn == own + str(r.inputs.get("name")):
            return _json(r.inputs["policy"])
    raise AssertionError(f"attached {arn} is neither in AWS_MANAGED nor created by the stack")


def _json(value: Any) -> Mapping[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def boundary() -> Mapping[str, Any]:
    (policy,) = [
        r
        for r in bootstrap_stack().of_type("aws:iam/policy:Policy")
        if r.inputs.get("name") == BOUNDARY_NAME
    ]
    return _json(policy.inputs["policy"])


def principal(synth: Synth, logical: str, name: str | None = None) -> Principal:
    role = synth.get(ROLE, logical)
    bounded = role.inputs.get("permissionsBoundary")
    if bounded and not str(bounded).endswith(":policy/pp-preview-boundary"):
        raise AssertionError(f"{logical}: unknown permissions boundary {bounded}")
    return Principal(
        name or logical,
        role_arn(role),
        _policies_of(synth, role),
        boundary() if bounded else None,
    )


POOL_SEEDER = "pool-seeder-machine"


@functools.cache
def principals() -> dict[str, Principal]:
    """Every principal whose calls are recorded or tabled, by the name recordings use."""
    boot, pr, pool = bootstrap_stack(), preview_stack(), pool_stack()
    return {
        "preview-role": principal(boot, "github-preview", "preview-role"),
        "reaper-role": principal(boot, "github-reaper", "reaper-role"),
        "staging-deploy-role": principal(boot, "github-staging", "staging-deploy-role"),
        "prod-deploy-role": principal(boot, "github-prod", "prod-deploy-role"),
        "smoke-state-machine": principal(pr, "smoke-sfn-role", "smoke-state-machine"),
        "health-lambda": principal(pr, "smoke-health-role", "health-lambda"),
        "tools-task-execution": principal(pr, "smoke-tools-execution", "tools-task-execution"),
        "app-task": principal(pr, "app-task", "app-task"),
        "app-execution": principal(pr, "app-execution", "app-execution"),
        # Slot s0001's seeder (stack pool), run by `preview pool refill`.
        POOL_SEEDER: principal(pool, "pool-s0001-seed-sfn-role", POOL_SEEDER),
        "pool-seed-task-execution": principal(
            pool, "pool-s0001-seed-tools-execution", "pool-seed-task-execution"
        ),
        "pool-seed-task": principal(pool, "pool-s0001-seed-task", "pool-seed-task"),
    }
