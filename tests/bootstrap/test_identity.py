"""The GitHub OIDC identity: who can assume which role, and what the preview role can do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.bootstrap import (
    BootstrapError,
    GithubIdentityArgs,
    boundary_policy,
    preview_policy,
    trust_policy,
)
from tests.bootstrap.conftest import ACCOUNT, Build, RecordingMocks
from tests.bootstrap.iam_eval import allowed

ROLE = "aws:iam/role:Role"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/pp-preview-boundary"
PREVIEW_TAGS = {"preview:pr": "12", "managed-by": "preview-platform", "environment": "pr-12"}
PROD_TAGS = {"environment": "prod", "managed-by": "preview-platform"}
A = "arn:aws"
ACC = f"eu-west-1:{ACCOUNT}"
TASK_ROLE = f"{A}:iam::{ACCOUNT}:role/app-web-task-1a2b"


def _args(**extra: Any) -> GithubIdentityArgs:
    return GithubIdentityArgs(github_org="acme", github_repo="shop", **extra)


def _preview() -> dict[str, Any]:
    return preview_policy(
        _args(state_bucket="acme-state", preview_zone="preview.acme.dev"), BOUNDARY
    )


def _condition(trust: dict[str, Any]) -> dict[str, Any]:
    (stmt,) = trust["Statement"]
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    return dict(stmt["Condition"])


def test_creates_provider_and_four_roles(build: Build) -> None:
    """One OIDC provider for GitHub's issuer with audience sts.amazonaws.com, four roles."""
    mocks, outputs = build(github_org="acme", github_repo="shop")
    (provider,) = mocks.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert sorted(r.inputs["name"] for r in mocks.of_type(ROLE)) == [
        "pp-github-preview",
        "pp-github-prod",
        "pp-github-reaper",
        "pp-github-staging",
    ]
    assert outputs["preview_role_arn"].endswith(":role/pp-github-preview")
    assert outputs["prod_role_arn"].endswith(":role/pp-github-prod")
    assert outputs["provider_arn"].endswith(":oidc-provider/token.actions.githubusercontent.com")


@pytest.mark.parametrize(
    ("role", "subject"),
    [
        ("preview", "repo:acme/shop:pull_request"),
        ("reaper", "repo:acme/shop:environment:preview-reaper"),
        ("staging", "repo:acme/shop:environment:staging"),
        ("prod", "repo:acme/shop:environment:production"),
    ],
)
def test_each_role_trusts_exactly_one_subject(build: Build, role: str, subject: str) -> None:
    """Trust is an exact StringEquals on `sub` and `aud`: no wildcard lets another repository,
    branch or environment assume the role."""
    mocks, outputs = build(github_org="acme", github_repo="shop")
    trust = mocks.named(f"github-{role}").json("assumeRolePolicy")
    assert _condition(trust) == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
        }
    }
    assert trust["Statement"][0]["Principal"] == {"Federated": outputs["provider_arn"]}


def test_prod_role_is_not_assumable_from_a_pull_request(build: Build) -> None:
    """A PR's token (sub ...:pull_request) satisfies the preview trust and no other."""
    mocks, _ = build(github_org="acme", github_repo="shop")
    token = {
        "token.actions.githubusercontent.com:sub": "repo:acme/shop:pull_request",
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
    }
    assumable = [
        r.inputs["name"]
        for r in mocks.of_type(ROLE)
        if _condition(r.json("assumeRolePolicy"))["StringEquals"] == token
    ]
    assert assumable == ["pp-github-preview"]


def test_existing_provider_is_reused(build: Build) -> None:
    """With existing_provider_arn no second provider is created (AWS allows one per URL)."""
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    mocks, outputs = build(github_org="acme", github_repo="shop", existing_provider_arn=arn)
    assert mocks.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert outputs["provider_arn"] == arn


def test_preview_role_has_no_admin_statement() -> None:
    """No `*` action anywhere in an Allow of the preview policy, nor an unscoped service `x:*`."""
    for s in _preview()["Statement"]:
        if s["Effect"] != "Allow":
            continue
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        assert not any(a == "*" or a.endswith(":*") for a in actions), s["Sid"]


@pytest.mark.parametrize(
    ("action", "resource", "tags"),
    [
        ("rds:DeleteDBCluster", f"{A}:rds:{ACC}:cluster:pp-prod-db", PROD_TAGS),
        ("rds:ModifyDBCluster", f"{A}:rds:{ACC}:cluster:pp-staging-db", {}),
        ("iam:PutRolePolicy", TASK_ROLE, PROD_TAGS),
        ("iam:DeleteRole", f"{A}:iam::{ACCOUNT}:role/pp-github-prod", {}),
        ("iam:PassRole", TASK_ROLE, {"environment": "staging"}),
        ("ecs:UpdateService", f"{A}:ecs:{ACC}:service/pp-prod/web", PROD_TAGS),
        ("ecs:UpdateService", f"{A}:ecs:{ACC}:service/pp-staging/web", {"environment": "staging"}),
        (
            "ecs:DeleteTaskDefinitions",
            f"{A}:ecs:{ACC}:task-definition/pp-staging-web:7",
            {"environment": "staging"},
        ),
        (
            "elasticloadbalancing:DeleteRule",
            f"{A}:elasticloadbalancing:{ACC}:listener-rule/app/pp-staging-preview/0123456789abcdef/fedcba9876543210/0a1b2c3d4e5f6a7b",
            {},
        ),
        ("ec2:AuthorizeSecurityGroupIngress", f"{A}:ec2:{ACC}:security-group/sg-db", {}),
        ("ecr:PutImage", f"{A}:ecr:{ACC}:repository/pp-prod-app", PROD_TAGS),
        ("states:StartExecution", f"{A}:states:{ACC}:stateMachine:pp-prod-x", PROD_TAGS),
        ("es:ESHttpDelete", f"{A}:es:{ACC}:domain/pp-staging-search/app", {}),
        # The runner never calls the VPC-only domain: index cleanup runs in the preview's task.
        ("es:ESHttpDelete", f"{A}:es:{ACC}:domain/pp-staging-search/pr-12-items", {}),
        ("lambda:UpdateFunctionCode", f"{A}:lambda:{ACC}:function:pp-staging-health", {}),
        ("logs:DeleteLogGroup", f"{A}:logs:{ACC}:log-group:/preview-platform/prod/app", {}),
        ("s3:PutObject", f"{A}:s3:::acme-state/.pulumi/stacks/preview-platform/prod.json", {}),
        ("s3:PutObject", f"{A}:s3:::acme-state/.pulumi/stacks/preview-platform/staging.json", {}),
        (
            "s3:DeleteObject",
            f"{A}:s3:::acme-state/.pulumi/locks/organization/preview-platform/staging/u.json",
            {},
        ),
        ("route53:ChangeResourceRecordSets", f"{A}:route53:::hostedzone/Z1", {}),
    ],
)
def test_preview_role_cannot_touch_long_lived_resources(
    action: str, resource: str, tags: dict[str, str]
) -> None:
    """What a PR branch could try with its role against staging/prod resources is refused."""
    names = {"route53__ChangeResourceRecordSetsNormalizedRecordNames": ["www.acme.dev"]}
    assert not allowed(_preview(), action, resource, resource_tags=tags, **names)


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("rds:DeleteDBCluster", f"{A}:rds:{ACC}:cluster:pp-pr-12-db"),
        ("rds:RestoreDBClusterToPointInTime", f"{A}:rds:{ACC}:cluster:pp-staging-db"),
        ("states:StartExecution", f"{A}:states:{ACC}:stateMachine:pp-pr-12-smoke"),
        ("states:DescribeExecution", f"{A}:states:{ACC}:execution:pp-pr-12-smoke:run-1"),
        ("ecr:PutImage", f"{A}:ecr:{ACC}:repository/pp-staging-tools"),
        ("ecs:DeleteService", f"{A}:ecs:{ACC}:service/pp-staging/pp-pr-12-web"),
        (
            "elasticloadbalancing:DeleteRule",
            f"{A}:elasticloadbalancing:{ACC}:listener-rule/app/pp-staging-preview/0123456789abcdef/fedcba9876543210/0a1b2c3d4e5f6a7b",
        ),
        ("ec2:DeleteSecurityGroup", f"{A}:ec2:{ACC}:security-group/sg-pr12"),
        ("ecs:DeleteCluster", f"{A}:ecs:{ACC}:cluster/pp-pr-12"),
        ("ecs:DeleteTaskDefinitions", f"{A}:ecs:{ACC}:task-definition/pp-pr-12-web:3"),
        ("ecs:StopTask", f"{A}:ecs:{ACC}:task/pp-pr-12/0f1e2d"),
        ("ecs:PutClusterCapacityProviders", f"{A}:ecs:{ACC}:cluster/pp-pr-12"),
        ("iam:DeleteRole", TASK_ROLE),
        ("logs:DeleteLogGroup", f"{A}:logs:{ACC}:log-group:/preview-platform/pr-12/app"),
        (
            "logs:GetLogEvents",
            f"{A}:logs:{ACC}:log-group:/preview-platform/pr-12/smoke:log-stream:tools/tools/abc",
        ),
        ("s3:PutObject", f"{A}:s3:::acme-state/.pulumi/stacks/preview-platform/pr-12.json"),
        (
            "s3:DeleteObject",
            f"{A}:s3:::acme-state/.pulumi/locks/organization/preview-platform/pr-12/u.json",
        ),
        ("s3:GetObject", f"{A}:s3:::acme-state/.pulumi/stacks/preview-platform/staging.json"),
    ],
)
def test_preview_role_can_manage_its_own_preview(action: str, resource: str) -> None:
    """The narrow policy still covers what `preview up/down/reap` need for a PR's own resources."""
    assert allowed(_preview(), action, resource, resource_tags=PREVIEW_TAGS)


def test_creates_must_send_the_preview_tags() -> None:
    """Creating a service, target group or security group without the preview tags is refused."""
    policy = _preview()
    cases = [
        ("ecs:CreateService", "*"),
        ("ecs:CreateCluster", "*"),
        ("ec2:AuthorizeSecurityGroupIngress", f"{A}:ec2:{ACC}:security-group-rule/*"),
        ("ec2:CreateSecurityGroup", f"{A}:ec2:{ACC}:security-group/*"),
        ("elasticloadbalancing:CreateTargetGroup", "*"),
    ]
    for action, resource in cases:
        assert allowed(policy, action, resource, request_tags=PREVIEW_TAGS), action
        assert not allowed(policy, action, resource, request_tags={"team": "x"}), action


def test_roles_created_by_a_preview_must_carry_the_boundary() -> None:
    """A PR cannot mint a role more powerful than the boundary: creating a role or writing its
    policy needs iam:PermissionsBoundary = the boundary, and removing it is denied."""
    policy = _preview()
    assert allowed(
        policy, "iam:CreateRole", TASK_ROLE, request_tags=PREVIEW_TAGS,
        iam__PermissionsBoundary=BOUNDARY,
    )  # fmt: skip
    assert not allowed(policy, "iam:CreateRole", TASK_ROLE, request_tags=PREVIEW_TAGS)
    assert not allowed(policy, "iam:PutRolePolicy", TASK_ROLE, resource_tags=PREVIEW_TAGS)
    assert not allowed(
        policy, "iam:DeleteRolePermissionsBoundary", TASK_ROLE, resource_tags=PREVIEW_TAGS,
        iam__PermissionsBoundary=BOUNDARY,
    )  # fmt: skip
    assert not allowed(
        policy, "iam:AttachRolePolicy", TASK_ROLE, resource_tags=PREVIEW_TAGS,
        iam__PermissionsBoundary=BOUNDARY,
        iam__PolicyARN="arn:aws:iam::aws:policy/AdministratorAccess",
    )  # fmt: skip
    boundary_actions = {a for s in boundary_policy()["Statement"] for a in s["Action"]}
    assert not any(a.startswith("iam:") and a != "iam:PassRole" for a in boundary_actions)


def test_ingress_to_a_shared_backend_only_on_staging_groups() -> None:
    """A preview may add its tagged ingress rule to a staging backend group (OpenSearch), never
    to a prod group, and never an untagged rule."""
    policy = _preview()
    action = "ec2:AuthorizeSecurityGroupIngress"
    group = f"{A}:ec2:{ACC}:security-group/sg-search"
    rule = f"{A}:ec2:{ACC}:security-group-rule/*"
    assert allowed(policy, action, group, resource_tags={"environment": "staging"})
    assert allowed(policy, action, rule, request_tags=PREVIEW_TAGS)
    assert not allowed(policy, action, group, resource_tags=PROD_TAGS)
    assert not allowed(policy, action, rule, request_tags={"environment": "staging"})


def test_prod_tag_wins_over_the_preview_tag() -> None:
    """Even a resource carrying the preview tag is off limits once tagged environment=prod."""
    arn = f"{A}:ecs:{ACC}:service/pp-shared/web"
    tags = {**PREVIEW_TAGS, **PROD_TAGS}
    assert allowed(_preview(), "ecs:UpdateService", arn, resource_tags=PREVIEW_TAGS)
    assert not allowed(_preview(), "ecs:UpdateService", arn, resource_tags=tags)


def test_preview_dns_is_limited_to_preview_hosts() -> None:
    """Route53 changes are allowed only for names `pr-*.<preview zone>` (not the apex, not www)."""
    zone = f"{A}:route53:::hostedzone/Z1"
    key = "route53__ChangeResourceRecordSetsNormalizedRecordNames"
    policy = _preview()
    assert allowed(
        policy, "route53:ChangeResourceRecordSets", zone, **{key: ["pr-12.preview.acme.dev"]}
    )
    for name in ("www.acme.dev", "preview.acme.dev", "pr-12.preview.acme.dev.evil.com"):
        assert not allowed(policy, "route53:ChangeResourceRecordSets", zone, **{key: [name]}), name


def test_staging_role_cannot_touch_prod(build: Build) -> None:
    """The staging deploy role manages its own IAM roles but nothing tagged environment=prod."""
    mocks, _ = build(github_org="acme", github_repo="shop")
    staging = mocks.named("github-staging-policy").json("policy")
    prod = mocks.named("github-prod-policy").json("policy")
    prod_role = f"{A}:iam::1:role/pp-prod-task"
    assert not allowed(staging, "iam:PutRolePolicy", prod_role, resource_tags=PROD_TAGS)
    assert allowed(prod, "iam:PutRolePolicy", prod_role, resource_tags=PROD_TAGS)
    own = f"{A}:iam::1:role/pp-staging-task"
    assert allowed(staging, "iam:PutRolePolicy", own, resource_tags={"environment": "staging"})
    assert not allowed(staging, "iam:UpdateAssumeRolePolicy", f"{A}:iam::1:role/pp-github-prod")


def test_deploy_roles_manage_their_autonamed_roles_by_tag(build: Build) -> None:
    """Components autoname IAM roles (`app-execution-1a2b`), so a long-lived deploy role finds
    its own by the `environment` tag: it can create and edit those, not another stack's."""
    mocks, _ = build(github_org="acme", github_repo="shop")
    staging = mocks.named("github-staging-policy").json("policy")
    role = f"{A}:iam::1:role/app-execution-1a2b"
    env = {"environment": "staging"}
    assert allowed(staging, "iam:CreateRole", role, request_tags=env)
    assert allowed(staging, "iam:PassRole", role, resource_tags=env)
    assert not allowed(staging, "iam:CreateRole", role, request_tags={"environment": "pr-12"})
    assert not allowed(staging, "iam:PutRolePolicy", role, resource_tags={"environment": "pr-12"})
    assert not allowed(staging, "iam:PassRole", role, resource_tags=PROD_TAGS)


def test_preview_and_reaper_share_the_narrow_policy(build: Build) -> None:
    """The reaper destroys previews, so it gets exactly the preview permissions, nothing more."""
    mocks, outputs = build(github_org="acme", github_repo="shop", state_bucket="acme-state")
    preview = mocks.named("github-preview-policy").json("policy")
    assert mocks.named("github-reaper-policy").json("policy") == preview
    assert preview == preview_policy(_args(state_bucket="acme-state"), outputs["boundary_arn"])


def test_policies_fit_the_iam_size_quotas() -> None:
    """IAM refuses a role's inline policies over 10,240 characters and a managed policy over
    6,144 (whitespace not counted); long but ordinary bucket and zone names still fit."""
    longest = GithubIdentityArgs(
        github_org="o" * 39,
        github_repo="r" * 100,
        state_bucket="b" * 63,
        preview_zone="previews.platform-engineering.some-long-company-name.example.com",
    )
    preview = json.dumps(preview_policy(longest, BOUNDARY), separators=(",", ":"))
    assert len(preview) <= 10_240, f"preview policy is {len(preview)} characters"
    assert len(json.dumps(boundary_policy(), separators=(",", ":"))) <= 6_144


def test_a_zone_that_would_overflow_the_policy_is_refused_before_any_resource() -> None:
    """The zone appears in the policy several times: an extreme one fails at validation, naming
    the field, instead of IAM refusing the policy halfway through the bootstrap."""
    with pytest.raises(BootstrapError) as err:
        GithubIdentityArgs(
            github_org="acme",
            github_repo="shop",
            state_bucket="b" * 63,
            preview_zone=("z" * 63 + ".") * 3 + "dev",
        )
    assert err.value.field == "preview_zone"
    assert "10240" in err.value.message and "shorter" in err.value.hint


def test_trust_policy_places_the_provider_verbatim() -> None:
    """trust_policy places the provider ARN as given, so a pulumi Output can be passed."""
    marker = object()
    assert trust_policy(marker, "s")["Statement"][0]["Principal"]["Federated"] is marker


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"github_repo": "shop"}, "github_org"),
        ({"github_org": "acme"}, "github_repo"),
        ({"github_org": "acme/shop", "github_repo": "shop"}, "github_org"),
        ({"github_org": "acme", "github_repo": "acme/shop"}, "github_repo"),
        ({"github_org": "-acme", "github_repo": "shop"}, "github_org"),
        ({"github_org": "acme", "github_repo": "*"}, "github_repo"),
        ({"github_org": "acme", "github_repo": "shop", "state_bucket": "s3://x"}, "state_bucket"),
        (
            {"github_org": "acme", "github_repo": "shop", "existing_provider_arn": "x"},
            "existing_provider_arn",
        ),
        ({"github_org": "acme", "github_repo": "shop", "githubOrg": "acme"}, "githubOrg"),
    ],
)
def test_invalid_args_name_the_field_and_the_fix(kwargs: dict[str, Any], field: str) -> None:
    """Bad input fails in GithubIdentityArgs, naming the argument and how to fix it."""
    with pytest.raises(BootstrapError) as err:
        GithubIdentityArgs(**kwargs)
    assert err.value.field == field
    assert "fix:" in str(err.value)


def test_invalid_args_register_no_resource(build: Build, mocks: RecordingMocks) -> None:
    """A wildcard org (which would widen the trust to every repo) fails with zero resources."""
    with pytest.raises(BootstrapError, match="github_org"):
        build(github_org="*", github_repo="shop")
    assert mocks.resources == []
    build(github_org="acme", github_repo="shop")
    assert mocks.resources != []  # the same recorder does see a valid build
