"""Estimated cost per day of a synthesized stack, from the price table in `prices.py`.

Each custom resource is priced by its type and inputs (task size and Spot mix of an ECS service,
ACU range of a serverless Aurora instance, instance type of an OpenSearch domain). Types with no
rule and no entry in `FREE_TYPES` are listed as unpriced, so a new resource type is noticed
rather than silently costing nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from contracts.errors import UsageError
from preview.synth import prices as p
from preview.synth.graph import Graph, ResourceLike

DEFAULT_REGION = "us-east-1"
SFN = "aws:sfn/stateMachine:StateMachine"
LAMBDA = "aws:lambda/function:Function"

# Resources with no standing charge (or only usage charges an idle preview does not incur).
FREE_TYPES = frozenset(
    {
        "aws:acm/certificate:Certificate",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:appautoscaling/policy:Policy",
        "aws:appautoscaling/target:Target",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/route:Route",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repository:Repository",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:iam/policy:Policy",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:lambda/function:Function",
        "aws:lambda/permission:Permission",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroup:TargetGroup",
        "aws:opensearch/domainPolicy:DomainPolicy",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:route53/record:Record",
        "aws:sns/topic:Topic",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "pulumi:pulumi:StackReference",
    }
)


class PriceError(UsageError):
    """The price table cannot price this stack (unknown region or instance type)."""


@dataclass(frozen=True)
class CostLine:
    resource: str
    type: str
    usd_per_day: float
    basis: str


@dataclass(frozen=True)
class CostEstimate:
    region: str
    lines: list[CostLine]
    unpriced: list[str] = field(default_factory=list)

    @property
    def usd_per_day(self) -> float:
        return round(sum(line.usd_per_day for line in self.lines), 2)


def region_multiplier(region: str) -> float:
    try:
        return p.REGION_MULTIPLIER[region]
    except KeyError:
        raise PriceError(
            f"region {region!r} is not in the price table",
            hint=f"use one of {sorted(p.REGION_MULTIPLIER)} or add it to preview/synth/prices.py",
        ) from None


def _num(value: Any, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _hourly(per_hour: float) -> float:
    return per_hour * p.HOURS_PER_DAY


def monthly(per_month: float) -> float:
    return per_month * p.HOURS_PER_DAY / p.HOURS_PER_MONTH


Rule = Callable[[ResourceLike, Graph], tuple[float, str]]


def _load_balancer(r: ResourceLike, g: Graph) -> tuple[float, str]:
    return _hourly(p.LOAD_BALANCER_HOUR), f"24 h x ${p.LOAD_BALANCER_HOUR}/h"


def spot_split(desired: int, strategies: list[Mapping[str, Any]]) -> tuple[float, float]:
    """(on-demand tasks, Spot tasks) for `desired` tasks under a capacity provider strategy.

    ECS places each provider's `base` first, then the rest in proportion to `weight`.
    """
    if not strategies:
        return float(desired), 0.0
    remaining = float(desired)
    counts: dict[str, float] = {}
    for s in strategies:
        base = min(remaining, _num(s.get("base"), 0))
        counts[str(s.get("capacityProvider"))] = base
        remaining -= base
    total_weight = sum(_num(s.get("weight"), 0) for s in strategies)
    for s in strategies:
        if total_weight > 0:
            share = remaining * _num(s.get("weight"), 0) / total_weight
            counts[str(s.get("capacityProvider"))] += share
    spot = counts.get("FARGATE_SPOT", 0.0)
    return desired - spot, spot


def _ecs_service(r: ResourceLike, g: Graph) -> tuple[float, str]:
    tasks = g.deps_of_type(r, "aws:ecs/taskDefinition:TaskDefinition")
    if not tasks:
        return 0.0, "no Fargate task definition found"
    td = tasks[0].inputs
    vcpu = _num(td.get("cpu"), 256) / 1024
    gb = _num(td.get("memory"), 512) / 1024
    desired = int(_num(r.inputs.get("desiredCount"), 1))
    strategies = list(r.inputs.get("capacityProviderStrategies") or [])
    on_demand, spot = spot_split(desired, strategies)
    task_hour = vcpu * p.FARGATE_VCPU_HOUR + gb * p.FARGATE_GB_HOUR
    usd = _hourly(task_hour) * (on_demand + spot * p.FARGATE_SPOT_FACTOR)
    return usd, (
        f"{desired} task(s) of {vcpu:g} vCPU/{gb:g} GB, {spot:g} on Spot "
        f"(x{p.FARGATE_SPOT_FACTOR}), 24 h"
    )


def _cluster_of(r: ResourceLike, g: Graph) -> ResourceLike | None:
    clusters = g.deps_of_type(r, "aws:rds/cluster:Cluster")
    if clusters:
        return clusters[0]
    ident = r.inputs.get("clusterIdentifier")
    for c in g.of_type("aws:rds/cluster:Cluster"):
        if ident in (c.inputs.get("clusterIdentifier"), c.name):
            return c
    return None


def readiness_paths(g: Graph) -> set[str]:
    """Paths the smoke gate waits on: readiness endpoints, which by contract reach the database
    and search. The gate's state machine (or its health Lambda's environment) holds the URL."""
    texts = [str(m.inputs.get("definition", "")) for m in g.of_type(SFN)]
    texts += [json.dumps(f.inputs.get("environment") or {}) for f in g.of_type(LAMBDA)]
    paths: set[str] = set()
    for text in texts:
        for url in re.findall(r"https?://[^\s\"'\\]+", text):
            path = urlsplit(url).path
            if path not in ("", "/"):
                paths.add(path)
    return paths


def db_waking_health_check(g: Graph) -> str | None:
    """Why the database never pauses, if a load-balancer health check reaches it.

    Any connection resumes a paused Aurora Serverless v2 instance; the ALB checks each target
    every `interval` seconds, day and night. A target group that checks a readiness path (one
    the smoke gate uses) therefore keeps the database awake around the clock.
    """
    readiness = readiness_paths(g)
    for tg in g.of_type("aws:lb/targetGroup:TargetGroup"):
        check = tg.inputs.get("healthCheck") or {}
        path = check.get("path") or "/"
        if path in readiness:
            every = _num(check.get("interval"), 30)
            return f"ALB health check of {tg.name} calls readiness {path} every {every:g} s"
    return None


def _aurora_instance(r: ResourceLike, g: Graph) -> tuple[float, str]:
    klass = str(r.inputs.get("instanceClass", ""))
    if klass != "db.serverless":
        per_hour = p.AURORA_INSTANCE_HOUR.get(klass)
        if per_hour is None:
            raise PriceError(
                f"Aurora instance class {klass!r} of {r.name!r} is not in the price table",
                hint="use db.serverless or a class listed in preview/synth/prices.py",
            )
        return _hourly(per_hour), f"{klass} 24 h x ${per_hour}/h"
    cluster = _cluster_of(r, g)
    scaling = (cluster.inputs.get("serverlessv2ScalingConfiguration") if cluster else None) or {}
    min_acu = _num(scaling.get("minCapacity"), 0.5)
    waker = db_waking_health_check(g) if min_acu == 0 else None
    if waker is not None:
        acu_hours = p.HOURS_PER_DAY * p.AURORA_AWAKE_ACU
        basis = f"min 0 ACU but never paused ({waker}): 24 h awake at {p.AURORA_AWAKE_ACU} ACU"
    elif min_acu == 0:
        acu_hours = p.AURORA_AWAKE_HOURS_PER_DAY * p.AURORA_AWAKE_ACU
        basis = (
            f"min 0 ACU: paused when idle (ALB checks liveness only), "
            f"{p.AURORA_AWAKE_HOURS_PER_DAY:g} h/day awake at {p.AURORA_AWAKE_ACU} ACU"
        )
    else:
        acu_hours = min_acu * p.HOURS_PER_DAY
        basis = f"{min_acu:g} ACU floor x 24 h"
    return acu_hours * p.AURORA_ACU_HOUR, f"{basis} x ${p.AURORA_ACU_HOUR}/ACU-h"


def _aurora_cluster(r: ResourceLike, g: Graph) -> tuple[float, str]:
    restore = r.inputs.get("restoreToPointInTime") or {}
    if restore.get("restoreType") == "copy-on-write":
        gb, what = p.AURORA_CLONE_CHANGED_GB, "changed pages of a copy-on-write clone"
    else:
        gb, what = p.AURORA_CLUSTER_GB, "cluster storage"
    return monthly(gb * p.AURORA_STORAGE_GB_MONTH), f"{gb:g} GB {what}"


def _opensearch_domain(r: ResourceLike, g: Graph) -> tuple[float, str]:
    cc = r.inputs.get("clusterConfig") or {}
    itype = str(cc.get("instanceType", "m6g.large.search"))
    count = int(_num(cc.get("instanceCount"), 1))
    parts = [(itype, count)]
    if cc.get("dedicatedMasterEnabled"):
        parts.append(
            (str(cc.get("dedicatedMasterType")), int(_num(cc.get("dedicatedMasterCount"), 3)))
        )
    usd = 0.0
    for t, n in parts:
        per_hour = p.OPENSEARCH_INSTANCE_HOUR.get(t)
        if per_hour is None:
            raise PriceError(
                f"OpenSearch instance type {t!r} of {r.name!r} is not in the price table",
                hint=f"use one of {sorted(p.OPENSEARCH_INSTANCE_HOUR)} "
                "or add it to preview/synth/prices.py",
            )
        usd += _hourly(per_hour) * n
    ebs = r.inputs.get("ebsOptions") or {}
    gb = _num(ebs.get("volumeSize"), 10) * count if ebs.get("ebsEnabled", True) else 0.0
    usd += monthly(gb * p.OPENSEARCH_GP3_GB_MONTH)
    return usd, f"{count} x {itype} 24 h + {gb:g} GB gp3"


def _fixed_hour(per_hour: float, what: str) -> Rule:
    return lambda r, g: (_hourly(per_hour), f"{what} 24 h x ${per_hour}/h")


def _fixed_month(per_month: float, what: str) -> Rule:
    return lambda r, g: (monthly(per_month), f"{what} ${per_month}/month")


def _state_machine(r: ResourceLike, g: Graph) -> tuple[float, str]:
    n = p.SFN_EXECUTIONS_PER_DAY * p.SFN_TRANSITIONS_PER_EXECUTION
    return n * p.SFN_TRANSITION, f"{n} state transitions/day"


RULES: dict[str, Rule] = {
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ecs/service:Service": _ecs_service,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:opensearch/domain:Domain": _opensearch_domain,
    "aws:ec2/natGateway:NatGateway": _fixed_hour(p.NAT_GATEWAY_HOUR, "NAT gateway"),
    "aws:ec2/eip:Eip": _fixed_hour(p.PUBLIC_IPV4_HOUR, "public IPv4"),
    "aws:route53/zone:Zone": _fixed_month(p.ROUTE53_ZONE_MONTH, "hosted zone"),
    "aws:sfn/stateMachine:StateMachine": _state_machine,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _fixed_month(p.CLOUDWATCH_ALARM_MONTH, "alarm"),
    "aws:cloudwatch/dashboard:Dashboard": _fixed_month(p.CLOUDWATCH_DASHBOARD_MONTH, "dashboard"),
    "aws:secretsmanager/secret:Secret": _fixed_month(p.SECRET_MONTH, "secret"),
    "aws:kms/key:Key": _fixed_month(p.KMS_KEY_MONTH, "KMS key"),
}


def estimate(resources: list[ResourceLike], region: str = DEFAULT_REGION) -> CostEstimate:
    """Cost/day of `resources` in `region`; raises PriceError for what the table cannot price."""
    factor = region_multiplier(region)
    g = Graph(resources)
    lines: list[CostLine] = []
    unpriced: set[str] = set()
    for r in resources:
        if not r.custom:
            continue
        rule = RULES.get(r.type)
        if rule is None:
            if r.type not in FREE_TYPES:
                unpriced.add(r.type)
            continue
        usd, basis = rule(r, g)
        if factor != 1.0:
            basis += f", {region} x{factor:g}"
        lines.append(CostLine(r.name, r.type, round(usd * factor, 4), basis))
    return CostEstimate(region, lines, sorted(unpriced))
