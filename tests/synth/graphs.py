"""Hand-built resource graphs for synth tests (the harness's Resource, without running Pulumi)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from preview.synth.harness import Resource

ALB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
RECORD = "aws:route53/record:Record"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
SG = "aws:ec2/securityGroup:SecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
NAT = "aws:ec2/natGateway:NatGateway"
DB = "aws:rds/cluster:Cluster"
DB_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
COMPONENT = "platform:test:Thing"


def urn(name: str) -> str:
    return f"urn:pulumi:test::preview-platform::{name}"


def res(
    name: str,
    type_: str,
    *,
    deps: Iterable[str] = (),
    parent: str | None = None,
    inputs: dict[str, Any] | None = None,
    custom: bool | None = None,
) -> Resource:
    """A resource named `name`; `deps` and `parent` are names of other resources."""
    return Resource(
        urn=urn(name),
        type=type_,
        name=name,
        parent=urn(parent) if parent else None,
        dependencies=[urn(d) for d in deps],
        inputs=inputs or {},
        custom=type_.startswith("aws:") if custom is None else custom,
    )
