"""The GitHub OIDC identity: who can assume which role, and what the preview role can do."""

from __future__ import annotations

import fnmatch
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

ROLE = "aws:iam/role:Role"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/pp-preview-boundary"


def _args(**extra: Any) -> GithubIdentityArgs:
    return GithubIdentityArgs(github_org="acme", github_repo="shop", **extra)


def _condition(trust: dict[str, Any]) -> dict[str, Any]:
    (stmt,) = trust["Statement"]
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    return dict(stmt["Condition"])


def _allowed(policy: dict[str, Any], action: str, resource: str) -> list[dict[str, Any]]:
    """Allow statements whose action and resource patterns match (conditions not evaluated)."""
    out = []
    for s in policy["Statement"]:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
        if (
            s["Effect"] == "Allow"
            and any(fnmatch.fnmatchcase(action, a) for a in actions)
            and any(fnmatch.fnmatchcase(resource, r) for r in resources)
        ):
            out.append(s)
    return out


def _denied(policy: dict[str, Any], action: str, resource: str, tags: dict[str, str]) -> bool:
    for s in policy["Statement"]:
        if s["Effect"] != "Deny":
            continue
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
        if not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        cond = s.get("Condition", {}).get("StringEquals", {})
        if all(tags.get(k.removeprefix("aws:ResourceTag/")) == v for k, v in cond.items()):
            return True
    return False


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
    cond = _condition(trust)
    assert cond == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
        }
    }
    assert trust["Statement"][0]["Principal"] == {"Federated": outputs["provider_arn"]}


def test_prod_role_is_not_assumable_from_a_pull_request(build: Build) -> None:
    """A PR's token (sub ...:pull_request) matches the preview trust and never the prod trust."""
    mocks, _ = build(github_org="acme", github_repo="shop")
    pr_sub = "repo:acme/shop:pull_request"
    subs = {
        r.inputs["name"]: _condition(r.json("assumeRolePolicy"))["StringEquals"][
            "token.actions.githubusercontent.com:sub"
        ]
        for r in mocks.of_type(ROLE)
    }
    assert [name for name, sub in subs.items() if sub == pr_sub] == ["pp-github-preview"]


def test_existing_provider_is_reused(build: Build) -> None:
    """With existing_provider_arn no second provider is created (AWS allows one per URL)."""
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    mocks, outputs = build(github_org="acme", github_repo="shop", existing_provider_arn=arn)
    assert mocks.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    assert outputs["provider_arn"] == arn


def test_preview_role_has_no_admin_statement() -> None:
    """No `*` action anywhere in an Allow of the preview policy, nor an unscoped service `x:*`."""
    policy = preview_policy(
        _args(state_bucket="acme-state", preview_zone="preview.acme.dev"), BOUNDARY
    )
    for s in policy["Statement"]:
        if s["Effect"] != "Allow":
            continue
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        assert not any(a == "*" or a.endswith(":*") for a in actions), s["Sid"]


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("rds:DeleteDBCluster", "arn:aws:rds:eu-west-1:123456789012:cluster:pp-prod-db"),
        ("rds:ModifyDBCluster", "arn:aws:rds:eu-west-1:123456789012:cluster:pp-staging-db"),
        ("iam:PutRolePolicy", "arn:aws:iam::123456789012:role/pp-prod-task"),
        ("iam:CreateRole", "arn:aws:iam::123456789012:role/admin"),
        ("ecr:PutImage", "arn:aws:ecr:eu-west-1:123456789012:repository/pp-prod-app"),
        ("states:StartExecution", "arn:aws:states:eu-west-1:123456789012:stateMachine:pp-prod-x"),
        ("es:ESHttpDelete", "arn:aws:es:eu-west-1:123456789012:domain/pp-staging-search/app"),
        ("lambda:UpdateFunctionCode", "arn:aws:lambda:eu-west-1:123456789012:function:pp-staging"),
        ("s3:PutObject", "arn:aws:s3:::acme-state/.pulumi/stacks/preview-platform/prod.json"),
        ("s3:PutObject", "arn:aws:s3:::acme-state/.pulumi/stacks/preview-platform/staging.json"),
    ],
)
def test_preview_role_cannot_touch_long_lived_resources(action: str, resource: str) -> None:
    """By name, the preview role reaches only `pp-pr-*` things (and reads staging's state)."""
    policy = preview_policy(_args(state_bucket="acme-state"), BOUNDARY)
    assert _allowed(policy, action, resource) == []


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("rds:DeleteDBCluster", "arn:aws:rds:eu-west-1:123456789012:cluster:pp-pr-12-db"),
        ("rds:RestoreDBClusterToPointInTime", "arn:aws:rds:eu-west-1:1:cluster:pp-staging-db"),
        ("states:StartExecution", "arn:aws:states:eu-west-1:1:stateMachine:pp-pr-12-smoke"),
        ("es:ESHttpDelete", "arn:aws:es:eu-west-1:1:domain/pp-staging-search/pr-12-items"),
        ("ecr:PutImage", "arn:aws:ecr:eu-west-1:1:repository/pp-staging-tools"),
        ("s3:PutObject", "arn:aws:s3:::acme-state/.pulumi/stacks/preview-platform/pr-12.json"),
        ("s3:GetObject", "arn:aws:s3:::acme-state/.pulumi/stacks/preview-platform/staging.json"),
    ],
)
def test_preview_role_can_do_its_job(action: str, resource: str) -> None:
    """The narrow policy still covers what `preview up/down` needs for a PR's own resources."""
    policy = preview_policy(_args(state_bucket="acme-state"), BOUNDARY)
    assert _allowed(policy, action, resource) != []


def test_prod_tagged_resources_are_denied_explicitly() -> None:
    """Whatever an allow says, anything tagged environment=prod is denied to the preview role."""
    policy = preview_policy(_args(), BOUNDARY)
    arn = "arn:aws:ecs:eu-west-1:123456789012:service/pp-shared/web"
    assert _denied(policy, "ecs:UpdateService", arn, {"environment": "prod"})
    assert not _denied(policy, "ecs:UpdateService", arn, {"environment": "pr-12"})


def test_tag_scoped_changes_require_the_preview_tag() -> None:
    """ECS/ELB/EC2 changes need `preview:pr` on the resource; creates must send the tags."""
    policy = preview_policy(_args(), BOUNDARY)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    for sid in ("EcsChangeTagged", "ElbChangeTagged", "SgChangeTagged"):
        assert by_sid[sid]["Condition"] == {"Null": {"aws:ResourceTag/preview:pr": "false"}}
    for sid in ("EcsCreateTagged", "ElbCreateTagged", "SgCreateTagged"):
        assert by_sid[sid]["Condition"] == {
            "StringEquals": {"aws:RequestTag/managed-by": "preview-platform"},
            "Null": {"aws:RequestTag/preview:pr": "false"},
        }


def test_roles_created_by_a_preview_must_carry_the_boundary() -> None:
    """A PR cannot mint a role more powerful than the boundary: CreateRole/PutRolePolicy are
    allowed only with iam:PermissionsBoundary = the boundary, and removing it is denied."""
    policy = preview_policy(_args(), BOUNDARY)
    (create,) = _allowed(policy, "iam:CreateRole", "arn:aws:iam::1:role/pp-pr-12-task")
    assert create["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert _denied(policy, "iam:DeleteRolePermissionsBoundary", "arn:aws:iam::1:role/pp-pr-1", {})
    boundary_actions = {a for s in boundary_policy()["Statement"] for a in s["Action"]}
    assert not any(a.startswith("iam:") and a != "iam:PassRole" for a in boundary_actions)


def test_preview_dns_is_limited_to_preview_hosts() -> None:
    """Route53 changes are allowed only for names `pr-*.<preview zone>` (not the apex, not prod)."""
    policy = preview_policy(_args(preview_zone="preview.acme.dev"), BOUNDARY)
    (dns,) = [s for s in policy["Statement"] if s.get("Sid") == "DnsPreviewHostsOnly"]
    names = dns["Condition"]["ForAllValues:StringLike"][
        "route53:ChangeResourceRecordSetsNormalizedRecordNames"
    ]
    assert fnmatch.fnmatchcase("pr-12.preview.acme.dev", names[0])
    assert not any(fnmatch.fnmatchcase("www.acme.dev", n) for n in names)
    assert not any(fnmatch.fnmatchcase("preview.acme.dev", n) for n in names)


def test_staging_role_cannot_touch_prod(build: Build) -> None:
    """The staging deploy role's inline policy denies anything tagged environment=prod."""
    mocks, _ = build(github_org="acme", github_repo="shop")
    staging = mocks.named("github-staging-policy").json("policy")
    prod = mocks.named("github-prod-policy").json("policy")
    arn = "arn:aws:rds:eu-west-1:1:cluster:pp-prod-db"
    assert _denied(staging, "rds:DeleteDBCluster", arn, {"environment": "prod"})
    assert not _denied(prod, "rds:DeleteDBCluster", arn, {"environment": "prod"})


def test_preview_and_reaper_share_the_narrow_policy(build: Build) -> None:
    """The reaper destroys previews, so it gets exactly the preview permissions, nothing more."""
    mocks, outputs = build(github_org="acme", github_repo="shop", state_bucket="acme-state")
    preview = mocks.named("github-preview-policy").json("policy")
    assert mocks.named("github-reaper-policy").json("policy") == preview
    assert preview == preview_policy(_args(state_bucket="acme-state"), outputs["boundary_arn"])


def test_trust_policy_is_pure() -> None:
    """trust_policy places the provider ARN verbatim (it may be a pulumi Output)."""
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
        ({"github_org": "acme", "github_repo": "shop", "state_bucket": "s3://x"}, "state_bucket"),
        (
            {"github_org": "acme", "github_repo": "shop", "existing_provider_arn": "x"},
            "existing_provider_arn",
        ),
        ({"github_org": "acme", "github_repo": "shop", "githubOrg": "acme"}, "githubOrg"),
    ],
)
def test_invalid_args_name_the_field_and_the_fix(kwargs: dict[str, Any], field: str) -> None:
    """Bad input fails in GithubIdentityArgs, naming the argument, before any resource exists."""
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
