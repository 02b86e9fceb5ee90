"""What AWS accepts, per resource type and input field: the rules Pulumi's mocks do not apply.

The rules live by family (`aws_network`, `aws_compute`, `aws_data`, `aws_security`,
`aws_monitoring`, built from the value checks in `checks`); this module merges them into `RULES`
and judges with them. Each rule cites the API reference it comes from. The rules are written
from the documentation, independently of components/config/ and components/naming.py, so a
mistake there is caught here rather than copied. `check(resources)` judges every recorded input
of a synthesized stack and returns one line per violation; `uncovered(resources)` names the
resource types and the risky fields (names, descriptions, identifiers) that have no rule yet, so
a new resource type is never silently fine.

Inputs arrive as the mocks record them: camelCase keys, nested objects as dicts, JSON documents
(policies, container definitions, state machines) as strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from tests.constraints import aws_compute, aws_data, aws_monitoring, aws_network, aws_security
from tests.constraints.checks import ResourceLike, Rule

# One catalog over the families; a type belongs to one family only.
RULES: dict[str, list[Rule]] = {}
for _family in (aws_network, aws_monitoring, aws_compute, aws_security, aws_data):
    assert not set(_family.RULES) & set(RULES), set(_family.RULES) & set(RULES)
    RULES.update(_family.RULES)

# Resource tags (Resource Groups Tagging / most services, IAM strictly): key 1-128, value 0-256,
# "letters, numbers, spaces representable in UTF-8, and _ . : / = + - @"; at most 50 tags;
# the prefix "aws:" is reserved.
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
TAG_CHARS = re.compile(r"[\w\s.:/=+\-@]*", re.UNICODE)

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
