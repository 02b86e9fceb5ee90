"""The inline policy of the preview and reaper roles: what `preview up/down/reap` may do.

Built from one function per group of statements, in the order IAM receives them; values are
placed verbatim (the boundary ARN and the config values may be pulumi Outputs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from components.bootstrap_policies.preview_iam import iam_role_statements
from components.bootstrap_policies.statements import (
    POOL_PREFIX,
    PREVIEW_PREFIX,
    STAGING_PREFIX,
    Statement,
    allow,
    document,
    prod_guard,
    rds_clone,
    rds_manage,
    state_machines,
    state_statements,
    statement,
    tagged_change,
    tagged_create,
)
from contracts.constants import PROJECT

if TYPE_CHECKING:
    from components.bootstrap import GithubIdentityArgs

_SECURITY_GROUPS = ["arn:aws:ec2:*:*:security-group/*", "arn:aws:ec2:*:*:security-group-rule/*"]
# Restore and CreateDBInstance are also authorized on the (default) option group.
_DEFAULT_OPTION_GROUP = "arn:aws:rds:*:*:og:default:aurora-*"


def preview_policy(args: GithubIdentityArgs, boundary_arn: Any) -> dict[str, Any]:
    """What `preview up/down/reap` may do. Values are placed verbatim (may be pulumi Outputs)."""
    return document(
        [
            *_read_and_images(),
            *_ecs_and_load_balancing(),
            *_security_groups(),
            *_databases(),
            *iam_role_statements(boundary_arn),
            *_logs_and_smoke_gate(),
            *_search_certificate_pool(),
            *_dns(args.preview_zone),
            *state_statements(args, stacks=("pr-*",), read_stacks=("staging",)),
            *prod_guard(),
        ]
    )


def _read_and_images() -> list[Statement]:
    return [
        allow(
            [
                "sts:GetCallerIdentity",
                "tag:GetResources",
                "ec2:Describe*",
                "ecs:Describe*",
                "ecs:List*",
                "ecs:DeregisterTaskDefinition",
                "elasticloadbalancing:Describe*",
                "rds:Describe*",
                "rds:ListTagsForResource",
                "logs:DescribeLogGroups",
                "acm:DescribeCertificate",
                "acm:ListTagsForCertificate",
                "route53:GetChange",
                "route53:ListHostedZones",
                "es:DescribeDomain*",
                "es:ListTags",
                "ecr:GetAuthorizationToken",
            ],
            "*",
            "ReadAndUnscopable",
        ),
        # Images: push to staging's app and tools repositories (tags are immutable there).
        allow(
            [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:PutImage",
                "ecr:DescribeImages",
            ],
            [f"arn:aws:ecr:*:*:repository/{STAGING_PREFIX}-*"],
            "PushImages",
        ),
    ]


def _ecs_and_load_balancing() -> list[Statement]:
    return [
        # ECS: the preview's own cluster, task definitions and services.
        # Creates scoped by the preview tags alone (their services take "*" or a new ARN;
        # one statement because the role's inline policies are capped at 10,240 characters).
        # iam:TagRole: CreateRole with tags is also authorized as TagRole, which has no
        # iam:PermissionsBoundary key (Service Authorization Reference): tags only.
        tagged_create(
            [
                "ecs:CreateCluster",
                "ecs:RegisterTaskDefinition",
                "ecs:CreateService",
                "ecs:TagResource",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:AddTags",
                "acm:RequestCertificate",
                "acm:AddTagsToCertificate",
                "iam:TagRole",
            ],
            ["*"],
            "CreateTagged",
        ),
        tagged_change(
            [
                "ecs:UpdateService",
                "ecs:DeleteService",
                # The reaper's stray sweep: deregistered revisions stay listed until deleted.
                "ecs:DeleteTaskDefinitions",
                "ecs:StopTask",
                "ecs:PutClusterCapacityProviders",
                "ecs:UpdateCluster*",
                "ecs:DeleteCluster",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            ["*"],
            "EcsChangeTagged",
        ),
        # Target group + listener rule on the shared ALB (or a dedicated ALB), tagged.
        tagged_change(
            [
                "elasticloadbalancing:Modify*",
                "elasticloadbalancing:Delete*",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            ["*"],
            "ElbChangeTagged",
        ),
    ]


def _security_groups() -> list[Statement]:
    """Per-PR security groups, and the one change to a staging resource."""
    ingress = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
    return [
        tagged_create(
            ["ec2:CreateSecurityGroup", "ec2:CreateTags"], _SECURITY_GROUPS, "SgCreateTagged"
        ),
        allow(["ec2:CreateSecurityGroup"], ["arn:aws:ec2:*:*:vpc/*"], "SgInVpc"),
        tagged_change(
            [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:ModifySecurityGroupRules",
                "ec2:UpdateSecurityGroupRuleDescriptions*",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            _SECURITY_GROUPS,
            "SgChangeTagged",
        ),
        # An ingress rule on a shared backend's group (e.g. OpenSearch) for this PR's tasks. The
        # rule itself must carry the preview tags, and only groups tagged environment=staging
        # can receive it.
        statement(
            "SgIngressOnStagingBackends",
            ingress,
            "arn:aws:ec2:*:*:security-group/*",
            {"StringEquals": {"aws:ResourceTag/environment": "staging"}},
        ),
        tagged_create(
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags"],
            ["arn:aws:ec2:*:*:security-group-rule/*"],
            "SgRuleCreateTagged",
        ),
        # Inline rules of the preview's own groups are authorized one by one without tags
        # (EC2 authorizes the group, tagged, and the new rule). Untagged rules only: a rule
        # with tags must carry the preview's (above).
        statement(
            "SgInlineRules",
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"],
            "arn:aws:ec2:*:*:security-group-rule/*",
            {"Null": {"aws:TagKeys": "true"}},
        ),
    ]


def _databases() -> list[Statement]:
    """Aurora copy-on-write clone of staging (never prod: see the deny) + its instance."""
    p = PREVIEW_PREFIX
    return [
        rds_clone(p, "RdsClone", _DEFAULT_OPTION_GROUP),
        rds_manage(
            p,
            "RdsPreview",
            "arn:aws:rds:*:*:subgrp:*",
            "arn:aws:rds:*:*:pg:*",
            _DEFAULT_OPTION_GROUP,
        ),
    ]


def _logs_and_smoke_gate() -> list[Statement]:
    """Log groups, the health-check Lambda and the smoke state machine."""
    p = PREVIEW_PREFIX
    return [
        allow(
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:TagLogGroup",
                "logs:ListTagsForResource",
                "logs:ListTagsLogGroup",
            ],
            [
                f"arn:aws:logs:*:*:log-group:/{PROJECT}/pr-*",
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{p}*",
            ],
            "Logs",
        ),
        # `preview up` reads the failed smoke task's summary line (the failing test names).
        allow(
            ["logs:GetLogEvents"],
            [f"arn:aws:logs:*:*:log-group:/{PROJECT}/pr-*:log-stream:*"],
            "ReadSmokeLogs",
        ),
        allow(
            [
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction*",
                "lambda:UpdateFunction*",
                "lambda:ListVersionsByFunction",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:ListTags",
            ],
            [f"arn:aws:lambda:*:*:function:{p}*"],
            "Lambda",
        ),
        *state_machines(
            p,
            ("StateMachine", "StateMachineExecutions"),
            ("states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution"),
        ),
    ]


def _search_certificate_pool() -> list[Statement]:
    return [
        # Search: a dedicated pp-pr domain. No HTTP grant: the runner never calls the VPC-only
        # domain; a preview's indices are deleted by its own tools task (state machine cleanup).
        allow(
            ["es:CreateDomain", "es:DeleteDomain", "es:UpdateDomainConfig", "es:AddTags"],
            [f"arn:aws:es:*:*:domain/{PREVIEW_PREFIX}*"],
            "SearchDedicated",
        ),
        # Dedicated-ALB option: its own certificate.
        tagged_change(["acm:DeleteCertificate"], ["*"], "AcmDelete"),
        # Warm pool claims (preview/pool/): read the slots, claim/renew/release one.
        allow(
            ["dynamodb:Scan", "dynamodb:UpdateItem"],
            [f"arn:aws:dynamodb:*:*:table/{POOL_PREFIX}*"],
            "PoolClaims",
        ),
    ]


def _dns(zone: str | None) -> list[Statement]:
    """The preview hosts `pr-*.<zone>` (and their validation records), only with a zone."""
    if not zone:
        return []
    return [
        statement(
            "DnsPreviewHostsOnly",
            "route53:ChangeResourceRecordSets",
            "arn:aws:route53:::hostedzone/*",
            {
                "ForAllValues:StringLike": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                        f"pr-*.{zone}",
                        f"_*.pr-*.{zone}",
                    ]
                }
            },
        ),
        allow(
            ["route53:GetHostedZone", "route53:ListResourceRecordSets"],
            "arn:aws:route53:::hostedzone/*",
            "DnsRead",
        ),
    ]
