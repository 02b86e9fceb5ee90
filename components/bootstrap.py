"""Bootstrap: the AWS identity GitHub Actions uses, through OIDC (no long-lived keys).

Creates (stack `bootstrap`, run once per account by an admin):
  aws.iam.OpenIdConnectProvider   token.actions.githubusercontent.com, audience sts.amazonaws.com
                                  (or reuses an existing one: there can be only one per account)
  aws.iam.Policy                  `pp-preview-boundary`, the permissions boundary every IAM role
                                  of a preview stack must carry
  aws.iam.Role + RolePolicy       preview: trusted only for `repo:<org>/<repo>:pull_request`
  aws.iam.Role + RolePolicy       reaper: same permissions, trusted only for
                                  `repo:<org>/<repo>:environment:preview-reaper`, plus the
  aws.iam.Policy x2               managed `pp-pool-maintenance` (stack pool) and
                                  `pp-pool-seeders` (its slots' seeders)
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

from components.bootstrap_policies import (
    boundary_policy,
    deploy_policy,
    pool_policy,
    pool_seeder_policy,
    preview_policy,
    trust_policy,
)
from components.bootstrap_policies.statements import AUDIENCE, BOUNDARY_NAME
from contracts.constants import MANAGED_BY, PROJECT
from contracts.errors import BootstrapError

# What others import from here; the documents themselves are in components/bootstrap_policies/.
__all__ = [
    "BOUNDARY_NAME",
    "BootstrapError",
    "GithubIdentity",
    "GithubIdentityArgs",
    "boundary_policy",
    "deploy_policy",
    "pool_policy",
    "pool_seeder_policy",
    "preview_policy",
    "trust_policy",
]

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
POOL_POLICY_NAME = "pp-pool-maintenance"
POOL_SEEDER_POLICY_NAME = "pp-pool-seeders"
INLINE_POLICY_LIMIT = 10_240  # characters of all of a role's inline policies, no whitespace
_LONGEST_BOUNDARY = f"arn:aws-us-gov:iam::123456789012:policy/{BOUNDARY_NAME}"
REAPER_ENVIRONMENT = "preview-reaper"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
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
        self.boundary_arn = self._create_policy(
            f"{name}-boundary",
            BOUNDARY_NAME,
            "Permissions boundary of every IAM role inside a preview stack",
            boundary_policy(),
        )
        preview_doc = pulumi.Output.json_dumps(preview_policy(args, self.boundary_arn))
        self.preview_role_arn = self._create_role(
            name, "preview", args.subject("pull_request"), preview_doc
        )
        # The reaper also keeps the warm pool (`preview pool refill|refresh` on its schedule).
        pool_arn = self._create_policy(
            f"{name}-pool",
            POOL_POLICY_NAME,
            "Warm database pool upkeep (stack pool) for the preview reaper",
            pool_policy(args),
        )
        seeders_arn = self._create_policy(
            f"{name}-pool-seeders",
            POOL_SEEDER_POLICY_NAME,
            "Warm pool slot seeders (stack pool) for the preview reaper",
            pool_seeder_policy(),
        )
        self.reaper_role_arn = self._create_role(
            name,
            "reaper",
            args.subject(f"environment:{REAPER_ENVIRONMENT}"),
            preview_doc,
            managed=(pool_arn, seeders_arn),
        )
        self.staging_role_arn = self._create_deploy_role(name, "staging", "staging")
        self.prod_role_arn = self._create_deploy_role(name, "prod", "production")
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

    def _create_policy(
        self, resource_name: str, physical: str, description: str, document: dict[str, Any]
    ) -> pulumi.Output[str]:
        policy = aws.iam.Policy(
            resource_name,
            name=physical,
            description=description,
            policy=json.dumps(document),
            tags=self._tags,
            opts=self._child,
        )
        return policy.arn

    def _create_deploy_role(
        self, name: str, env: str, github_environment: str
    ) -> pulumi.Output[str]:
        """A long-lived deploy role: the configured managed policies plus its stack's IAM."""
        return self._create_role(
            name,
            env,
            self._args.subject(f"environment:{github_environment}"),
            json.dumps(deploy_policy(env)),
            managed=self._args.deploy_policy_arns,
        )

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
