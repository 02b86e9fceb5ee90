"""Safety policies as pulumi-policy ResourceValidationPolicy objects, plus an offline evaluator.

The stack a resource belongs to is read from its URN (`urn:pulumi:<stack>::...`), so the same
validate functions work inside `pulumi preview --policy-pack policy` and over the harness graph
(`evaluate`). Building the PolicyPack starts a gRPC server, so that happens only in
policy/__main__.py.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components import naming
from components.tags import MANAGED_BY, PREVIEW_KEYS, TAG_POOL_SLOT

Report = Callable[..., None]
MAX_PREVIEW_LOG_DAYS = 14
# Created by stack `bootstrap` (components/bootstrap.py BOUNDARY_NAME); the preview deploy role
# may create roles only under it.
PREVIEW_BOUNDARY = "pp-preview-boundary"
_PROD_REF = re.compile(r"(^|[-:/_])prod([-:/_]|$)")


def _stack_of(urn: str) -> str:
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def _kind(urn: str) -> str | None:
    try:
        return naming.parse_stack(_stack_of(urn)).kind
    except naming.NamingError:
        return None


def _prod_db_protection(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:rds/cluster:Cluster" or _kind(args.urn) != "prod":
        return
    p = args.props
    if not p.get("deletionProtection"):
        report("prod Aurora cluster must set deletionProtection=true")
    if p.get("skipFinalSnapshot") or not p.get("finalSnapshotIdentifier"):
        report("prod Aurora cluster must take a final snapshot (finalSnapshotIdentifier set)")


def _no_public_data(args: ResourceValidationArgs, report: Report) -> None:
    t, p = args.resource_type, args.props
    if t in ("aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance"):
        if p.get("publiclyAccessible"):
            report("database instances must not be publicly accessible")
    elif t == "aws:opensearch/domain:Domain":
        vpc = p.get("vpcOptions") or {}
        if not vpc.get("subnetIds"):
            report("OpenSearch domains must run inside a VPC (vpcOptions.subnetIds)")


def _clone_source_not_prod(args: ResourceValidationArgs, report: Report) -> None:
    # A pool slot is a preview's database made ahead of time: the same rule applies.
    kind = _kind(args.urn)
    if args.resource_type != "aws:rds/cluster:Cluster" or kind not in ("preview", "pool"):
        return
    restore = args.props.get("restoreToPointInTime") or {}
    source = str(restore.get("sourceClusterIdentifier", ""))
    if not source:
        report(f"a {kind} database must be a copy-on-write clone of staging")
    elif _PROD_REF.search(source):
        report(f"preview clones must never use prod as source (source is {source!r})")


def _preview_tags(args: ResourceValidationArgs, report: Report) -> None:
    if _kind(args.urn) != "preview" or not is_taggable(args.resource_type):
        return
    tags = args.props.get("tags") or {}
    missing = [k for k in PREVIEW_KEYS if not tags.get(k)]
    if missing:
        report(f"preview resource lacks required tags {missing}")


# Slot resources the reaper tells apart from previews' by their slot tag.
_POOL_SLOT_TYPES = (
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:ec2/securityGroup:SecurityGroup",
)


def _pool_tags(args: ResourceValidationArgs, report: Report) -> None:
    if _kind(args.urn) != "pool" or not is_taggable(args.resource_type):
        return
    tags = args.props.get("tags") or {}
    if tags.get("managed-by") != MANAGED_BY or tags.get("environment") != "pool":
        report("pool resources must carry managed-by=preview-platform and environment=pool")
    if args.resource_type in _POOL_SLOT_TYPES and not tags.get(TAG_POOL_SLOT):
        report(f"pool slot resources must carry {TAG_POOL_SLOT} (the reaper reads it)")
    if tags.get("preview:pr"):
        report("pool resources must not carry preview:pr (the reaper would delete them as strays)")


def _preview_log_retention(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:cloudwatch/logGroup:LogGroup" or _kind(args.urn) != "preview":
        return
    days = args.props.get("retentionInDays")
    if not days or days > MAX_PREVIEW_LOG_DAYS:
        report(f"preview log groups must retain logs <= {MAX_PREVIEW_LOG_DAYS} days (got {days})")


def _preview_role_boundary(args: ResourceValidationArgs, report: Report) -> None:
    if args.resource_type != "aws:iam/role:Role" or _kind(args.urn) != "preview":
        return
    boundary = str(args.props.get("permissionsBoundary") or "")
    if not boundary.endswith(f":policy/{PREVIEW_BOUNDARY}"):
        report(f"preview IAM roles must set permissionsBoundary to policy/{PREVIEW_BOUNDARY}")


@cache
def is_taggable(type_token: str) -> bool:
    """True when the pulumi-aws resource class of `type_token` accepts a `tags` argument."""
    parts = type_token.split(":")
    if len(parts) != 3 or parts[0] != "aws":
        return False
    module = parts[1].split("/")[0]
    try:
        mod = importlib.import_module(f"pulumi_aws.{module if module != 'lambda' else 'lambda_'}")
        cls = getattr(mod, parts[2])
    except (ImportError, AttributeError):
        return False
    init = getattr(cls, "_internal_init", cls.__init__)
    return "tags" in inspect.signature(init).parameters


def _mandatory(name: str, description: str, validate: Any) -> ResourceValidationPolicy:
    """Every rule of the pack blocks the deployment when it fails."""
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


POLICIES: list[ResourceValidationPolicy] = [
    _mandatory(
        "prod-db-deletion-protection",
        "Prod Aurora has deletion protection and takes a final snapshot.",
        _prod_db_protection,
    ),
    _mandatory(
        "no-public-data-stores",
        "No database instance or search domain is publicly reachable.",
        _no_public_data,
    ),
    _mandatory(
        "preview-clone-source-not-prod",
        "A preview's or pool slot's database is a clone whose source is never prod.",
        _clone_source_not_prod,
    ),
    _mandatory(
        "preview-required-tags",
        "Every taggable preview resource has preview:pr/sha/expires-at, managed-by.",
        _preview_tags,
    ),
    _mandatory(
        "pool-slot-tags",
        "Pool resources are tagged as the pool's, slots with their slot id.",
        _pool_tags,
    ),
    _mandatory(
        "preview-role-boundary",
        "Every IAM role of a preview has the preview permissions boundary.",
        _preview_role_boundary,
    ),
    _mandatory(
        "preview-log-retention",
        f"Preview log groups keep logs at most {MAX_PREVIEW_LOG_DAYS} days.",
        _preview_log_retention,
    ),
]


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    resource: str
    passed: bool
    message: str


def validation_args(type_: str, name: str, urn: str, props: Mapping[str, Any]) -> Any:
    """ResourceValidationArgs for a resource outside the policy engine (tests, harness)."""
    return ResourceValidationArgs(type_, dict(props), urn, name, None, None)  # type: ignore[arg-type]


def run(policy: ResourceValidationPolicy, args: Any) -> list[str]:
    """Messages `policy` reports for `args` (empty: passed)."""
    messages: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    validate = policy.validate
    for fn in validate if isinstance(validate, list) else [validate]:
        if fn is not None:
            fn(args, report)
    return messages


def evaluate(resources: list[Any], stack: str) -> list[PolicyResult]:
    """Every policy over every custom resource of a harness graph (`preview.synth.harness`)."""
    results: list[PolicyResult] = []
    stack = stack.rsplit("/", 1)[-1]  # "org/project/pr-12" names the same stack as "pr-12"
    for res in resources:
        if not res.custom or res.type.startswith("pulumi:"):
            continue
        # The harness builds URNs for `stack`; a mismatch means the graph is of another stack.
        if _stack_of(res.urn) != stack:
            raise ValueError(f"resource {res.urn} does not belong to stack {stack!r}")
        args = validation_args(res.type, res.name, res.urn, res.inputs)
        for policy in POLICIES:
            messages = run(policy, args)
            results.append(PolicyResult(policy.name, res.name, not messages, "; ".join(messages)))
    return results
