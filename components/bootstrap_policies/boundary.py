"""The permissions boundary every IAM role inside a preview stack must carry."""

from __future__ import annotations

from typing import Any

from components.bootstrap_policies.statements import (
    PREVIEW_PREFIX,
    STAGING_PREFIX,
    allow,
    document,
    tagged_change,
)


def boundary_policy() -> dict[str, Any]:
    """The most any role inside a preview may do at run time (tasks, Lambda, state machine)."""
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
            allow(
                ["es:ESHttp*"],
                [f"arn:aws:es:*:*:domain/{STAGING_PREFIX}-*/pr-*", f"arn:aws:es:*:*:domain/{p}*"],
                "SearchPreviewIndices",
            ),
            allow(["rds-db:connect"], "*", "DbConnect"),
        ]
    )
