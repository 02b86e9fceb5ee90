"""Deleting stack-less tagged resources (preview.strays) against moto, alone and through reap."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from preview import aws
from preview.domain import TaggedResource
from preview.ports import Deps
from preview.reap import reap
from preview.strays import Arn, StrayDeleter
from tests.cli.conftest import REGION
from tests.cli.fakes import Clock, FakeAutomation, FakeReporter
from tests.cli.stray_world import (
    LIVE,
    ORPHAN,
    Recorder,
    kv,
    preview_resources,
    staging_group,
    tagged_arns,
    tags_of,
)


@pytest.fixture
def reap_deps(moto: None, clock: Clock, make_deps: Callable[..., Deps]) -> Deps:
    """No stacks at all; PR 42 open, PR 41 closed; real tagging API and deleter on moto."""
    preview_resources(ORPHAN)
    preview_resources(LIVE)
    return make_deps(
        automation=FakeAutomation(clock),
        reporter=FakeReporter({LIVE}),
        tagged=aws.TaggingResources(aws.client("resourcegroupstaggingapi", REGION)),
        strays=StrayDeleter(REGION, client=Recorder(), sleep=clock.sleep),
    )


def test_moto_lists_the_preview_types_the_test_relies_on(reap_deps: Deps) -> None:
    """The fixture is realistic: the tagging API reports a dozen kinds of preview resource."""
    kinds = {(a.service, a.kind) for a in map(Arn.parse, tagged_arns(ORPHAN))}
    assert {
        ("elasticloadbalancing", "loadbalancer"),
        ("elasticloadbalancing", "targetgroup"),
        ("rds", "cluster"),
        ("rds", "db"),
        ("logs", "log-group"),
        ("lambda", "function"),
        ("states", "stateMachine"),
        ("ec2", "security-group"),
        ("ecs", "service"),
        ("ecs", "task-definition"),
    } <= kinds


def test_reap_deletes_an_orphans_strays_and_nothing_else(reap_deps: Deps) -> None:
    """After reap: nothing tagged 41 is left; every 42 resource and staging's group remain."""
    live_before = tagged_arns(LIVE)
    staging = staging_group()
    orphan_before = tagged_arns(ORPHAN)
    result = reap(reap_deps)
    assert tagged_arns(ORPHAN) == set() and result.leftovers == []
    assert tagged_arns(LIVE) == live_before
    ec2 = boto3.client("ec2", region_name=REGION)
    assert ec2.describe_security_groups(GroupIds=[staging])["SecurityGroups"]
    deleted = {r.detail for r in result.rows if r.action == "deleted"}
    assert deleted == orphan_before
    assert not [r for r in result.rows if r.action in ("failed", "manual", "stray")]


def test_dependants_are_deleted_before_what_they_use(reap_deps: Deps) -> None:
    """Instance before cluster, service before task definition and cluster, LB before target
    group, security groups after all of those: AWS refuses the other order."""
    reap(reap_deps)
    ops: list[str] = reap_deps.strays.make_client.ops  # type: ignore[union-attr]
    first = {op: ops.index(op) for op in reversed(ops)}
    assert first["DeleteDBInstance"] < first["DeleteDBCluster"]
    assert first["UpdateService"] < first["DeleteService"] < first["DeregisterTaskDefinition"]
    assert first["DeleteService"] < first["DeleteCluster"]
    assert first["DeleteLoadBalancer"] < first["DeleteTargetGroup"]
    others = [i for i, op in enumerate(ops) if op.startswith(("Delete", "Deregister"))]
    assert first["DeleteSecurityGroup"] == max(others)


def test_dry_run_lists_each_arn_and_deletes_nothing(reap_deps: Deps) -> None:
    """--dry-run: a `would delete` row per ARN of the orphan, and everything still there."""
    before = tagged_arns(ORPHAN)
    result = reap(reap_deps, dry_run=True)
    assert {r.detail for r in result.rows if r.action == "would delete"} == before
    assert tagged_arns(ORPHAN) == before
    ops = reap_deps.strays.make_client.ops  # type: ignore[union-attr]
    assert not [op for op in ops if not op.startswith(("Describe", "List", "Get"))]


def test_rerun_after_a_partial_failure_converges(reap_deps: Deps) -> None:
    """A load balancer that fails to delete keeps its target group in use; the next reap
    finishes both, and what the first run deleted counts as deleted again."""
    recorder = reap_deps.strays.make_client  # type: ignore[union-attr]
    recorder.faults["DeleteLoadBalancer"] = ["InternalFailure"]
    first = reap(reap_deps)
    failed = {r.detail.split(": ")[0] for r in first.rows if r.action == "failed"}
    assert any(":loadbalancer/" in arn for arn in failed)
    assert any(":targetgroup/" in arn for arn in failed)  # ResourceInUse, retried, then given up
    assert tagged_arns(ORPHAN) == failed
    second = reap(reap_deps)
    assert tagged_arns(ORPHAN) == set() and second.leftovers == []
    assert not [r for r in second.rows if r.action == "failed"]


def test_a_busy_security_group_is_retried_with_backoff(moto: None) -> None:
    """DependencyViolation (ENIs of a just-deleted load balancer) is waited out, then deleted."""
    preview_resources(ORPHAN)
    slept: list[float] = []
    recorder = Recorder()
    recorder.faults["DeleteSecurityGroup"] = ["DependencyViolation", "DependencyViolation"]
    sg = next(a for a in tagged_arns(ORPHAN) if ":security-group/" in a)
    (outcome,) = StrayDeleter(REGION, client=recorder, sleep=slept.append).delete(
        [TaggedResource(sg, ORPHAN, None)]
    )
    assert outcome.action == "deleted" and slept == [10.0, 20.0]
    assert sg not in tagged_arns(ORPHAN)


def test_a_protected_cluster_is_reported_never_unprotected(moto: None) -> None:
    """Deletion protection on: the row says failed and why; the cluster and its flag remain."""
    rds = boto3.client("rds", region_name=REGION)
    arn = rds.create_db_cluster(
        DBClusterIdentifier="pp-pr-41-db",
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        DeletionProtection=True,
        Tags=kv(tags_of(ORPHAN)),
    )["DBCluster"]["DBClusterArn"]
    recorder = Recorder()
    (outcome,) = StrayDeleter(REGION, client=recorder).delete([TaggedResource(arn, ORPHAN, None)])
    assert outcome.action == "failed" and "deletion protection" in outcome.detail
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier="pp-pr-41-db")["DBClusters"]
    assert cluster["DeletionProtection"] is True
    assert "ModifyDBCluster" not in recorder.ops and "DeleteDBCluster" not in recorder.ops


def test_an_unknown_type_is_reported_manual(moto: None) -> None:
    """An ARN of a type without a handler is a `manual` row naming it; no AWS call is made."""
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/pp-pr-41-events"

    def no_client(service: str, region: str) -> Any:
        raise AssertionError(f"no client expected, got {service}")

    (outcome,) = StrayDeleter(REGION, client=no_client).delete([TaggedResource(arn, 41, None)])
    assert (outcome.action, outcome.resource.arn) == ("manual", arn)


def test_a_role_loses_its_policies_then_goes(moto: None) -> None:
    """IAM refuses to delete a role with policies: managed ones are detached, inline deleted."""
    iam = boto3.client("iam", region_name=REGION)
    arn = iam.create_role(
        RoleName="pp-pr-41-task",
        Path="/preview/",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    allow = {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}
    doc = json.dumps({"Version": "2012-10-17", "Statement": [allow]})
    managed = iam.create_policy(PolicyName="pp-pr-41-exec", PolicyDocument=doc)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="pp-pr-41-task", PolicyArn=managed)
    iam.put_role_policy(RoleName="pp-pr-41-task", PolicyName="inline", PolicyDocument=doc)
    deleter = StrayDeleter(REGION)
    (outcome,) = deleter.delete([TaggedResource(arn, 41, None)])
    assert outcome.action == "deleted"
    (again,) = deleter.delete([TaggedResource(arn, 41, None)])
    assert (again.action, again.detail) == ("deleted", "already gone")


def test_a_resource_without_a_pr_tag_is_refused() -> None:
    """Last line of defence: the deleter never acts on something not tagged preview:pr."""
    arn = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0staging"
    with pytest.raises(ValueError, match="no preview:pr tag"):
        StrayDeleter(REGION).delete([TaggedResource(arn, None, None)])


@pytest.mark.parametrize(
    ("arn", "service", "kind", "name"),
    [
        (
            "arn:aws:ecs:us-east-1:1:service/pp-pr-4/pp-pr-4-app",
            "ecs",
            "service",
            "pp-pr-4/pp-pr-4-app",
        ),
        (
            "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/pp/0a/1b/2c",
            "elasticloadbalancing",
            "listener-rule",
            "app/pp/0a/1b/2c",
        ),
        ("arn:aws:rds:us-east-1:1:db:pp-pr-4-db-1", "rds", "db", "pp-pr-4-db-1"),
        (
            "arn:aws:logs:us-east-1:1:log-group:/preview-platform/pr-4:*",
            "logs",
            "log-group",
            "/preview-platform/pr-4:*",
        ),
        ("arn:aws:iam::1:role/preview/pp-pr-4-task", "iam", "role", "preview/pp-pr-4-task"),
        ("arn:aws:sns:us-east-1:1:pp-pr-4-alarms", "sns", "", "pp-pr-4-alarms"),
        ("arn:aws:ssm:us-east-1:1:parameter/pp-pr-4/url", "ssm", "parameter", "pp-pr-4/url"),
    ],
)
def test_arn_parsing(arn: str, service: str, kind: str, name: str) -> None:
    """Type and name come from the ARN whichever separator the service uses."""
    a = Arn.parse(arn)
    assert (a.service, a.kind, a.name) == (service, kind, name)


def test_a_preview_rule_on_a_staging_group_goes_alone(moto: None) -> None:
    """The PR's ingress rule on staging's search group is revoked; the group and its other
    rules stay (the rule is the preview's, the group is not)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    group = staging_group()

    def rule(port: int, tags: dict[str, str]) -> str:
        return str(
            ec2.authorize_security_group_ingress(
                GroupId=group,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
                    }
                ],
                TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": kv(tags)}],
            )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        )

    mine, theirs = rule(443, tags_of(ORPHAN)), rule(9200, {"environment": "staging"})
    arn = f"arn:aws:ec2:{REGION}:123456789012:security-group-rule/{mine}"
    (outcome,) = StrayDeleter(REGION).delete([TaggedResource(arn, ORPHAN, None)])
    assert outcome.action == "deleted"
    left = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    ids = {r["SecurityGroupRuleId"] for r in left["SecurityGroupRules"]}
    assert theirs in ids and mine not in ids
