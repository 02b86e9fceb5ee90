"""The permissions boundary every IAM role inside a preview stack must carry."""

from __future__ import annotations

from typing import Any

from components.bootstrap_policies.statements import (
    PREVIEW_PREFIX,
    STAGING_PREFIX,
    allow,
    document,
    statement,
    tagged_change,
)
from components.naming import POOL


def boundary_policy() -> dict[str, Any]:
    """The most any role inside a preview, or a pool slot's seeder, may do at run time (tasks,
    Lambda, state machine)."""
    p = PREVIEW_PREFIX
    return document(
        [
            allow(
                [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchCheckLayerAvailability",
                    "ssm:GetParameters",
                    "secretsmanager:GetSecretValue",
                    "kms:Decrypt",
                    "xray:PutTraceSegments",
                    "cloudwatch:PutMetricData",
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface",
                    "ecs:DescribeTasks",
                    "ecs:StopTask",
                    "lambda:InvokeFunction",
                ],
                "*",
                "Runtime",
            ),
            allow(["ecs:RunTask"], ["arn:aws:ecs:*:*:task-definition/*"], "RunSmokeTasks"),
            allow(
                ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                ["arn:aws:events:*:*:rule/StepFunctionsGetEventsForECSTaskRule"],
                "SfnEcsSync",
            ),
            tagged_change(["iam:PassRole"], "arn:aws:iam::*:role/*", "PassPreviewRoles"),
            # The warm pool's seeders (stack pool) pass their own tools roles.
            statement(
                "PassPoolRoles",
                ["iam:PassRole"],
                "arn:aws:iam::*:role/*",
                {
                    "StringEquals": {
                        "aws:ResourceTag/environment": "pool",
                        "iam:PassedToService": "ecs-tasks.amazonaws.com",
                    }
                },
            ),
            allow(
                ["es:ESHttp*"],
                [
                    f"arn:aws:es:*:*:domain/{STAGING_PREFIX}-*/pr-*",
                    # A pool slot's pre-seeded indices, which the claiming preview then uses.
                    f"arn:aws:es:*:*:domain/{STAGING_PREFIX}-*/{POOL}-*",
                    f"arn:aws:es:*:*:domain/{p}*",
                ],
                "SearchPreviewIndices",
            ),
            allow(["rds-db:connect"], "*", "DbConnect"),
        ]
    )
