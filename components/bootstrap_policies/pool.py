"""The reaper's managed policy for the warm pool: stack `pool` and its state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.bootstrap_policies.statements import (
    BOUNDARY_NAME,
    POOL_PREFIX,
    ROLE_READ_DELETE,
    Statement,
    allow,
    document,
    prod_guard,
    rds_clone,
    rds_manage,
    state_machines,
    state_statements,
    statement,
)
from contracts.constants import MANAGED_BY, PROJECT

if TYPE_CHECKING:
    from components.bootstrap import GithubIdentityArgs


_CREATE = {"StringEquals": {"aws:RequestTag/environment": "pool"}}
_OWNED = {"StringEquals": {"aws:ResourceTag/environment": "pool"}}
_ANY_ROLE = "arn:aws:iam::*:role/*"
_GROUPS = "arn:aws:ec2:*:*:security-group/*"
_RULES = "arn:aws:ec2:*:*:security-group-rule/*"


def _pool_statements() -> list[Statement]:
    """The reaper's extra: `preview pool refill|refresh` deploys stack `pool` (its table, slot
    clones of staging and their groups, all named pp-pool-* or tagged environment=pool)."""
    q = POOL_PREFIX
    return [
        allow(
            [
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:UpdateTable",
                "dynamodb:Describe*",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ],
            [f"arn:aws:dynamodb:*:*:table/{q}*"],
            "PoolTable",
        ),
        rds_clone(q, "PoolClone"),
        rds_manage(q, "PoolRds", "arn:aws:rds:*:*:pg:*"),
        statement("PoolSgCreate", ["ec2:CreateSecurityGroup"], _GROUPS, _CREATE),
        statement("PoolSearchRule", ["ec2:AuthorizeSecurityGroupIngress"], _RULES, _CREATE),
        # Tags only while creating (CreateAction): never re-tag another stack's group or rule
        # as the pool's (PoolSgChange would then let it delete them).
        statement(
            "PoolTagOnCreate",
            ["ec2:CreateTags"],
            [_GROUPS, _RULES],
            {
                "StringEquals": {
                    **_CREATE["StringEquals"],
                    "ec2:CreateAction": ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress"],
                }
            },
        ),
        statement(
            "PoolSgChange",
            [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
            ],
            _GROUPS,
            _OWNED,
        ),
    ]


def _seeder_roles() -> list[Statement]:
    """Each slot's seeder (components/pool.py) has its own roles under the preview boundary,
    tagged environment=pool (autonamed: scoped by tag). Which managed policies they may attach
    is the preview policy's Deny IamAttachOnlyServicePolicies, which the reaper also has."""
    bounded = {"StringLike": {"iam:PermissionsBoundary": f"arn:aws:iam::*:policy/{BOUNDARY_NAME}"}}
    return [
        statement(
            "PoolRoleCreate",
            ["iam:CreateRole"],
            _ANY_ROLE,
            {
                **bounded,
                "StringEquals": {
                    **_CREATE["StringEquals"],
                    "aws:RequestTag/managed-by": MANAGED_BY,
                },
            },
        ),
        statement("PoolRoleTags", ["iam:TagRole"], _ANY_ROLE, _CREATE),
        statement(
            "PoolRolePolicies",
            [
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
            ],
            _ANY_ROLE,
            {**bounded, **_OWNED},
        ),
        statement(
            "PoolRoles",
            list(ROLE_READ_DELETE),
            _ANY_ROLE,
            _OWNED,
        ),
        statement(
            "PoolPassRoles",
            "iam:PassRole",
            _ANY_ROLE,
            {
                "StringEquals": {
                    "iam:PassedToService": ["ecs-tasks.amazonaws.com", "states.amazonaws.com"],
                    **_OWNED["StringEquals"],
                }
            },
        ),
    ]


def _seeder_runtime() -> list[Statement]:
    """The seeder's tools task, log group, state machine and ingress rule on staging's search
    group, and running it (`preview pool refill`)."""
    q = POOL_PREFIX
    return [
        statement("PoolTaskDefinition", ["ecs:RegisterTaskDefinition"], "*", _CREATE),
        statement(
            "PoolTaskDefinitionTags",
            ["ecs:TagResource"],
            "arn:aws:ecs:*:*:task-definition/*",
            {
                "StringEquals": {
                    **_CREATE["StringEquals"],
                    "ecs:CreateAction": "RegisterTaskDefinition",
                }
            },
        ),
        allow(
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
            ],
            [f"arn:aws:logs:*:*:log-group:/{PROJECT}/pool/*"],
            "PoolLogs",
        ),
        allow(
            ["logs:GetLogEvents"],
            [f"arn:aws:logs:*:*:log-group:/{PROJECT}/pool/*:log-stream:*"],
            "PoolSeedLogs",
        ),
        *state_machines(
            q, ("PoolSeeders", "PoolSeedRuns"), ("states:DescribeExecution", "states:StopExecution")
        ),
    ]


def pool_policy(args: GithubIdentityArgs) -> dict[str, Any]:
    """The reaper's managed policy for the warm pool: stack `pool` and its state. Managed, not
    inline: a role's inline policies share one 10,240-character quota the preview policy fills;
    a managed policy has its own 6,144 (IAM and STS quotas)."""
    return document(
        [
            *_pool_statements(),
            *state_statements(args, stacks=("pool",), read_stacks=("staging",)),
            *prod_guard(),
        ]
    )


def pool_seeder_policy() -> dict[str, Any]:
    """The reaper's second managed policy: the slots' seeders (one 6,144-character managed
    policy cannot hold both)."""
    return document([*_seeder_roles(), *_seeder_runtime(), *prod_guard()])
