"""The inline policy of the long-lived deploy roles (staging, prod): their stack's IAM only."""

from __future__ import annotations

from typing import Any

from components.bootstrap_policies.statements import (
    BOUNDARY_NAME,
    GITHUB_OIDC_HOST,
    Statement,
    allow,
    deny_prod_tagged,
    document,
    statement,
)


def deploy_policy(env: str) -> dict[str, Any]:
    """PowerUserAccess has no IAM: a long-lived deploy role manages only its stack's IAM, found
    by name (`pp-<env>*`) or, for autonamed roles, by the stack's `environment` tag. Managing
    its own roles' policies makes it admin-equivalent in practice: guard it with the environment.
    """
    prefix = f"pp-{env}"
    role_or_policy = ["arn:aws:iam::*:role/*", "arn:aws:iam::*:policy/*"]
    return document(
        [
            allow(
                ["iam:*"],
                [
                    f"arn:aws:iam::*:role/{prefix}*",
                    f"arn:aws:iam::*:policy/{prefix}*",
                    f"arn:aws:iam::*:instance-profile/{prefix}*",
                ],
                "IamOwnStackByName",
            ),
            statement(
                "IamCreateTagged",
                ["iam:CreateRole", "iam:TagRole", "iam:CreatePolicy", "iam:TagPolicy"],
                role_or_policy,
                {"StringEquals": {"aws:RequestTag/environment": env}},
            ),
            statement(
                "IamManageTagged",
                ["iam:*"],
                role_or_policy,
                {"StringEquals": {"aws:ResourceTag/environment": env}},
            ),
            allow(
                ["iam:CreateServiceLinkedRole", "iam:GetRole", "iam:ListRoles", "iam:GetPolicy*"],
                "*",
                "IamServiceLinked",
            ),
            # A staging deploy must not reach prod, and neither may touch the identity itself.
            *([deny_prod_tagged()] if env == "staging" else []),
            _deny_identity(),
        ]
    )


def _deny_identity() -> Statement:
    return statement(
        "DenyIdentityChanges",
        ["iam:*"],
        [
            f"arn:aws:iam::*:oidc-provider/{GITHUB_OIDC_HOST}",
            "arn:aws:iam::*:role/pp-github-*",
            f"arn:aws:iam::*:policy/{BOUNDARY_NAME}",
        ],
        effect="Deny",
    )
