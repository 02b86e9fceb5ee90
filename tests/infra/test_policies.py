"""Safety policies: validate() called directly, and evaluated over synthesized graphs."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import POLICIES, evaluate, run, validation_args
from preview.synth.harness import Synth

BY_NAME = {p.name: p for p in POLICIES}


def _urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::preview-platform::{type_}::{name}"


def _messages(policy: str, stack: str, type_: str, props: dict[str, Any]) -> list[str]:
    args = validation_args(type_, "r", _urn(stack, type_, "r"), props)
    return run(BY_NAME[policy], args)


CLUSTER = "aws:rds/cluster:Cluster"


def test_prod_cluster_without_deletion_protection_is_reported() -> None:
    """Prod Aurora without deletion protection or final snapshot violates the policy."""
    msgs = _messages(
        "prod-db-deletion-protection",
        "prod",
        CLUSTER,
        {"deletionProtection": False, "skipFinalSnapshot": True},
    )
    assert len(msgs) == 2


def test_staging_cluster_may_skip_final_snapshot() -> None:
    """The prod rule does not apply to staging."""
    assert not _messages(
        "prod-db-deletion-protection", "staging", CLUSTER, {"skipFinalSnapshot": True}
    )


def test_public_instance_is_reported() -> None:
    """A publicly accessible DB instance is a violation in any stack."""
    assert _messages(
        "no-public-data-stores",
        "staging",
        "aws:rds/clusterInstance:ClusterInstance",
        {"publiclyAccessible": True},
    )


def test_search_domain_outside_vpc_is_reported() -> None:
    """An OpenSearch domain without VPC subnets is public and reported."""
    assert _messages("no-public-data-stores", "staging", "aws:opensearch/domain:Domain", {})


@pytest.mark.parametrize("source", ["pp-prod-db", "arn:aws:rds:us-east-1:1:cluster:prod"])
def test_clone_of_prod_is_reported(source: str) -> None:
    """A preview cluster restored from a prod cluster is refused."""
    props = {"restoreToPointInTime": {"sourceClusterIdentifier": source}}
    assert _messages("preview-clone-source-not-prod", "pr-3", CLUSTER, props)


def test_clone_of_staging_passes() -> None:
    """Cloning staging's cluster is what previews should do."""
    props = {"restoreToPointInTime": {"sourceClusterIdentifier": "pp-staging-db"}}
    assert not _messages("preview-clone-source-not-prod", "pr-3", CLUSTER, props)


def test_untagged_preview_resource_is_reported() -> None:
    """A taggable preview resource missing preview:sha is reported with the missing key."""
    tags = {"preview:pr": "3", "preview:expires-at": "x", "managed-by": "preview-platform"}
    msgs = _messages(
        "preview-required-tags", "pr-3", "aws:ec2/securityGroup:SecurityGroup", {"tags": tags}
    )
    assert msgs and "preview:sha" in msgs[0]


def test_long_preview_log_retention_is_reported() -> None:
    """A preview log group keeping 30 days is reported; 7 passes."""
    t = "aws:cloudwatch/logGroup:LogGroup"
    assert _messages("preview-log-retention", "pr-3", t, {"retentionInDays": 30})
    assert not _messages("preview-log-retention", "pr-3", t, {"retentionInDays": 7})


@pytest.mark.parametrize(
    "fixture", ["preview_synth", "protected_synth", "staging_synth", "prod_synth"]
)
def test_synthesized_stacks_pass_every_policy(fixture: str, request: pytest.FixtureRequest) -> None:
    """The real program satisfies every policy for each kind of stack."""
    synth: Synth = request.getfixturevalue(fixture)
    stack = synth.resources[0].urn.split("::")[0].removeprefix("urn:pulumi:")
    results = evaluate(synth.resources, stack)
    assert results and [r for r in results if not r.passed] == []


def test_preview_role_without_boundary_is_reported() -> None:
    """A preview IAM role without pp-preview-boundary is reported; with it, it passes."""
    t = "aws:iam/role:Role"
    assert _messages("preview-role-boundary", "pr-3", t, {})
    ok = {"permissionsBoundary": "arn:aws:iam::1:policy/pp-preview-boundary"}
    assert not _messages("preview-role-boundary", "pr-3", t, ok)


def test_evaluate_accepts_a_fully_qualified_stack_name(preview_synth: Synth) -> None:
    """`org/project/pr-12` and `pr-12` evaluate the same graph identically."""
    short = evaluate(preview_synth.resources, "pr-12")
    assert evaluate(preview_synth.resources, "acme/preview-platform/pr-12") == short


def test_evaluate_refuses_a_graph_of_another_stack(preview_synth: Synth) -> None:
    """Evaluating pr-12's graph as prod is an error, not a silent pass of prod-only rules."""
    with pytest.raises(ValueError, match="does not belong to stack 'prod'"):
        evaluate(preview_synth.resources, "prod")
