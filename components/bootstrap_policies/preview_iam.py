"""The IAM part of the preview policy: the roles a preview creates, bounded and tagged."""

from __future__ import annotations

from typing import Any

from components.bootstrap_policies.statements import (
    ATTACHABLE_POLICIES,
    ROLE_READ_DELETE,
    Statement,
    statement,
    tagged_change,
)
from contracts.constants import MANAGED_BY

_ANY_ROLE = "arn:aws:iam::*:role/*"


def iam_role_statements(boundary_arn: Any) -> list[Statement]:
    """IAM roles of the preview's tasks, Lambda and state machine. Pulumi autonames them (no
    stable prefix), so they are scoped by tag, and every one must carry the boundary."""
    tagged = {"Null": {"aws:ResourceTag/preview:pr": "false"}}
    return [
        statement(
            "IamCreateBoundedTagged",
            ["iam:CreateRole"],
            _ANY_ROLE,
            {
                "StringEquals": {
                    "iam:PermissionsBoundary": boundary_arn,
                    "aws:RequestTag/managed-by": MANAGED_BY,
                },
                "Null": {"aws:RequestTag/preview:pr": "false"},
            },
        ),
        # Tagging (CreateTagged) must not adopt another stack's role into the preview's reach.
        statement(
            "IamNoRetagOfOtherRoles",
            ["iam:TagRole", "iam:UntagRole"],
            _ANY_ROLE,
            {
                "Null": {"aws:ResourceTag/environment": "false"},
                "StringNotLike": {"aws:ResourceTag/environment": "pr-*"},
            },
            effect="Deny",
        ),
        statement(
            "IamPoliciesBounded",
            [
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
            ],
            _ANY_ROLE,
            {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}, **tagged},
        ),
        statement(
            "IamAttachOnlyServicePolicies",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            "*",
            {"ArnNotEquals": {"iam:PolicyARN": list(ATTACHABLE_POLICIES)}},
            effect="Deny",
        ),
        tagged_change(
            [*ROLE_READ_DELETE, "iam:TagRole", "iam:UntagRole"],
            [_ANY_ROLE],
            "IamManagePreviewRoles",
        ),
        statement(
            "IamPassPreviewRoles",
            "iam:PassRole",
            _ANY_ROLE,
            {
                "StringEquals": {
                    "iam:PassedToService": [
                        "ecs-tasks.amazonaws.com",
                        "lambda.amazonaws.com",
                        "states.amazonaws.com",
                    ]
                },
                **tagged,
            },
        ),
    ]
