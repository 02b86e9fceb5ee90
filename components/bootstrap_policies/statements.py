"""Statement builders and the names the bootstrap policies scope by.

Every statement of every document is built by `statement` (one key order: Sid, Effect, Action,
Resource, Condition), so a document reads as data; the groups several documents share (the prod
guard, Pulumi state, the Aurora clone grants) are here once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.constants import MANAGED_BY

if TYPE_CHECKING:
    from components.bootstrap import GithubIdentityArgs

Statement = dict[str, Any]

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
PREVIEW_PREFIX = "pp-pr-"
STAGING_PREFIX = "pp-staging"
# The warm pool (stack `pool`, components/pool.py): its claims table and slot clones.
POOL_PREFIX = "pp-pool-"
BOUNDARY_NAME = "pp-preview-boundary"
# AWS-managed policies a preview role may attach to the roles it creates (all read/run-only).
ATTACHABLE_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
)
# What a preview or pool database may do to its own cluster and instance.
RDS_MANAGE_ACTIONS = (
    "rds:CreateDBInstance",
    "rds:ModifyDBCluster",
    "rds:ModifyDBInstance",
    "rds:DeleteDBCluster",
    "rds:DeleteDBInstance",
    "rds:AddTagsToResource",
    "rds:RemoveTagsFromResource",
)


# What a stack's deployer needs to read and delete the roles it made (Pulumi reads a role's
# policies and instance profiles before DeleteRole).
ROLE_READ_DELETE = (
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:DeleteRole",
)


def document(statements: list[Statement]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def statement(
    sid: str,
    actions: list[str] | str,
    resources: list[str] | str,
    condition: dict[str, Any] | None = None,
    *,
    effect: str = "Allow",
) -> Statement:
    out: Statement = {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources}
    if condition is not None:
        out["Condition"] = condition
    return out


def allow(actions: list[str], resources: list[str] | str, sid: str) -> Statement:
    return statement(sid, actions, resources)


def tagged_create(actions: list[str], resources: list[str] | str, sid: str) -> Statement:
    """Creates that must carry the preview tags."""
    return statement(
        sid,
        actions,
        resources,
        {
            "StringEquals": {"aws:RequestTag/managed-by": MANAGED_BY},
            "Null": {"aws:RequestTag/preview:pr": "false"},
        },
    )


def tagged_change(actions: list[str], resources: list[str] | str, sid: str) -> Statement:
    """Changes and deletes of resources that carry the `preview:pr` tag."""
    return statement(sid, actions, resources, {"Null": {"aws:ResourceTag/preview:pr": "false"}})


def trust_policy(provider_arn: Any, subject: str) -> dict[str, Any]:
    """Web-identity trust for one exact `sub` and our audience; nothing else can assume it."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": subject,
                    }
                },
            }
        ]
    )


def deny_prod_tagged() -> Statement:
    return statement(
        "DenyProdTagged",
        "*",
        "*",
        {"StringEquals": {"aws:ResourceTag/environment": "prod"}},
        effect="Deny",
    )


def prod_guard() -> list[Statement]:
    """Explicit denies win over every allow: nothing of prod, whatever a PR branch tries."""
    return [
        deny_prod_tagged(),
        statement(
            "DenyProdNamed",
            "*",
            [
                "arn:aws:rds:*:*:cluster:pp-prod*",
                "arn:aws:rds:*:*:db:pp-prod*",
                "arn:aws:iam::*:role/pp-prod*",
                "arn:aws:ecr:*:*:repository/pp-prod*",
                "arn:aws:es:*:*:domain/pp-prod*",
                "arn:aws:ecs:*:*:service/pp-prod*",
                "arn:aws:states:*:*:stateMachine:pp-prod*",
                "arn:aws:lambda:*:*:function:pp-prod*",
            ],
            effect="Deny",
        ),
        statement(
            "DenyIdentityTampering",
            [
                "iam:DeleteRolePermissionsBoundary",
                "iam:PutRolePermissionsBoundary",
                "iam:CreatePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:UpdateAssumeRolePolicy",
                "iam:CreateOpenIDConnectProvider",
                "iam:UpdateOpenIDConnectProviderThumbprint",
                "iam:CreateUser",
                "iam:CreateAccessKey",
            ],
            "*",
            effect="Deny",
        ),
    ]


def rds_clone(prefix: str, sid: str, *extra: str) -> Statement:
    """A copy-on-write clone of staging's cluster named `<prefix>*` (never prod: see the deny)."""
    return allow(
        ["rds:RestoreDBClusterToPointInTime"],
        [
            f"arn:aws:rds:*:*:cluster:{prefix}*",
            f"arn:aws:rds:*:*:cluster:{STAGING_PREFIX}-*",
            "arn:aws:rds:*:*:subgrp:*",
            "arn:aws:rds:*:*:cluster-pg:*",
            *extra,
        ],
        sid,
    )


def rds_manage(prefix: str, sid: str, *extra: str) -> Statement:
    """The clone's instance and the clone itself: create, modify, tag, delete."""
    return allow(
        list(RDS_MANAGE_ACTIONS),
        [f"arn:aws:rds:*:*:cluster:{prefix}*", f"arn:aws:rds:*:*:db:{prefix}*", *extra],
        sid,
    )


def state_statements(
    args: GithubIdentityArgs, *, stacks: tuple[str, ...], read_stacks: tuple[str, ...]
) -> list[Statement]:
    """Pulumi state: read/write its own stacks, read the stacks it references, nothing else."""
    out: list[Statement] = []
    if args.state_bucket:
        b = f"arn:aws:s3:::{args.state_bucket}"
        # stacks/, history/, backups/ use `<project>/<stack>`; locks/ uses
        # `organization/<project>/<stack>/`: one pattern covers both layouts.
        own = [f"{b}/.pulumi/*{args.project}/{stack}" for stack in stacks]
        out += [
            allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], own, "StateOwnStacks"),
            allow(
                ["s3:GetObject"],
                [
                    f"{b}/.pulumi/meta.yaml",
                    f"{b}/.pulumi/Pulumi.yaml",
                    *(f"{b}/.pulumi/stacks/{args.project}/{s}.json*" for s in read_stacks),
                ],
                "StateReadReferenced",
            ),
            allow(["s3:ListBucket", "s3:GetBucketLocation"], [b], "StateList"),
        ]
    if args.secrets_kms_key_arn:
        out.append(
            allow(
                ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                [args.secrets_kms_key_arn],
                "StateSecrets",
            )
        )
    return out


def state_machines(prefix: str, sids: tuple[str, str], runs: tuple[str, ...]) -> list[Statement]:
    """State machines named `<prefix>*`: deploy them and start them; `runs` on their
    executions."""
    return [
        allow(
            [
                "states:CreateStateMachine",
                "states:UpdateStateMachine",
                "states:DeleteStateMachine",
                "states:DescribeStateMachine",
                "states:ListStateMachineVersions",
                "states:TagResource",
                "states:UntagResource",
                "states:ListTagsForResource",
                "states:StartExecution",
            ],
            [f"arn:aws:states:*:*:stateMachine:{prefix}*"],
            sids[0],
        ),
        allow(list(runs), [f"arn:aws:states:*:*:execution:{prefix}*:*"], sids[1]),
    ]
