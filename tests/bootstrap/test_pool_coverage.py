"""The warm pool's calls are allowed where they run, and nowhere else.

`up`/`down`/`reap` (preview and reaper roles) read and claim slots; only the reaper, which runs
`preview pool refill|refresh`, may write items and deploy stack `pool` (that it may make every
provider call of the real pool program is tests/authz/test_provider_calls.py, kind `pool`).
"""

from __future__ import annotations

import pytest

from components.bootstrap import (
    GithubIdentityArgs,
    pool_policy,
    pool_seeder_policy,
    preview_policy,
)
from preview.synth.harness import ACCOUNT, REGION
from tests.authz.iam_eval import allowed
from tests.bootstrap.conftest import Build

ARGS = GithubIdentityArgs(github_org="acme", github_repo="shop", state_bucket="acme-state")
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/pp-preview-boundary"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/pp-pool-claims"
PREVIEW = preview_policy(ARGS, BOUNDARY)
POOL = pool_policy(ARGS)


@pytest.mark.parametrize("action", ["dynamodb:Scan", "dynamodb:UpdateItem"])
def test_up_down_and_reap_may_read_and_claim_slots(action: str) -> None:
    assert allowed(PREVIEW, action, TABLE)


@pytest.mark.parametrize(
    ("action", "arn"),
    [
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:DeleteItem", TABLE),
        (
            "rds:RestoreDBClusterToPointInTime",
            f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:pp-pool-s0001",
        ),
        ("rds:DeleteDBCluster", f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:pp-pool-s0001"),
    ],
)
def test_a_pull_request_cannot_make_or_destroy_slots(action: str, arn: str) -> None:
    """PR code runs under the preview role: it claims a slot but cannot forge or delete one."""
    assert not allowed(PREVIEW, action, arn)
    assert allowed(POOL, action, arn)


def test_the_pool_policy_never_reaches_prod() -> None:
    prod = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:pp-prod-db"
    assert not allowed(POOL, "rds:RestoreDBClusterToPointInTime", prod)
    sg = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-1"
    assert not allowed(POOL, "ec2:DeleteSecurityGroup", sg, resource_tags={"environment": "prod"})
    assert not allowed(
        POOL, "ec2:DeleteSecurityGroup", sg, resource_tags={"environment": "staging"}
    )


def test_the_reaper_role_carries_the_pool_policy(build: Build) -> None:
    mocks, _ = build(github_org="acme", github_repo="shop", state_bucket="acme-state")
    policy = mocks.named("github-pool")
    assert policy.inputs["name"] == "pp-pool-maintenance"
    assert policy.json("policy") == POOL
    attached = [
        a
        for a in mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == "pp-github-reaper"
    ]
    assert sorted(a.inputs["policyArn"] for a in attached) == [
        f"arn:aws:iam::{ACCOUNT}:policy/pp-pool-maintenance",
        f"arn:aws:iam::{ACCOUNT}:policy/pp-pool-seeders",
    ]


def test_the_pool_policies_fit_the_managed_policy_quota() -> None:
    """IAM refuses a managed policy over 6,144 characters (whitespace not counted)."""
    import json

    longest = GithubIdentityArgs(
        github_org="o" * 39,
        github_repo="r" * 100,
        state_bucket="b" * 63,
        secrets_kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{'a' * 36}",
    )
    for doc in (pool_policy(longest), pool_seeder_policy()):
        assert len(json.dumps(doc, separators=(",", ":"))) <= 6_144


SEEDERS = pool_seeder_policy()
STAGING_SG = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-search"


@pytest.mark.parametrize("policy", [POOL, SEEDERS], ids=["pool", "seeders"])
def test_the_reaper_cannot_adopt_another_stacks_group_as_the_pools(policy: dict) -> None:
    """Tagging `environment=pool` is allowed only while creating the group or rule: re-tagging
    staging's search group would let PoolSgChange revoke its rules and delete it."""
    tags = {"environment": "pool"}
    assert not allowed(policy, "ec2:CreateTags", STAGING_SG, request_tags=tags)
    assert not allowed(
        policy,
        "ec2:CreateTags",
        STAGING_SG,
        request_tags=tags,
        resource_tags={"environment": "staging"},
        ec2__CreateAction="CreateTags",
    )


def test_the_reaper_tags_what_it_creates_for_the_pool() -> None:
    tags = {"environment": "pool"}
    rule = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group-rule/sgr-1"
    assert allowed(
        POOL,
        "ec2:CreateTags",
        rule,
        request_tags=tags,
        ec2__CreateAction="AuthorizeSecurityGroupIngress",
    )
    assert allowed(
        POOL,
        "ec2:CreateTags",
        STAGING_SG,
        request_tags=tags,
        ec2__CreateAction="CreateSecurityGroup",
    )


def test_a_seeder_role_may_be_passed_only_to_ecs_tasks() -> None:
    from components.bootstrap_policies import boundary_policy

    role = f"arn:aws:iam::{ACCOUNT}:role/pool-s0001-seed-task-1a2b3c"
    pool_role = {"environment": "pool"}
    assert allowed(
        boundary_policy(),
        "iam:PassRole",
        role,
        resource_tags=pool_role,
        iam__PassedToService="ecs-tasks.amazonaws.com",
    )
    assert not allowed(
        boundary_policy(),
        "iam:PassRole",
        role,
        resource_tags=pool_role,
        iam__PassedToService="lambda.amazonaws.com",
    )
