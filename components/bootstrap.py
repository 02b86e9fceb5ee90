"""Bootstrap: the AWS identity GitHub Actions uses, through OIDC (no long-lived keys).

Creates (stack `bootstrap`, run once per account by an admin):
  aws.iam.OpenIdConnectProvider   token.actions.githubusercontent.com, audience sts.amazonaws.com
                                  (or reuses an existing one: there can be only one per account)
  aws.iam.Policy                  `pp-preview-boundary`, the permissions boundary every IAM role
                                  of a preview stack must carry
  aws.iam.Role + RolePolicy       preview: trusted only for `repo:<org>/<repo>:pull_request`
  aws.iam.Role + RolePolicy       reaper: same permissions, trusted only for
                                  `repo:<org>/<repo>:environment:preview-reaper`
  aws.iam.Role + policies         staging / prod: trusted only for `environment:staging` /
                                  `environment:production`

How the preview permissions are kept narrow (what a PR branch can do with its role):
* creates must carry the preview tags (`aws:RequestTag/preview:pr`, `managed-by`), changes and
  deletes need the `preview:pr` tag on the resource (`aws:ResourceTag`): ECS, ELBv2, EC2
  security groups, ACM and IAM roles (autonamed, so they have no prefix);
* elsewhere by the physical-name prefix of preview stacks, `pp-pr-*` (components/naming.py:
  RDS, OpenSearch, Step Functions, Lambda), `/preview-platform/pr-*` for log groups and the
  host `pr-*.<zone>` for Route53;
* every IAM role it creates or edits must carry the boundary `pp-preview-boundary`, so a PR
  cannot mint a role more powerful than that;
* the one write to staging: a tagged ingress rule on a group tagged `environment=staging` (the
  shared OpenSearch). IAM has no condition on a rule's source, so this lets a PR add any tagged
  ingress rule to any staging group (the rule must carry the preview tags);
* an explicit deny on anything tagged `environment=prod` or named `pp-prod*` wins over all of it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from contracts.constants import MANAGED_BY, PROJECT
from contracts.errors import BootstrapError

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
PREVIEW_PREFIX = "pp-pr-"
STAGING_PREFIX = "pp-staging"
# The warm pool (stack `pool`, components/pool.py): its claims table and slot clones.
POOL_PREFIX = "pp-pool-"
POOL_POLICY_NAME = "pp-pool-maintenance"
BOUNDARY_NAME = "pp-preview-boundary"
INLINE_POLICY_LIMIT = 10_240  # characters of all of a role's inline policies, no whitespace
_LONGEST_BOUNDARY = f"arn:aws-us-gov:iam::123456789012:policy/{BOUNDARY_NAME}"
REAPER_ENVIRONMENT = "preview-reaper"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
# AWS-managed policies a preview role may attach to the roles it creates (all read/run-only).
ATTACHABLE_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
)
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+")


_HINTS = {
    "github_org": "set githubOrg to the GitHub organization or user that owns the repository",
    "github_repo": "set githubRepo to the repository name only, e.g. 'shop' (not 'acme/shop')",
    "state_bucket": "the S3 bucket name of the Pulumi backend (s3://<bucket>), without s3://",
    "preview_zone": "the preview DNS zone, e.g. preview.example.com",
    "secrets_kms_key_arn": "the ARN of the KMS key of the Pulumi secrets provider",
    "existing_provider_arn": "the ARN of the account's GitHub OIDC provider, or leave it unset",
    "deploy_policy_arns": "IAM policy ARNs for the staging/prod deploy roles",
}


class GithubIdentityArgs(BaseModel):
    """What the identity trusts (one GitHub repository) and what preview roles may touch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    github_org: str = Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
    github_repo: str = Field(pattern=r"^[A-Za-z0-9._-]{1,100}$")
    project: str = PROJECT
    # Pulumi DIY backend bucket; None when the state lives in Pulumi Cloud.
    state_bucket: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    preview_zone: str | None = Field(
        default=None, pattern=r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
    )
    secrets_kms_key_arn: str | None = None
    # Only one provider per URL may exist in an account: reuse it if another stack made it.
    existing_provider_arn: str | None = None
    deploy_policy_arns: tuple[str, ...] = (POWER_USER,)
    # Covers the longest job (90 min): credentials must not expire mid-`pulumi up`. IAM: 1-12 h.
    max_session_seconds: int = Field(default=7200, ge=3600, le=43200)
    tags: dict[str, str] = Field(default_factory=dict)

    def __init__(self, **values: Any) -> None:
        # Fail with the argument's name (= the config key) and the fix, before any resource.
        try:
            super().__init__(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else "?"
            msg = "is required" if err["type"] == "missing" else err["msg"]
            if err["type"] == "string_pattern_mismatch":
                msg = f"{err.get('input')!r} is not valid"
            hint = _HINTS.get(field, "see GithubIdentityArgs in components/bootstrap.py")
            raise BootstrapError(field, msg.removeprefix("Value error, "), hint) from None
        # The bucket and zone names are repeated in the preview policy; IAM refuses the role's
        # inline policies over 10,240 characters, which would only surface mid-`pulumi up`.
        size = len(json.dumps(preview_policy(self, _LONGEST_BOUNDARY), separators=(",", ":")))
        if size > INLINE_POLICY_LIMIT:
            field = "preview_zone" if self.preview_zone else "state_bucket"
            raise BootstrapError(
                field,
                f"the preview policy would be {size} characters, over IAM's"
                f" {INLINE_POLICY_LIMIT}-character limit for a role's inline policies",
                "use a shorter preview zone or state bucket name (each appears several times)",
            )

    @field_validator("github_repo")
    @classmethod
    def _not_dot(cls, v: str) -> str:
        if v in (".", ".."):
            raise ValueError("is not a repository name")
        return v

    @field_validator("secrets_kms_key_arn", "existing_provider_arn")
    @classmethod
    def _arn(cls, v: str | None) -> str | None:
        if v is not None and not _ARN.fullmatch(v):
            raise ValueError(f"{v!r} is not an ARN")
        return v

    @field_validator("deploy_policy_arns")
    @classmethod
    def _arns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for arn in v:
            if not _ARN.fullmatch(arn):
                raise ValueError(f"{arn!r} is not an ARN")
        return v

    @property
    def repository(self) -> str:
        return f"{self.github_org}/{self.github_repo}"

    def subject(self, suffix: str) -> str:
        """The exact OIDC `sub` claim GitHub sends, e.g. `repo:acme/shop:pull_request`."""
        return f"repo:{self.repository}:{suffix}"


def trust_policy(provider_arn: Any, subject: str) -> dict[str, Any]:
    """Web-identity trust for one exact `sub` and our audience; nothing else can assume it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
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
        ],
    }


def _tagged_create(actions: list[str], resources: list[str], sid: str) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources,
        "Condition": {
            "StringEquals": {"aws:RequestTag/managed-by": MANAGED_BY},
            "Null": {"aws:RequestTag/preview:pr": "false"},
        },
    }


def _tagged_change(actions: list[str], resources: list[str], sid: str) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources,
        "Condition": {"Null": {"aws:ResourceTag/preview:pr": "false"}},
    }


def _allow(actions: list[str], resources: list[str] | str, sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def _prod_guard() -> list[dict[str, Any]]:
    """Explicit denies win over every allow: nothing of prod, whatever a PR branch tries."""
    return [
        {
            "Sid": "DenyProdTagged",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/environment": "prod"}},
        },
        {
            "Sid": "DenyProdNamed",
            "Effect": "Deny",
            "Action": "*",
            "Resource": [
                "arn:aws:rds:*:*:cluster:pp-prod*",
                "arn:aws:rds:*:*:db:pp-prod*",
                "arn:aws:iam::*:role/pp-prod*",
                "arn:aws:ecr:*:*:repository/pp-prod*",
                "arn:aws:es:*:*:domain/pp-prod*",
                "arn:aws:ecs:*:*:service/pp-prod*",
                "arn:aws:states:*:*:stateMachine:pp-prod*",
                "arn:aws:lambda:*:*:function:pp-prod*",
            ],
        },
        {
            "Sid": "DenyIdentityTampering",
            "Effect": "Deny",
            "Action": [
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
            "Resource": "*",
        },
    ]


def _pool_statements() -> list[dict[str, Any]]:
    """The reaper's extra: `preview pool refill|refresh` deploys stack `pool` (its table, slot
    clones of staging and their groups, all named pp-pool-* or tagged environment=pool)."""
    q = POOL_PREFIX
    pool_tag = {"StringEquals": {"aws:RequestTag/environment": "pool"}}
    return [
        _allow(
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
        _allow(
            ["rds:RestoreDBClusterToPointInTime"],
            [
                f"arn:aws:rds:*:*:cluster:{q}*",
                f"arn:aws:rds:*:*:cluster:{STAGING_PREFIX}-*",
                "arn:aws:rds:*:*:subgrp:*",
                "arn:aws:rds:*:*:cluster-pg:*",
            ],
            "PoolClone",
        ),
        _allow(
            [
                "rds:CreateDBInstance",
                "rds:ModifyDBCluster",
                "rds:ModifyDBInstance",
                "rds:DeleteDBCluster",
                "rds:DeleteDBInstance",
                "rds:AddTagsToResource",
                "rds:RemoveTagsFromResource",
            ],
            [f"arn:aws:rds:*:*:cluster:{q}*", f"arn:aws:rds:*:*:db:{q}*", "arn:aws:rds:*:*:pg:*"],
            "PoolRds",
        ),
        {
            "Sid": "PoolSgCreate",
            "Effect": "Allow",
            "Action": ["ec2:CreateSecurityGroup", "ec2:CreateTags"],
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": pool_tag,
        },
        {
            "Sid": "PoolSgChange",
            "Effect": "Allow",
            "Action": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:DeleteSecurityGroup",
                "ec2:CreateTags",
            ],
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/environment": "pool"}},
        },
    ]


def pool_policy(args: GithubIdentityArgs) -> dict[str, Any]:
    """The reaper's managed policy for the warm pool: stack `pool` and its state. Managed, not
    inline: a role's inline policies share one 10,240-character quota the preview policy fills;
    a managed policy has its own 6,144 (IAM and STS quotas)."""
    statements = _pool_statements()
    statements.extend(_state_statements(args, stacks=("pool",), read_stacks=("staging",)))
    statements.extend(_prod_guard())
    return {"Version": "2012-10-17", "Statement": statements}


def preview_policy(args: GithubIdentityArgs, boundary_arn: Any) -> dict[str, Any]:
    """What `preview up/down/reap` may do. Values are placed verbatim (may be pulumi Outputs)."""
    p = PREVIEW_PREFIX
    statements: list[dict[str, Any]] = [
        _allow(
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
        _allow(
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
        # ECS task definitions and services of the preview.
        # ECS: the preview's own cluster, task definitions and services.
        # Creates scoped by the preview tags alone (their services take "*" or a new ARN;
        # one statement because the role's inline policies are capped at 10,240 characters).
        # iam:TagRole: CreateRole with tags is also authorized as TagRole, which has no
        # iam:PermissionsBoundary key (Service Authorization Reference): tags only.
        _tagged_create(
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
        _tagged_change(
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
        _tagged_change(
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
        # Per-PR security groups.
        _tagged_create(
            ["ec2:CreateSecurityGroup", "ec2:CreateTags"],
            ["arn:aws:ec2:*:*:security-group/*", "arn:aws:ec2:*:*:security-group-rule/*"],
            "SgCreateTagged",
        ),
        _allow(["ec2:CreateSecurityGroup"], ["arn:aws:ec2:*:*:vpc/*"], "SgInVpc"),
        _tagged_change(
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
            ["arn:aws:ec2:*:*:security-group/*", "arn:aws:ec2:*:*:security-group-rule/*"],
            "SgChangeTagged",
        ),
        # The one change to a staging resource: an ingress rule on a shared backend's group
        # (e.g. OpenSearch) for this PR's tasks. The rule itself must carry the preview tags,
        # and only groups tagged environment=staging can receive it.
        {
            "Sid": "SgIngressOnStagingBackends",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": "arn:aws:ec2:*:*:security-group/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/environment": "staging"}},
        },
        _tagged_create(
            ["ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags"],
            ["arn:aws:ec2:*:*:security-group-rule/*"],
            "SgRuleCreateTagged",
        ),
        # Inline rules of the preview's own groups are authorized one by one without tags
        # (EC2 authorizes the group, tagged, and the new rule). Untagged rules only: a rule
        # with tags must carry the preview's (above).
        {
            "Sid": "SgInlineRules",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"],
            "Resource": "arn:aws:ec2:*:*:security-group-rule/*",
            "Condition": {"Null": {"aws:TagKeys": "true"}},
        },
        # Aurora copy-on-write clone of staging (never prod: see the deny) + its instance.
        _allow(
            ["rds:RestoreDBClusterToPointInTime"],
            [
                f"arn:aws:rds:*:*:cluster:{p}*",
                f"arn:aws:rds:*:*:cluster:{STAGING_PREFIX}-*",
                "arn:aws:rds:*:*:subgrp:*",
                "arn:aws:rds:*:*:cluster-pg:*",
                # Restore and CreateDBInstance are also authorized on the (default) option group.
                "arn:aws:rds:*:*:og:default:aurora-*",
            ],
            "RdsClone",
        ),
        _allow(
            [
                "rds:CreateDBInstance",
                "rds:ModifyDBCluster",
                "rds:ModifyDBInstance",
                "rds:DeleteDBCluster",
                "rds:DeleteDBInstance",
                "rds:AddTagsToResource",
                "rds:RemoveTagsFromResource",
            ],
            [
                f"arn:aws:rds:*:*:cluster:{p}*",
                f"arn:aws:rds:*:*:db:{p}*",
                "arn:aws:rds:*:*:subgrp:*",
                "arn:aws:rds:*:*:pg:*",
                "arn:aws:rds:*:*:og:default:aurora-*",
            ],
            "RdsPreview",
        ),
        # IAM roles of the preview's tasks, Lambda and state machine. Pulumi autonames them
        # (no stable prefix), so they are scoped by tag, and every one must carry the boundary.
        {
            "Sid": "IamCreateBoundedTagged",
            "Effect": "Allow",
            "Action": ["iam:CreateRole"],
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {
                "StringEquals": {
                    "iam:PermissionsBoundary": boundary_arn,
                    "aws:RequestTag/managed-by": MANAGED_BY,
                },
                "Null": {"aws:RequestTag/preview:pr": "false"},
            },
        },
        # Tagging (CreateTagged) must not adopt another stack's role into the preview's reach.
        {
            "Sid": "IamNoRetagOfOtherRoles",
            "Effect": "Deny",
            "Action": ["iam:TagRole", "iam:UntagRole"],
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {
                "Null": {"aws:ResourceTag/environment": "false"},
                "StringNotLike": {"aws:ResourceTag/environment": "pr-*"},
            },
        },
        {
            "Sid": "IamPoliciesBounded",
            "Effect": "Allow",
            "Action": [
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
            ],
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {
                "StringEquals": {"iam:PermissionsBoundary": boundary_arn},
                "Null": {"aws:ResourceTag/preview:pr": "false"},
            },
        },
        {
            "Sid": "IamAttachOnlyServicePolicies",
            "Effect": "Deny",
            "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"iam:PolicyARN": list(ATTACHABLE_POLICIES)}},
        },
        _tagged_change(
            [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:DeleteRole",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            ["arn:aws:iam::*:role/*"],
            "IamManagePreviewRoles",
        ),
        {
            "Sid": "IamPassPreviewRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": [
                        "ecs-tasks.amazonaws.com",
                        "lambda.amazonaws.com",
                        "states.amazonaws.com",
                    ]
                },
                "Null": {"aws:ResourceTag/preview:pr": "false"},
            },
        },
        # Log groups, the health-check Lambda and the smoke state machine.
        _allow(
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
        _allow(
            ["logs:GetLogEvents"],
            [f"arn:aws:logs:*:*:log-group:/{PROJECT}/pr-*:log-stream:*"],
            "ReadSmokeLogs",
        ),
        _allow(
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
        _allow(
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
            [f"arn:aws:states:*:*:stateMachine:{p}*"],
            "StateMachine",
        ),
        _allow(
            ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution"],
            [f"arn:aws:states:*:*:execution:{p}*:*"],
            "StateMachineExecutions",
        ),
        # Search: a dedicated pp-pr domain. No HTTP grant: the runner never calls the VPC-only
        # domain; a preview's indices are deleted by its own tools task (state machine cleanup).
        _allow(
            ["es:CreateDomain", "es:DeleteDomain", "es:UpdateDomainConfig", "es:AddTags"],
            [f"arn:aws:es:*:*:domain/{p}*"],
            "SearchDedicated",
        ),
        # Dedicated-ALB option: its own certificate.
        _tagged_change(["acm:DeleteCertificate"], ["*"], "AcmDelete"),
        # Warm pool claims (preview/pool.py): read the slots, claim/renew/release one.
        _allow(
            ["dynamodb:Scan", "dynamodb:UpdateItem"],
            [f"arn:aws:dynamodb:*:*:table/{POOL_PREFIX}*"],
            "PoolClaims",
        ),
    ]
    if args.preview_zone:
        statements.append(
            {
                "Sid": "DnsPreviewHostsOnly",
                "Effect": "Allow",
                "Action": "route53:ChangeResourceRecordSets",
                "Resource": "arn:aws:route53:::hostedzone/*",
                "Condition": {
                    "ForAllValues:StringLike": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                            f"pr-*.{args.preview_zone}",
                            f"_*.pr-*.{args.preview_zone}",
                        ]
                    }
                },
            }
        )
        statements.append(
            _allow(
                ["route53:GetHostedZone", "route53:ListResourceRecordSets"],
                "arn:aws:route53:::hostedzone/*",
                "DnsRead",
            )
        )
    statements.extend(_state_statements(args, stacks=("pr-*",), read_stacks=("staging",)))
    statements.extend(_prod_guard())
    return {"Version": "2012-10-17", "Statement": statements}


def _state_statements(
    args: GithubIdentityArgs, *, stacks: tuple[str, ...], read_stacks: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Pulumi state: read/write its own stacks, read the stacks it references, nothing else."""
    out: list[dict[str, Any]] = []
    if args.state_bucket:
        b = f"arn:aws:s3:::{args.state_bucket}"
        # stacks/, history/, backups/ use `<project>/<stack>`; locks/ uses
        # `organization/<project>/<stack>/`: one pattern covers both layouts.
        own = [f"{b}/.pulumi/*{args.project}/{stack}" for stack in stacks]
        out += [
            _allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], own, "StateOwnStacks"),
            _allow(
                ["s3:GetObject"],
                [
                    f"{b}/.pulumi/meta.yaml",
                    f"{b}/.pulumi/Pulumi.yaml",
                    *(f"{b}/.pulumi/stacks/{args.project}/{s}.json*" for s in read_stacks),
                ],
                "StateReadReferenced",
            ),
            _allow(["s3:ListBucket", "s3:GetBucketLocation"], [b], "StateList"),
        ]
    if args.secrets_kms_key_arn:
        out.append(
            _allow(
                ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                [args.secrets_kms_key_arn],
                "StateSecrets",
            )
        )
    return out


def boundary_policy() -> dict[str, Any]:
    """The most any role inside a preview may do at run time (tasks, Lambda, state machine)."""
    p = PREVIEW_PREFIX
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(
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
            _allow(["ecs:RunTask"], ["arn:aws:ecs:*:*:task-definition/*"], "RunSmokeTasks"),
            _allow(
                ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                ["arn:aws:events:*:*:rule/StepFunctionsGetEventsForECSTaskRule"],
                "SfnEcsSync",
            ),
            {
                "Sid": "PassPreviewRoles",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": "arn:aws:iam::*:role/*",
                "Condition": {"Null": {"aws:ResourceTag/preview:pr": "false"}},
            },
            _allow(
                ["es:ESHttp*"],
                [f"arn:aws:es:*:*:domain/{STAGING_PREFIX}-*/pr-*", f"arn:aws:es:*:*:domain/{p}*"],
                "SearchPreviewIndices",
            ),
            _allow(["rds-db:connect"], "*", "DbConnect"),
        ],
    }


def _iam_name_policy(env: str) -> dict[str, Any]:
    """PowerUserAccess has no IAM: a long-lived deploy role manages only its stack's IAM, found
    by name (`pp-<env>*`) or, for autonamed roles, by the stack's `environment` tag. Managing
    its own roles' policies makes it admin-equivalent in practice: guard it with the environment.
    """
    prefix = f"pp-{env}"
    role_or_policy = ["arn:aws:iam::*:role/*", "arn:aws:iam::*:policy/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(
                ["iam:*"],
                [
                    f"arn:aws:iam::*:role/{prefix}*",
                    f"arn:aws:iam::*:policy/{prefix}*",
                    f"arn:aws:iam::*:instance-profile/{prefix}*",
                ],
                "IamOwnStackByName",
            ),
            {
                "Sid": "IamCreateTagged",
                "Effect": "Allow",
                "Action": ["iam:CreateRole", "iam:TagRole", "iam:CreatePolicy", "iam:TagPolicy"],
                "Resource": role_or_policy,
                "Condition": {"StringEquals": {"aws:RequestTag/environment": env}},
            },
            {
                "Sid": "IamManageTagged",
                "Effect": "Allow",
                "Action": ["iam:*"],
                "Resource": role_or_policy,
                "Condition": {"StringEquals": {"aws:ResourceTag/environment": env}},
            },
            _allow(
                ["iam:CreateServiceLinkedRole", "iam:GetRole", "iam:ListRoles", "iam:GetPolicy*"],
                "*",
                "IamServiceLinked",
            ),
            # A staging deploy must not reach prod, and neither may touch the identity itself.
            *(
                [
                    {
                        "Sid": "DenyProdTagged",
                        "Effect": "Deny",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:ResourceTag/environment": "prod"}},
                    }
                ]
                if env == "staging"
                else []
            ),
            _deny_identity(),
        ],
    }


def _deny_identity() -> dict[str, Any]:
    return {
        "Sid": "DenyIdentityChanges",
        "Effect": "Deny",
        "Action": ["iam:*"],
        "Resource": [
            "arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com",
            "arn:aws:iam::*:role/pp-github-*",
            f"arn:aws:iam::*:policy/{BOUNDARY_NAME}",
        ],
    }


class GithubIdentity(pulumi.ComponentResource):
    """GitHub OIDC provider and the preview, reaper, staging and prod roles of one repository."""

    provider_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    reaper_role_arn: pulumi.Output[str]
    staging_role_arn: pulumi.Output[str]
    prod_role_arn: pulumi.Output[str]
    boundary_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: GithubIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not isinstance(args, GithubIdentityArgs):
            raise BootstrapError(
                "args",
                f"expected GithubIdentityArgs, got {type(args).__name__}",
                "build it with GithubIdentityArgs(github_org=..., github_repo=...)",
            )
        super().__init__("platform:bootstrap:GithubIdentity", name, None, opts)
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags = {**args.tags, "managed-by": MANAGED_BY, "environment": "bootstrap"}

        self.provider_arn = self._create_provider(name)
        boundary = aws.iam.Policy(
            f"{name}-boundary",
            name=BOUNDARY_NAME,
            description="Permissions boundary of every IAM role inside a preview stack",
            policy=json.dumps(boundary_policy()),
            tags=self._tags,
            opts=self._child,
        )
        self.boundary_arn = boundary.arn
        preview_doc = pulumi.Output.json_dumps(preview_policy(args, boundary.arn))
        self.preview_role_arn = self._create_role(
            name, "preview", args.subject("pull_request"), preview_doc
        )
        # The reaper also keeps the warm pool (`preview pool refill|refresh` on its schedule).
        pool = aws.iam.Policy(
            f"{name}-pool",
            name=POOL_POLICY_NAME,
            description="Warm database pool upkeep (stack pool) for the preview reaper",
            policy=json.dumps(pool_policy(args)),
            tags=self._tags,
            opts=self._child,
        )
        self.reaper_role_arn = self._create_role(
            name,
            "reaper",
            args.subject(f"environment:{REAPER_ENVIRONMENT}"),
            preview_doc,
            managed=(pool.arn,),
        )
        self.staging_role_arn = self._create_role(
            name,
            "staging",
            args.subject("environment:staging"),
            json.dumps(_iam_name_policy("staging")),
            managed=args.deploy_policy_arns,
        )
        self.prod_role_arn = self._create_role(
            name,
            "prod",
            args.subject("environment:production"),
            json.dumps(_iam_name_policy("prod")),
            managed=args.deploy_policy_arns,
        )
        self.register_outputs(
            {
                "provider_arn": self.provider_arn,
                "preview_role_arn": self.preview_role_arn,
                "reaper_role_arn": self.reaper_role_arn,
                "staging_role_arn": self.staging_role_arn,
                "prod_role_arn": self.prod_role_arn,
                "boundary_arn": self.boundary_arn,
            }
        )

    def _create_provider(self, name: str) -> pulumi.Output[str]:
        if self._args.existing_provider_arn:
            return pulumi.Output.from_input(self._args.existing_provider_arn)
        provider = aws.iam.OpenIdConnectProvider(
            f"{name}-github",
            url=GITHUB_OIDC_URL,
            client_id_lists=[AUDIENCE],
            tags=self._tags,
            # Deleting it would cut every workflow of the account off from AWS at once.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        return provider.arn

    def _create_role(
        self,
        name: str,
        role: str,
        subject: str,
        policy: str | pulumi.Output[str],
        managed: tuple[pulumi.Input[str], ...] = (),
    ) -> pulumi.Output[str]:
        r = aws.iam.Role(
            f"{name}-{role}",
            name=f"pp-github-{role}",
            description=f"GitHub Actions ({subject}) for {PROJECT} {role}",
            assume_role_policy=pulumi.Output.json_dumps(trust_policy(self.provider_arn, subject)),
            max_session_duration=self._args.max_session_seconds,
            tags=self._tags,
            opts=self._child,
        )
        aws.iam.RolePolicy(f"{name}-{role}-policy", role=r.name, policy=policy, opts=self._child)
        for i, arn in enumerate(managed):
            aws.iam.RolePolicyAttachment(
                f"{name}-{role}-managed-{i}", role=r.name, policy_arn=arn, opts=self._child
            )
        return r.arn
