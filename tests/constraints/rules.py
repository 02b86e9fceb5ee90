"""What AWS accepts, per resource type and input field: the rules Pulumi's mocks do not apply.

Each rule cites the API reference it comes from. The rules are written from the documentation,
independently of components/config/ and components/naming.py, so a mistake there is caught
here rather than copied. `check(resources)` judges every recorded input of a synthesized stack
and returns one line per violation; `uncovered(resources)` names the resource types and the
risky fields (names, descriptions, identifiers) that have no rule yet, so a new resource type is
never silently fine.

Inputs arrive as the mocks record them: camelCase keys, nested objects as dicts, JSON documents
(policies, container definitions, state machines) as strings.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

Check = Callable[[Any], str | None]


class ResourceLike(Protocol):
    type: str
    name: str
    inputs: dict[str, Any]
    custom: bool


@dataclass(frozen=True)
class Rule:
    field: str  # dotted path into the inputs; `[]` iterates a list, e.g. "ingress[].description"
    check: Check
    source: str


# ---------------------------------------------------------------- value checks (building blocks)


def text(max_len: int, pattern: str | None = None, min_len: int = 1, what: str = "") -> Check:
    """A string of min_len..max_len chars, each matching the character class `pattern`."""
    rx = re.compile(pattern) if pattern else None

    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return f"{v!r} is not a string"
        if not min_len <= len(v) <= max_len:
            return f"{v!r} has {len(v)} chars; allowed {min_len}..{max_len}"
        if rx is not None and not rx.fullmatch(v):
            return f"{v!r} does not match {what or pattern}"
        return None

    return check


def one_of(*allowed: Any) -> Check:
    def check(v: Any) -> str | None:
        return None if v in allowed else f"{v!r} is not one of {list(allowed)}"

    return check


def int_range(lo: float, hi: float, step: float | None = None) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return f"{v!r} is not a number"
        if not lo <= v <= hi:
            return f"{v} is outside {lo}..{hi}"
        if step is not None and (v / step) != int(v / step):
            return f"{v} is not a multiple of {step}"
        return None

    return check


def all_of(*checks: Check) -> Check:
    def check(v: Any) -> str | None:
        for c in checks:
            problem = c(v)
            if problem:
                return problem
        return None

    return check


def cidr(max_prefix: int = 32, min_prefix: int = 0) -> Check:
    def check(v: Any) -> str | None:
        try:
            net = ipaddress.ip_network(str(v), strict=True)
        except ValueError as exc:
            return f"{v!r} is not a CIDR block ({exc})"
        if not min_prefix <= net.prefixlen <= max_prefix:
            return f"{v} has prefix /{net.prefixlen}; allowed /{min_prefix}../{max_prefix}"
        return None

    return check


def dns_name(max_len: int = 253, wildcard: bool = False, underscore: bool = False) -> Check:
    c = "A-Za-z0-9_" if underscore else "A-Za-z0-9"
    label = re.compile(f"[{c}]([{c}-]{{0,61}}[{c}])?")

    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return f"{v!r} is not a string"
        name = v.rstrip(".")
        if not 1 <= len(name) <= max_len:
            return f"{v!r} has {len(name)} chars; allowed 1..{max_len}"
        labels = name.split(".")
        if wildcard and labels[0] == "*":
            labels = labels[1:]
        bad = [x for x in labels if not label.fullmatch(x)]
        return f"{v!r} has invalid DNS label(s) {bad}" if bad else None

    return check


def json_doc(inner: Callable[[Any], str | None]) -> Check:
    def check(v: Any) -> str | None:
        try:
            doc = json.loads(v) if isinstance(v, str) else v
        except json.JSONDecodeError as exc:
            return f"is not valid JSON ({exc.msg})"
        return inner(doc)

    return check


def no_whitespace_len(max_len: int) -> Check:
    """IAM counts policy size without whitespace."""

    def check(v: Any) -> str | None:
        size = len(re.sub(r"\s", "", v if isinstance(v, str) else json.dumps(v)))
        return None if size <= max_len else f"policy is {size} chars; IAM allows {max_len}"

    return check


# ------------------------------------------------------------------------- shared character sets

# EC2 CreateSecurityGroup GroupName/GroupDescription (VPC), IpRange/UserIdGroupPair Description:
# "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", up to 255 characters.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html
EC2_TEXT = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*"
# IAM role/policy/instance-profile names: "[\w+=,.@-]+".
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
IAM_NAME = r"[\w+=,.@-]+"
# IAM descriptions: "[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*", up to 1000.
IAM_DESCRIPTION = r"[\t\n\r\x20-\x7e\xa1-\xff]*"
# ALB/NLB and target-group names: up to 32 alphanumerics or hyphens, no hyphen at either end;
# a load balancer name must not begin with "internal-".
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
LB_NAME = r"(?!internal-)[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?"
# RDS DB cluster / instance identifiers: 1-63 letters, digits or hyphens; first a letter; no
# two consecutive hyphens; no trailing hyphen.
# https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
RDS_IDENT = r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)"
# ECS cluster, service, task family and container names: up to 255 letters, digits, hyphens,
# underscores. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
ECS_NAME = r"[a-zA-Z0-9_-]+"
# Resource tags (Resource Groups Tagging / most services, IAM strictly): key 1-128, value 0-256,
# "letters, numbers, spaces representable in UTF-8, and _ . : / = + - @"; at most 50 tags;
# the prefix "aws:" is reserved.
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
TAG_CHARS = re.compile(r"[\w\s.:/=+\-@]*", re.UNICODE)

# CloudWatch Logs PutRetentionPolicy / CreateLogGroup retentionInDays: the only accepted values.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

# Fargate task-level cpu -> memory (MiB) values.
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
# ("512 (0.5 GB), 1024 (1 GB), 2048 (2 GB) - Available cpu values: 256 (.25 vCPU)", ...)
FARGATE_MEMORY: dict[int, set[int]] = {
    256: {512, 1024, 2048},
    512: {1024, 2048, 3072, 4096},
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
    8192: set(range(16384, 61441, 4096)),
    16384: set(range(32768, 122881, 8192)),
}


def _fargate_size(inputs: dict[str, Any]) -> str | None:
    if "FARGATE" not in (inputs.get("requiresCompatibilities") or []):
        return None
    try:
        cpu, memory = int(inputs.get("cpu", "")), int(inputs.get("memory", ""))
    except ValueError:
        return f"cpu {inputs.get('cpu')!r} / memory {inputs.get('memory')!r} are not integers"
    allowed = FARGATE_MEMORY.get(cpu)
    if allowed is None:
        return f"cpu {cpu} is not a Fargate size; allowed {sorted(FARGATE_MEMORY)}"
    if memory not in allowed:
        return f"memory {memory} MiB does not fit Fargate cpu {cpu}; allowed {sorted(allowed)}"
    return None


def _dimensions(d: Any) -> str | None:
    if len(d) > 30:
        return f"{len(d)} dimensions; CloudWatch allows 30"
    for k, v in d.items():
        if not 1 <= len(k) <= 255 or not 1 <= len(str(v)) <= 1024:
            return f"dimension {k}={v!r}: name 1-255, value 1-1024 chars"
    return None


# ------------------------------------------------------------------------------- JSON documents


def _containers(doc: Any) -> str | None:
    # RegisterTaskDefinition ContainerDefinition.name: "Up to 255 letters (uppercase and
    # lowercase), numbers, underscores, and hyphens"; environment names must be unique.
    for c in doc:
        if problem := text(255, ECS_NAME)(c.get("name")):
            return f"container name {problem}"
        names = [e["name"] for e in c.get("environment", [])] + [
            s["name"] for s in c.get("secrets", [])
        ]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            return f"container {c['name']!r} sets {dupes} twice (environment/secrets)"
        logs = (c.get("logConfiguration") or {}).get("options") or {}
        if "awslogs-group" in logs and (
            problem := text(512, r"[\.\-_/#A-Za-z0-9]+")(logs["awslogs-group"])
        ):
            return f"awslogs-group {problem}"
    return None


def _states(doc: Any, path: str = "States") -> Iterator[tuple[str, Any]]:
    for name, state in (doc.get("States") or {}).items():
        yield name, state
        for branch in state.get("Branches", []) or []:
            yield from _states(branch)
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"])


def _state_machine(doc: Any) -> str | None:
    # Amazon States Language: state names are at most 80 Unicode characters; StartAt must name
    # a state. https://states-language.net/spec.html#states-fields
    if doc.get("StartAt") not in (doc.get("States") or {}):
        return f"StartAt {doc.get('StartAt')!r} names no state"
    for name, _ in _states(doc):
        if len(name) > 80:
            return f"state name {name!r} exceeds 80 chars"
    return None


def _lifecycle(doc: Any) -> str | None:
    # ECR lifecycle policy properties:
    # https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html
    # unique rulePriority; a tagStatus "any" rule must have the highest rulePriority; "tagged"
    # needs tagPrefixList or tagPatternList, "untagged" must have neither; countNumber > 0;
    # sinceImagePushed needs countUnit "days"; at most four wildcards per pattern.
    rules = doc.get("rules") or []
    prios = [r.get("rulePriority") for r in rules]
    if not rules or len(set(prios)) != len(prios):
        return f"rulePriority values must be unique and present, got {prios}"
    for r in rules:
        sel = r.get("selection") or {}
        status = sel.get("tagStatus")
        lists = [k for k in ("tagPrefixList", "tagPatternList") if sel.get(k)]
        if status not in ("tagged", "untagged", "any"):
            return f"tagStatus {status!r} is not tagged/untagged/any"
        if status == "tagged" and not lists:
            return "a tagged rule needs tagPrefixList or tagPatternList"
        if status != "tagged" and lists:
            return f"a {status} rule must not have {lists}"
        if status == "any" and r.get("rulePriority") != max(prios):
            return "the tagStatus any rule must have the highest rulePriority"
        if any(p.count("*") > 4 for p in sel.get("tagPatternList") or []):
            return "a tag pattern may hold at most four wildcards"
        count_type = sel.get("countType")
        if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
            return f"countType {count_type!r} is not imageCountMoreThan/sinceImagePushed"
        if count_type == "sinceImagePushed" and sel.get("countUnit") != "days":
            return "sinceImagePushed needs countUnit days"
        if not isinstance(sel.get("countNumber"), int) or sel["countNumber"] < 1:
            return f"countNumber {sel.get('countNumber')!r} must be a positive integer"
        if (r.get("action") or {}).get("type") != "expire":
            return "action type must be expire"
    return None


def _policy_doc(doc: Any) -> str | None:
    # IAM policy grammar: Version 2012-10-17, Statement list with Effect Allow/Deny.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
    if doc.get("Version") != "2012-10-17":
        return f"Version {doc.get('Version')!r} is not 2012-10-17"
    statements = doc.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    for s in statements:
        if not isinstance(s, dict) or s.get("Effect") not in ("Allow", "Deny"):
            return f"statement {s!r} has no Effect Allow/Deny"
    return None


# ------------------------------------------------------------------------------ the rule catalog

_EC2_DESC = text(
    255, EC2_TEXT, min_len=0, what="EC2's charset a-zA-Z0-9 spaces ._-:/()#,@[]+=&;{}!$*"
)
_EC2_SRC = "EC2 API CreateSecurityGroup / IpRange: <=255 chars of a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*"
_IAM_SRC = "IAM API CreateRole/CreatePolicy/PutRolePolicy: names [\\w+=,.@-], role<=64, policy<=128"
_LB_SRC = "ELBv2 API CreateLoadBalancer/CreateTargetGroup: <=32 alnum/hyphen, no edge hyphen"
_RDS_SRC = "RDS API CreateDBCluster/CreateDBInstance: 1-63 alnum/hyphen, letter first, no --"
_ECS_SRC = "ECS API CreateCluster/CreateService/RegisterTaskDefinition: <=255 [a-zA-Z0-9_-]"
_LOGS_SRC = "CloudWatch Logs API CreateLogGroup/PutRetentionPolicy"
_ARN = text(2048, r"arn:aws[a-z-]*:.+", what="an ARN")
_PORT = int_range(0, 65535)


RULES: dict[str, list[Rule]] = {
    # ---- EC2 / VPC
    "aws:ec2/securityGroup:SecurityGroup": [
        Rule(
            "name",
            all_of(
                text(255, EC2_TEXT),
                lambda v: "must not start with sg-" if str(v).startswith("sg-") else None,
            ),
            _EC2_SRC + "; GroupName not sg-*",
        ),
        Rule("description", _EC2_DESC, _EC2_SRC),
        Rule("ingress[].description", _EC2_DESC, _EC2_SRC),
        Rule("egress[].description", _EC2_DESC, _EC2_SRC),
        Rule("ingress[].fromPort", int_range(-1, 65535), "EC2 IpPermission FromPort -1..65535"),
        Rule("ingress[].toPort", int_range(-1, 65535), "EC2 IpPermission ToPort -1..65535"),
        Rule("ingress[].cidrBlocks[]", cidr(), "EC2 IpRange CidrIp: an IPv4 CIDR"),
        Rule("egress[].cidrBlocks[]", cidr(), "EC2 IpRange CidrIp: an IPv4 CIDR"),
    ],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
        Rule("description", _EC2_DESC, _EC2_SRC),
        Rule("fromPort", _PORT, "EC2 AuthorizeSecurityGroupIngress FromPort"),
        Rule("toPort", _PORT, "EC2 AuthorizeSecurityGroupIngress ToPort"),
        Rule("ipProtocol", one_of("tcp", "udp", "icmp", "icmpv6", "-1"), "EC2 IpProtocol"),
    ],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [
        Rule("description", _EC2_DESC, _EC2_SRC),
    ],
    "aws:ec2/securityGroupRule:SecurityGroupRule": [
        Rule("description", _EC2_DESC, _EC2_SRC),
    ],
    # CreateVpc / CreateSubnet: "The allowed block size is between a /16 netmask (65,536 IP
    # addresses) and /28 netmask (16 IP addresses)."
    # https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
    "aws:ec2/vpc:Vpc": [Rule("cidrBlock", cidr(28, 16), "VPC CIDR /16../28")],
    "aws:ec2/subnet:Subnet": [Rule("cidrBlock", cidr(28, 16), "subnet CIDR /16../28")],
    "aws:ec2/eip:Eip": [Rule("domain", one_of("vpc", "standard"), "EC2 AllocateAddress Domain")],
    "aws:ec2/flowLog:FlowLog": [
        Rule("trafficType", one_of("ACCEPT", "REJECT", "ALL"), "EC2 CreateFlowLogs TrafficType"),
        Rule(
            "logDestinationType",
            one_of("cloud-watch-logs", "s3", "kinesis-data-firehose"),
            "EC2 CreateFlowLogs LogDestinationType",
        ),
    ],
    "aws:ec2/internetGateway:InternetGateway": [],
    "aws:ec2/natGateway:NatGateway": [],
    "aws:ec2/route:Route": [Rule("destinationCidrBlock", cidr(), "EC2 CreateRoute: IPv4 CIDR")],
    "aws:ec2/routeTable:RouteTable": [],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": [],
    # ---- CloudWatch
    "aws:cloudwatch/logGroup:LogGroup": [
        # logGroupName: 1-512 chars of [\.\-_/#A-Za-z0-9]+.
        Rule("name", text(512, r"[\.\-_/#A-Za-z0-9]+"), _LOGS_SRC + " logGroupName"),
        Rule("retentionInDays", one_of(*LOG_RETENTION_DAYS), _LOGS_SRC + " retentionInDays"),
    ],
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": [
        # PutMetricFilter filterName: 1-512, "[^:*]*"; metricName/metricNamespace <=255 without
        # ":" "*" "$"; filterPattern <=1024.
        Rule("name", text(512, r"[^:*]+"), "CloudWatch Logs PutMetricFilter filterName"),
        Rule("logGroupName", text(512, r"[\.\-_/#A-Za-z0-9]+"), _LOGS_SRC + " logGroupName"),
        Rule("pattern", text(1024, min_len=0), "PutMetricFilter filterPattern <=1024"),
        Rule("metricTransformation.name", text(255, r"[^:*$]+"), "MetricTransformation name"),
        Rule(
            "metricTransformation.namespace",
            text(255, r"[^:*$]+"),
            "MetricTransformation metricNamespace",
        ),
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": [
        # PutMetricAlarm: AlarmName 1-255; Period 10, 20, 30 or a multiple of 60;
        # EvaluationPeriods >= 1; Statistic/ComparisonOperator/TreatMissingData enumerations.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
        Rule("name", text(255), "CloudWatch PutMetricAlarm AlarmName 1-255"),
        Rule(
            "period",
            lambda v: (
                None
                if v in (10, 20, 30) or (v % 60 == 0 and v > 0)
                else f"period {v} is not 10, 20, 30 or a multiple of 60"
            ),
            "PutMetricAlarm Period",
        ),
        Rule("evaluationPeriods", int_range(1, 10_000), "PutMetricAlarm EvaluationPeriods"),
        Rule(
            "statistic",
            one_of("SampleCount", "Average", "Sum", "Minimum", "Maximum"),
            "PutMetricAlarm Statistic",
        ),
        Rule(
            "comparisonOperator",
            one_of(
                "GreaterThanOrEqualToThreshold",
                "GreaterThanThreshold",
                "LessThanThreshold",
                "LessThanOrEqualToThreshold",
                "LessThanLowerOrGreaterThanUpperThreshold",
                "LessThanLowerThreshold",
                "GreaterThanUpperThreshold",
            ),
            "PutMetricAlarm ComparisonOperator",
        ),
        Rule(
            "treatMissingData",
            one_of("breaching", "notBreaching", "ignore", "missing"),
            "PutMetricAlarm TreatMissingData",
        ),
        Rule("metricName", text(255), "PutMetricAlarm MetricName 1-255"),
        # Dimension: Name 1-255, Value 1-1024; at most 30 dimensions per metric.
        Rule("dimensions", lambda d: _dimensions(d), "CloudWatch Dimension Name/Value"),
        Rule(
            "metricQueries[].metric.dimensions",
            lambda d: _dimensions(d),
            "CloudWatch Dimension Name/Value",
        ),
        Rule("metricQueries[].metric.metricName", text(255), "CloudWatch MetricName 1-255"),
        Rule("metricQueries[].id", text(255, r"[a-z][a-zA-Z0-9_]*"), "MetricDataQuery Id"),
        Rule("namespace", text(255, r"[^:].*"), "PutMetricAlarm Namespace 1-255, not ':'"),
    ],
    "aws:cloudwatch/dashboard:Dashboard": [
        # PutDashboard DashboardName: "only alphanumerics, dash (-), and underscore (_)", <=255.
        Rule("dashboardName", text(255, r"[A-Za-z0-9_-]+"), "CloudWatch PutDashboard"),
        Rule(
            "dashboardBody",
            json_doc(lambda d: None if "widgets" in d else "no widgets"),
            "CloudWatch dashboard body structure",
        ),
    ],
    # ---- ECR
    "aws:ecr/repository:Repository": [
        # CreateRepository repositoryName: 2-256,
        # (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*
        Rule(
            "name",
            text(256, r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", min_len=2),
            "ECR API CreateRepository repositoryName",
        ),
        Rule("imageTagMutability", one_of("MUTABLE", "IMMUTABLE"), "ECR imageTagMutability"),
    ],
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": [
        Rule("policy", json_doc(_lifecycle), "ECR lifecycle policy parameters"),
        Rule("policy", text(30720), "ECR PutLifecyclePolicy lifecyclePolicyText 100-30720"),
    ],
    # ---- ECS
    "aws:ecs/cluster:Cluster": [
        Rule("name", text(255, ECS_NAME), _ECS_SRC),
        Rule("settings[].name", one_of("containerInsights"), "ECS ClusterSetting name"),
        Rule(
            "settings[].value",
            one_of("enhanced", "enabled", "disabled"),
            "ECS ClusterSetting value",
        ),
    ],
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": [
        Rule("clusterName", text(255, ECS_NAME), _ECS_SRC),
        Rule(
            "capacityProviders[]",
            one_of("FARGATE", "FARGATE_SPOT"),
            "ECS PutClusterCapacityProviders: Fargate providers",
        ),
    ],
    "aws:ecs/service:Service": [
        Rule("name", text(255, ECS_NAME), _ECS_SRC),
        Rule("desiredCount", int_range(0, 5000), "ECS CreateService desiredCount"),
        Rule(
            "deploymentMaximumPercent",
            int_range(100, 200),
            "ECS DeploymentConfiguration maximumPercent (rolling, Fargate) 100..200",
        ),
        Rule(
            "deploymentMinimumHealthyPercent",
            int_range(0, 100),
            "ECS DeploymentConfiguration minimumHealthyPercent 0..100",
        ),
        Rule(
            "healthCheckGracePeriodSeconds",
            int_range(0, 2_147_483_647),
            "ECS CreateService healthCheckGracePeriodSeconds",
        ),
        Rule(
            "capacityProviderStrategies[].base",
            int_range(0, 100_000),
            "ECS CapacityProviderStrategyItem base 0..100000",
        ),
        Rule(
            "capacityProviderStrategies[].weight",
            int_range(0, 1000),
            "ECS CapacityProviderStrategyItem weight 0..1000",
        ),
        Rule("loadBalancers[].containerPort", int_range(1, 65535), "ECS LoadBalancer port"),
        Rule("propagateTags", one_of("SERVICE", "TASK_DEFINITION", "NONE"), "ECS propagateTags"),
    ],
    "aws:ecs/taskDefinition:TaskDefinition": [
        Rule("family", text(255, ECS_NAME), _ECS_SRC),
        Rule("", _fargate_size, "ECS RegisterTaskDefinition Fargate cpu/memory table"),
        Rule("containerDefinitions", json_doc(_containers), "ECS ContainerDefinition name"),
        Rule("networkMode", one_of("awsvpc"), "Fargate requires networkMode awsvpc"),
    ],
    # ---- IAM
    "aws:iam/role:Role": [
        Rule("name", text(64, IAM_NAME), _IAM_SRC),
        Rule("description", text(1000, IAM_DESCRIPTION, min_len=0), "IAM CreateRole Description"),
        Rule("maxSessionDuration", int_range(3600, 43200), "IAM CreateRole MaxSessionDuration"),
        Rule("permissionsBoundary", _ARN, "IAM CreateRole PermissionsBoundary: a policy ARN"),
        Rule("assumeRolePolicy", json_doc(_policy_doc), "IAM policy grammar"),
        # Trust policy size: quota "Role trust policy length 2,048 characters" (default).
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
        Rule("assumeRolePolicy", no_whitespace_len(2048), "IAM quota: trust policy 2048"),
    ],
    "aws:iam/policy:Policy": [
        Rule("name", text(128, IAM_NAME), _IAM_SRC),
        Rule("description", text(1000, IAM_DESCRIPTION, min_len=0), "IAM CreatePolicy"),
        Rule("policy", json_doc(_policy_doc), "IAM policy grammar"),
        # "Managed policy size 6,144 characters" (whitespace not counted).
        Rule("policy", no_whitespace_len(6144), "IAM quota: managed policy 6144"),
    ],
    "aws:iam/rolePolicy:RolePolicy": [
        Rule("name", text(128, IAM_NAME), _IAM_SRC),
        Rule("policy", json_doc(_policy_doc), "IAM policy grammar"),
        # "Role policy size 10,240 characters" for all inline policies of a role together;
        # one policy over it is refused for certain (the aggregate is checked in check()).
        Rule("policy", no_whitespace_len(10_240), "IAM quota: inline role policies 10240"),
    ],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [
        Rule("policyArn", _ARN, "IAM AttachRolePolicy PolicyArn"),
    ],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": [
        # CreateOpenIDConnectProvider: Url https, 1-255; ClientIDList items 1-255, <=100 items.
        Rule("url", text(255, r"https://.+"), "IAM CreateOpenIDConnectProvider Url"),
        Rule("clientIdLists[]", text(255), "IAM CreateOpenIDConnectProvider ClientIDList"),
    ],
    # ---- Lambda
    "aws:lambda/function:Function": [
        # CreateFunction: FunctionName 1-64 [a-zA-Z0-9-_]; Timeout 1-900; MemorySize 128-10240.
        # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
        Rule("name", text(64, r"[a-zA-Z0-9_-]+"), "Lambda CreateFunction FunctionName"),
        Rule("timeout", int_range(1, 900), "Lambda CreateFunction Timeout"),
        Rule("memorySize", int_range(128, 10240), "Lambda CreateFunction MemorySize"),
        Rule(
            "runtime",
            one_of("python3.10", "python3.11", "python3.12", "python3.13"),
            "Lambda supported (non-deprecated) Python runtimes",
        ),
        Rule("handler", text(128, r"[^\s]+"), "Lambda CreateFunction Handler <=128"),
    ],
    "aws:lambda/permission:Permission": [],
    # ---- ELBv2
    "aws:lb/loadBalancer:LoadBalancer": [
        Rule("name", text(32, LB_NAME, what="ELB's name rule"), _LB_SRC),
        Rule("loadBalancerType", one_of("application", "network", "gateway"), _LB_SRC),
    ],
    "aws:lb/targetGroup:TargetGroup": [
        Rule("name", text(32, LB_NAME, what="ELB's name rule"), _LB_SRC),
        Rule("port", int_range(1, 65535), "ELBv2 CreateTargetGroup Port"),
        # CreateTargetGroup: HealthCheckPath 1-1024 starting with "/"; interval 5-300;
        # timeout 2-120; thresholds 2-10; Matcher HttpCode 200-499 for HTTP target groups;
        # deregistration_delay.timeout_seconds 0-3600.
        Rule(
            "healthCheck.path",
            text(1024, r"/[A-Za-z0-9_\-.$/~\"'@:+&=?%]*"),
            "ELBv2 CreateTargetGroup HealthCheckPath",
        ),
        Rule("healthCheck.interval", int_range(5, 300), "ELBv2 HealthCheckIntervalSeconds"),
        Rule("healthCheck.timeout", int_range(2, 120), "ELBv2 HealthCheckTimeoutSeconds"),
        Rule("healthCheck.healthyThreshold", int_range(2, 10), "ELBv2 HealthyThresholdCount"),
        Rule("healthCheck.unhealthyThreshold", int_range(2, 10), "ELBv2 UnhealthyThresholdCount"),
        Rule(
            "healthCheck.matcher",
            text(100, r"[2-4][0-9]{2}([-,][2-4][0-9]{2})*"),
            "ELBv2 Matcher HttpCode 200-499",
        ),
        Rule("deregistrationDelay", int_range(0, 3600), "ELBv2 deregistration_delay 0..3600"),
        Rule("targetType", one_of("instance", "ip", "lambda", "alb"), "ELBv2 TargetType"),
    ],
    "aws:lb/listener:Listener": [
        Rule("port", int_range(1, 65535), "ELBv2 CreateListener Port"),
        Rule("protocol", one_of("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"), "ELBv2"),
        Rule(
            "defaultActions[].fixedResponse.messageBody",
            text(1024, min_len=0),
            "ELBv2 FixedResponseActionConfig MessageBody <=1024",
        ),
        Rule(
            "defaultActions[].fixedResponse.statusCode",
            text(3, r"[245][0-9]{2}"),
            "ELBv2 FixedResponseActionConfig StatusCode 2XX/4XX/5XX",
        ),
        Rule(
            "defaultActions[].redirect.statusCode",
            one_of("HTTP_301", "HTTP_302"),
            "ELBv2 RedirectActionConfig StatusCode",
        ),
    ],
    "aws:lb/listenerRule:ListenerRule": [
        # CreateRule: Priority 1-50000; host-header values <=128 chars of A-Z a-z 0-9 - . * ?;
        # at most 5 condition values per rule (quotas for ALBs: "Condition values per rule 5").
        # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
        Rule("priority", int_range(1, 50_000), "ELBv2 CreateRule Priority"),
        Rule(
            "conditions[].hostHeader.values[]",
            text(128, r"[A-Za-z0-9.*?-]+"),
            "ELBv2 host-header condition value",
        ),
        Rule("conditions[].sourceIp.values[]", cidr(), "ELBv2 source-ip condition: CIDR"),
        Rule(
            "conditions",
            lambda cs: (
                None
                if sum(
                    len(v.get("values") or [])
                    for c in cs
                    for v in c.values()
                    if isinstance(v, dict)
                )
                <= 5
                else "more than 5 condition values in one rule"
            ),
            "ALB quota: 5 values per rule",
        ),
        Rule(
            "actions[].authenticateOidc.issuer",
            text(2048, r"https://.+"),
            "ELBv2 AuthenticateOidcActionConfig: https endpoints",
        ),
    ],
    # ---- OpenSearch
    "aws:opensearch/domain:Domain": [
        # CreateDomain DomainName: 3-28, [a-z][a-z0-9\-]+.
        # https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_CreateDomain.html
        Rule("domainName", text(28, r"[a-z][a-z0-9\-]+", min_len=3), "OpenSearch CreateDomain"),
        Rule(
            "engineVersion",
            text(18, r"(OpenSearch|Elasticsearch)_[0-9]{1,2}\.[0-9]{1,2}"),
            "OpenSearch CreateDomain EngineVersion",
        ),
        Rule("ebsOptions.volumeSize", int_range(10, 24_576), "OpenSearch EBS volume size GiB"),
        Rule("clusterConfig.instanceCount", int_range(1, 1002), "OpenSearch instance count"),
    ],
    "aws:opensearch/domainPolicy:DomainPolicy": [],
    # ---- RDS
    "aws:rds/cluster:Cluster": [
        Rule("clusterIdentifier", text(63, RDS_IDENT, what="RDS identifier rule"), _RDS_SRC),
        Rule(
            "finalSnapshotIdentifier",
            text(255, r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]*(?<!-)"),
            "RDS DeleteDBCluster FinalDBSnapshotIdentifier",
        ),
        # MasterUsername (Aurora MySQL): 1-16 letters/digits/underscore, a letter first.
        Rule("masterUsername", text(16, r"[a-zA-Z][a-zA-Z0-9_]*"), "RDS MasterUsername (MySQL)"),
        # DatabaseName (Aurora MySQL): 1-64 alphanumeric characters, a letter first.
        Rule("databaseName", text(64, r"[a-zA-Z][a-zA-Z0-9_]*"), "RDS DatabaseName (MySQL)"),
        Rule("backupRetentionPeriod", int_range(1, 35), "RDS BackupRetentionPeriod 1..35"),
        # Aurora MySQL log types: audit, error, general, slowquery (+ iam-db-auth-error, instance).
        Rule(
            "enabledCloudwatchLogsExports[]",
            one_of("audit", "error", "general", "slowquery", "iam-db-auth-error", "instance"),
            "RDS EnableCloudwatchLogsExports (Aurora MySQL)",
        ),
        # ServerlessV2ScalingConfiguration: MinCapacity 0-256, MaxCapacity 1-256 in 0.5 steps;
        # SecondsUntilAutoPause 300-86400.
        # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2ScalingConfiguration.html
        Rule(
            "serverlessv2ScalingConfiguration.minCapacity",
            int_range(0, 256, 0.5),
            "RDS ServerlessV2ScalingConfiguration MinCapacity",
        ),
        Rule(
            "serverlessv2ScalingConfiguration.maxCapacity",
            int_range(1, 256, 0.5),
            "RDS ServerlessV2ScalingConfiguration MaxCapacity",
        ),
        Rule(
            "serverlessv2ScalingConfiguration.secondsUntilAutoPause",
            int_range(300, 86_400),
            "RDS ServerlessV2ScalingConfiguration SecondsUntilAutoPause",
        ),
        Rule("engine", one_of("aurora-mysql", "aurora-postgresql"), "RDS Engine (Aurora)"),
        Rule(
            "restoreToPointInTime.restoreType",
            one_of("copy-on-write", "full-copy"),
            "RDS RestoreDBClusterToPointInTime RestoreType",
        ),
    ],
    "aws:rds/clusterInstance:ClusterInstance": [
        Rule("identifier", text(63, RDS_IDENT, what="RDS identifier rule"), _RDS_SRC),
        Rule("promotionTier", int_range(0, 15), "RDS CreateDBInstance PromotionTier 0..15"),
        Rule("instanceClass", text(40, r"db\.[a-z0-9]+(\.[a-z0-9]+)?"), "RDS DBInstanceClass"),
    ],
    "aws:rds/subnetGroup:SubnetGroup": [
        # CreateDBSubnetGroup DBSubnetGroupName: <=255 lowercase letters, numbers, periods,
        # underscores, spaces, hyphens; not "default". Description <=255 (no charset stated).
        Rule(
            "name",
            all_of(
                text(255, r"[a-z0-9._ -]+"),
                lambda v: "must not be default" if v == "default" else None,
            ),
            "RDS CreateDBSubnetGroup DBSubnetGroupName",
        ),
        Rule("description", text(255), "RDS CreateDBSubnetGroup DBSubnetGroupDescription"),
    ],
    # ---- Route 53 / ACM
    "aws:route53/record:Record": [
        # ResourceRecordSet Name <=1024 bytes, labels <=63 (DNS: 255 total); TTL 0..2147483647.
        Rule(
            "name",
            dns_name(253, wildcard=True, underscore=True),
            "Route 53 ResourceRecordSet Name (DNS limits; _ allowed, e.g. ACM validation)",
        ),
        Rule(
            "type",
            one_of("A", "AAAA", "CAA", "CNAME", "MX", "NS", "TXT", "SRV", "PTR", "SOA"),
            "Route 53 RRType",
        ),
        Rule("ttl", int_range(0, 2_147_483_647), "Route 53 ResourceRecordSet TTL"),
    ],
    "aws:route53/zone:Zone": [
        Rule("name", dns_name(253), "Route 53 CreateHostedZone Name"),
        Rule("comment", text(256, min_len=0), "Route 53 HostedZoneConfig Comment <=256"),
    ],
    "aws:acm/certificate:Certificate": [
        # RequestCertificate DomainName 1-253, wildcard only as the leftmost label.
        Rule("domainName", dns_name(253, wildcard=True), "ACM RequestCertificate DomainName"),
        Rule("validationMethod", one_of("DNS", "EMAIL"), "ACM ValidationMethod"),
    ],
    "aws:acm/certificateValidation:CertificateValidation": [],
    # ---- Step Functions / SNS / Application Auto Scaling
    "aws:sfn/stateMachine:StateMachine": [
        # CreateStateMachine name: 1-80; no whitespace, brackets, wildcards, special characters
        # ("#%\^|~`$&,;:/) or control characters.
        # https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
        Rule(
            "name",
            text(80, r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]+"),
            "Step Functions CreateStateMachine name",
        ),
        Rule("definition", json_doc(_state_machine), "Amazon States Language"),
    ],
    "aws:sns/topic:Topic": [
        # CreateTopic Name: 1-256 of [A-Za-z0-9_-] (FIFO: + ".fifo").
        Rule("name", text(256, r"[A-Za-z0-9_-]+(\.fifo)?"), "SNS CreateTopic Name"),
    ],
    "aws:sns/topicSubscription:TopicSubscription": [
        Rule(
            "protocol",
            one_of(
                "http",
                "https",
                "email",
                "email-json",
                "sms",
                "sqs",
                "application",
                "lambda",
                "firehose",
            ),
            "SNS Subscribe Protocol",
        ),
        Rule("endpoint", text(2048, r"[^@\s]+@[^@\s]+\.[^@\s]+"), "SNS email endpoint address"),
    ],
    "aws:appautoscaling/target:Target": [
        Rule(
            "resourceId",
            text(1600, r"service/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+"),
            "Application Auto Scaling ResourceId for ECS: service/<cluster>/<service>",
        ),
        Rule("minCapacity", int_range(0, 2_147_483_647), "RegisterScalableTarget MinCapacity"),
        Rule("maxCapacity", int_range(0, 2_147_483_647), "RegisterScalableTarget MaxCapacity"),
    ],
    "aws:appautoscaling/policy:Policy": [
        # PutScalingPolicy PolicyName: 1-256, [\p{Print}&&[^|:/]]+.
        Rule("name", text(256, r"[^|:/\x00-\x1f]+"), "Application Auto Scaling PolicyName"),
        Rule(
            "policyType",
            one_of("StepScaling", "TargetTrackingScaling", "PredictiveScaling"),
            "PutScalingPolicy PolicyType",
        ),
    ],
    "aws:secretsmanager/secret:Secret": [
        Rule("name", text(512, r"[A-Za-z0-9/_+=.@-]+"), "Secrets Manager CreateSecret Name"),
    ],
    "aws:kms/key:Key": [Rule("description", text(8192, min_len=0), "KMS CreateKey Description")],
}

# Not AWS resources: nothing to judge.
EXEMPT = frozenset({"pulumi:pulumi:StackReference"})

# Pulumi autonames `name` (etc.) when the program leaves it out: "<logical name>-<7 random hex>",
# shortened to the provider's maximum length. Judge that generated name too.
AUTONAME: dict[str, tuple[str, int]] = {
    "aws:ec2/securityGroup:SecurityGroup": ("name", 255),
    "aws:iam/role:Role": ("name", 64),
    "aws:iam/policy:Policy": ("name", 128),
    "aws:iam/rolePolicy:RolePolicy": ("name", 128),
    "aws:lb/loadBalancer:LoadBalancer": ("name", 32),
    "aws:lb/targetGroup:TargetGroup": ("name", 32),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", 255),
    "aws:lambda/function:Function": ("name", 64),
    "aws:sfn/stateMachine:StateMachine": ("name", 80),
    "aws:sns/topic:Topic": ("name", 256),
    "aws:ecr/repository:Repository": ("name", 256),
    "aws:ecs/cluster:Cluster": ("name", 255),
    "aws:ecs/service:Service": ("name", 255),
    "aws:appautoscaling/policy:Policy": ("name", 255),
    "aws:rds/subnetGroup:SubnetGroup": ("name", 255),
    "aws:rds/cluster:Cluster": ("clusterIdentifier", 63),
    "aws:rds/clusterInstance:ClusterInstance": ("identifier", 63),
    "aws:opensearch/domain:Domain": ("domainName", 28),
}
# Pulumi's provider defaults for inputs left out (the value AWS receives).
DEFAULTS: dict[tuple[str, str], Any] = {
    ("aws:ec2/securityGroup:SecurityGroup", "description"): "Managed by Pulumi",
    ("aws:rds/subnetGroup:SubnetGroup", "description"): "Managed by Pulumi",
    ("aws:route53/zone:Zone", "comment"): "Managed by Pulumi",
}
_AUTONAME_SUFFIX = "-1a2b3c4"
# Input keys that are names, descriptions or identifiers: each needs a rule on its type.
RISKY_KEY = re.compile(
    r"(^|[a-z])(name|Name|description|Description|identifier|Identifier)$|^(family|comment)$"
)
# Keys that match RISKY_KEY but reference another resource's name (judged there).
REFERENCES = frozenset({"dbSubnetGroupName", "logGroupName", "clusterName"})
REFERENCE_PATHS = frozenset(
    {
        ("aws:rds/clusterInstance:ClusterInstance", "clusterIdentifier"),
        ("aws:rds/cluster:Cluster", "restoreToPointInTime.sourceClusterIdentifier"),
        ("aws:ecs/service:Service", "loadBalancers[].containerName"),
        ("aws:route53/record:Record", "aliases[].name"),
    }
)


def _autoname(logical: str, max_len: int) -> str:
    suffix = _AUTONAME_SUFFIX
    return f"{logical[: max_len - len(suffix)]}{suffix}"


def values_at(inputs: Any, path: str) -> Iterator[Any]:
    """Every value at `path` ("" is the whole inputs, "a[].b" iterates list a)."""
    if path == "":
        yield inputs
        return
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(inputs, dict) or inputs.get(key) is None:
        return
    value = inputs[key]
    items = value if many and isinstance(value, list) else [value]
    for item in items:
        if rest:
            yield from values_at(item, rest)
        else:
            yield item


def effective_inputs(r: ResourceLike) -> dict[str, Any]:
    """Inputs as AWS receives them: Pulumi autonames and provider defaults filled in."""
    inputs = dict(r.inputs)
    if r.type in AUTONAME:
        key, max_len = AUTONAME[r.type]
        if not inputs.get(key):
            inputs[key] = _autoname(r.name, max_len)
    for (type_, key), default in DEFAULTS.items():
        if type_ == r.type and key not in inputs:
            inputs[key] = default
    return inputs


def _tags(r: ResourceLike, inputs: dict[str, Any]) -> Iterator[str]:
    tags = inputs.get("tags") or {}
    if len(tags) > 50:
        yield f"{len(tags)} tags; AWS allows 50 per resource"
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not TAG_CHARS.fullmatch(key):
            yield f"tag key {key!r}: 1-128 chars of letters, digits, spaces, _.:/=+-@"
        if key.lower().startswith("aws:"):
            yield f"tag key {key!r}: the prefix aws: is reserved"
        if len(str(value)) > 256 or not TAG_CHARS.fullmatch(str(value)):
            yield f"tag {key}={value!r}: value is 0-256 chars of letters, digits, spaces, _.:/=+-@"


def _stack_rules(resources: list[ResourceLike]) -> Iterator[str]:
    """Rules that span resources."""
    groups = {
        effective_inputs(r).get("name"): r
        for r in resources
        if r.type == "aws:cloudwatch/logGroup:LogGroup"
    }
    for r in resources:
        if r.type != "aws:rds/cluster:Cluster":
            continue
        ident = effective_inputs(r).get("clusterIdentifier")
        # Aurora publishes each exported log to /aws/rds/cluster/<cluster id>/<log type> and
        # creates that group itself with "Never expire" retention unless it already exists.
        # https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Integrating.CloudWatch.html
        for log in r.inputs.get("enabledCloudwatchLogsExports") or []:
            group = f"/aws/rds/cluster/{ident}/{log}"
            owned = groups.get(group)
            if owned is None or not owned.inputs.get("retentionInDays"):
                yield (
                    f"{r.type} {r.name}: exports {log!r} logs to {group}, which RDS creates with "
                    "no expiry; create that log group with a retention first"
                )
    per_role: dict[str, int] = {}
    for r in resources:
        if r.type == "aws:iam/rolePolicy:RolePolicy":
            size = len(re.sub(r"\s", "", str(r.inputs.get("policy", ""))))
            role = str(r.inputs.get("role"))
            per_role[role] = per_role.get(role, 0) + size
    for role, size in per_role.items():
        if size > 10_240:
            yield f"IAM role {role}: inline policies total {size} chars; IAM allows 10240"


def check(resources: Iterable[ResourceLike]) -> list[str]:
    """Every violation of a documented AWS rule in the recorded inputs, one line each."""
    resources = [r for r in resources if r.custom and r.type not in EXEMPT]
    problems: list[str] = []
    for r in resources:
        inputs = effective_inputs(r)
        for rule in RULES.get(r.type, []):
            for value in values_at(inputs, rule.field):
                problem = rule.check(value)
                if problem:
                    field = rule.field or "inputs"
                    problems.append(f"{r.type} {r.name}.{field}: {problem} [{rule.source}]")
        problems += [f"{r.type} {r.name}: {p}" for p in _tags(r, inputs)]
    problems += list(_stack_rules(resources))
    return problems


def _keys(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            child = f"{path}.{k}" if path else k
            yield child
            yield from _keys(v, child)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item, f"{path}[]")


def _covered(path: str, fields: set[str]) -> bool:
    return any(
        path == f or path == f"{f}[]" or (f and path.startswith((f"{f}.", f"{f}[]")))
        for f in fields
    )


def uncovered(resources: Iterable[ResourceLike]) -> list[str]:
    """Resource types with no rule set, and risky fields (names, descriptions, identifiers)
    that their type's rules do not judge."""
    missing: list[str] = []
    for r in resources:
        if not r.custom or r.type in EXEMPT:
            continue
        if r.type not in RULES:
            missing.append(f"{r.type}: no rules (resource {r.name})")
            continue
        covered = {rule.field for rule in RULES[r.type]}
        for path in _keys(effective_inputs(r)):
            leaf = path.rsplit(".", 1)[-1]
            if path.startswith("tags") or leaf in REFERENCES or not RISKY_KEY.search(leaf):
                continue
            if (r.type, path) in REFERENCE_PATHS:
                continue
            if not _covered(path, covered):
                missing.append(f"{r.type}.{path}: no rule (resource {r.name})")
    return sorted(set(missing))
