"""Modelled time-to-URL: the critical path through the resource dependency graph.

Pulumi creates every resource as soon as what it depends on exists, so the time until `up`
finishes (and the preview CLI can post the URL) is the heaviest path through the graph, each
resource weighted by how long AWS typically takes to create it (`CREATE_SECONDS`).

Sources for the weights: AWS documentation and service FAQs where they give a figure
(OpenSearch domain 15-30 min; Fargate task start 30-45 s+; Route53 change propagation within
60 s), otherwise typical durations from Pulumi/Terraform create logs. They are midpoints for
comparing designs, not guarantees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts.errors import UsageError
from preview.synth.graph import Graph, ResourceLike

# Seconds from create call to usable, per resource type.
CREATE_SECONDS: dict[str, float] = {
    # Load balancing: an ALB provisions in ~3 min; listeners/rules/target groups in seconds.
    "aws:lb/loadBalancer:LoadBalancer": 180,
    "aws:lb/listener:Listener": 5,
    "aws:lb/listenerRule:ListenerRule": 3,
    "aws:lb/targetGroup:TargetGroup": 10,
    # Certificates: issuing is quick, DNS validation waits for the record to be seen (~2 min).
    "aws:acm/certificate:Certificate": 10,
    "aws:acm/certificateValidation:CertificateValidation": 120,
    # DNS: a record change is INSYNC within ~60 s; a new zone ~45 s.
    "aws:route53/record:Record": 45,
    "aws:route53/zone:Zone": 45,
    # Aurora: a copy-on-write clone or a new cluster ~6 min; a db.serverless instance ~8 min.
    "aws:rds/cluster:Cluster": 360,
    "aws:rds/clusterInstance:ClusterInstance": 480,
    "aws:rds/subnetGroup:SubnetGroup": 2,
    # OpenSearch: 15-30 min per AWS.
    "aws:opensearch/domain:Domain": 1200,
    "aws:opensearch/domainPolicy:DomainPolicy": 60,
    # ECS: service create + Fargate task start (30-45 s) + two passing ALB health checks.
    "aws:ecs/service:Service": 75,
    "aws:ecs/taskDefinition:TaskDefinition": 2,
    "aws:ecs/cluster:Cluster": 10,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 5,
    # IAM is eventually consistent; providers wait a few seconds after creating a role.
    "aws:iam/role:Role": 8,
    "aws:iam/rolePolicy:RolePolicy": 3,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 3,
    "aws:iam/policy:Policy": 3,
    # Network.
    "aws:ec2/vpc:Vpc": 5,
    "aws:ec2/subnet:Subnet": 5,
    "aws:ec2/natGateway:NatGateway": 120,
    "aws:ec2/eip:Eip": 2,
    "aws:ec2/internetGateway:InternetGateway": 5,
    "aws:ec2/routeTable:RouteTable": 3,
    "aws:ec2/route:Route": 3,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
    "aws:ec2/securityGroup:SecurityGroup": 4,
    "aws:ec2/securityGroupRule:SecurityGroupRule": 2,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 2,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
    # Everything else of note.
    "aws:lambda/function:Function": 15,
    "aws:sfn/stateMachine:StateMachine": 5,
    "aws:cloudwatch/logGroup:LogGroup": 2,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 2,
    "aws:ecr/repository:Repository": 3,
    "aws:secretsmanager/secret:Secret": 3,
    "pulumi:pulumi:StackReference": 1,
}
# A custom resource of a type not in the table.
DEFAULT_SECONDS = 5.0


@dataclass(frozen=True)
class Step:
    resource: str
    type: str
    seconds: float


@dataclass(frozen=True)
class CriticalPath:
    steps: list[Step]

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def create_seconds(r: ResourceLike) -> float:
    if not r.custom:
        return 0.0  # components are bookkeeping; their children carry the time
    return CREATE_SECONDS.get(r.type, DEFAULT_SECONDS)


def critical_path(resources: list[ResourceLike]) -> CriticalPath:
    """Heaviest path through the dependency DAG (first-registered wins ties), start to finish."""
    g = Graph(resources)
    order = {r.urn: i for i, r in enumerate(resources)}
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    visiting: set[str] = set()

    def visit(r: ResourceLike) -> float:
        if r.urn in finish:
            return finish[r.urn]
        if r.urn in visiting:
            raise UsageError(
                f"dependency cycle through {r.name!r}",
                hint="a program with a cycle cannot deploy; check depends_on of that resource",
            )
        visiting.add(r.urn)
        best: tuple[float, str | None] = (0.0, None)
        for dep in sorted(g.custom_deps(r), key=lambda d: order[d.urn]):
            t = visit(dep)
            if t > best[0]:
                best = (t, dep.urn)
        visiting.discard(r.urn)
        finish[r.urn] = best[0] + create_seconds(r)
        via[r.urn] = best[1]
        return finish[r.urn]

    end: ResourceLike | None = None
    for r in resources:
        if not r.custom:
            continue
        t = visit(r)
        if end is None or t > finish[end.urn]:
            end = r
    steps: list[Step] = []
    urn = end.urn if end is not None else None
    while urn is not None:
        r = g.by_urn[urn]
        steps.append(Step(r.name, r.type, create_seconds(r)))
        urn = via[urn]
    return CriticalPath(list(reversed(steps)))


# --- time to ready: URL, then seed, health and smoke; for the warm and the cold path --------
#
# A developer waits for more than the URL: the smoke state machine seeds search, waits for the
# health path and runs the smoke suite before the PR says "ready". Each figure below is a
# midpoint with its source; `preview synth` prints them next to the totals.

Path = Literal["warm", "cold"]
# Fargate task start, image pull included (DESIGN.md: 30-45 s+); the seed and smoke steps are
# each one ECS task (smoke/definition.py).
FARGATE_TASK_START_S = 40.0
# `preview sync` of the staging data set once its task runs: assumed 200k rows at 10k rows/s
# (the order bench/sync_bench.py measures against a real OpenSearch node; re-measure for yours).
SYNC_S = 20.0
# WaitHealthy: one Lambda invocation (cold start ~1 s) and a GET that answers once the ALB's
# health checks passed, which `up` already waited for (ECS service create).
HEALTH_S = 5.0
# The pytest smoke suite of the reference app (smoke/suite) once its task runs.
SMOKE_SUITE_S = 15.0
# Claiming a slot: one consistent Scan and one conditional UpdateItem (DynamoDB answers in
# single-digit milliseconds; 1 s leaves room for retries after lost races).
CLAIM_S = 1.0
# A paused Serverless v2 instance resumes on the first connection in about 15 s (Aurora User
# Guide, "Scaling to Zero ACUs with automatic pause and resume"; longer after more than 24 h
# paused, which the pool's default maxAgeHours of 24 rules out).
RESUME_S = 15.0


@dataclass(frozen=True)
class ReadyStep:
    step: str
    seconds: float
    source: str


@dataclass(frozen=True)
class TimeToReady:
    path: Path
    steps: list[ReadyStep]

    @property
    def seconds(self) -> float:
        return round(sum(s.seconds for s in self.steps), 1)


# The seed task of the smoke gate, or of a pool slot's seeder (the same tools task and sync).
SEED_S = FARGATE_TASK_START_S + SYNC_S


def time_to_ready(url: CriticalPath, path: Path, *, pre_seeded: bool = False) -> TimeToReady:
    """URL + seed + health + smoke of a new preview, given the critical path of its `up`.

    Cold: `up` creates the clone and its instance (on `url`). Warm: `up` claims a pool slot
    first and the stack owns no clone (`url` is the warm stack's path); the slot's instance is
    paused, so the first connection waits for it to resume. Both then seed the PR's indices
    from the database, wait for health and run the smoke suite, except that a warm preview
    whose stack reports `pre_seeded` (the slot's seeder filled its indices when `preview pool
    refill` made it) starts at the health check.
    """
    task = f"Fargate task start {FARGATE_TASK_START_S:g} s (DESIGN.md)"
    steps = []
    if path == "warm":
        steps.append(ReadyStep("claim pool slot", CLAIM_S, "DynamoDB Scan + conditional update"))
    steps.append(
        ReadyStep("stack up to URL", url.seconds, "critical path of `up` (timing.CREATE_SECONDS)")
    )
    if path == "warm":
        steps.append(
            ReadyStep("resume paused slot", RESUME_S, "Aurora auto-pause docs: ~15 s to resume")
        )
    if pre_seeded:
        steps.append(
            ReadyStep("seed search", 0.0, "done ahead of time by the slot's seeder (pool refill)")
        )
    else:
        steps.append(
            ReadyStep(
                "seed search",
                SEED_S,
                f"{task} + sync {SYNC_S:g} s (200k rows at 10k rows/s, assumed)",
            )
        )
    steps.append(ReadyStep("wait healthy", HEALTH_S, "one Lambda invocation + GET"))
    steps.append(
        ReadyStep(
            "smoke suite",
            FARGATE_TASK_START_S + SMOKE_SUITE_S,
            f"{task} + suite {SMOKE_SUITE_S:g} s",
        )
    )
    return TimeToReady(path, steps)
