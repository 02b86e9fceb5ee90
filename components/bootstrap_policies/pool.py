"""The reaper's managed policy for the warm pool: stack `pool` and its state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.bootstrap_policies.statements import (
    POOL_PREFIX,
    Statement,
    allow,
    document,
    prod_guard,
    rds_clone,
    rds_manage,
    state_statements,
    statement,
)

if TYPE_CHECKING:
    from components.bootstrap import GithubIdentityArgs


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
        statement(
            "PoolSgCreate",
            ["ec2:CreateSecurityGroup", "ec2:CreateTags"],
            "arn:aws:ec2:*:*:security-group/*",
            {"StringEquals": {"aws:RequestTag/environment": "pool"}},
        ),
        statement(
            "PoolSgChange",
            [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
            ],
            "arn:aws:ec2:*:*:security-group/*",
            {"StringEquals": {"aws:ResourceTag/environment": "pool"}},
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
