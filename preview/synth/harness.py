"""Run the real Pulumi program offline under recording mocks and return its resource graph.

`synthesize(stack, config)` executes `__main__.py` with `pulumi.runtime.Mocks`, so nothing
talks to AWS or a Pulumi backend. Every registered resource is recorded with its type, name,
parent, dependencies and inputs; the stack's outputs are returned resolved. Tests and
`preview synth` build on it. Safe to call repeatedly in one process, also after a run that
failed: each call installs fresh runtime settings, config and root stack, and cancels the tasks
it leaves on the event loop. Not for use from inside a running event loop.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.constants import PROJECT
from contracts.outputs import StagingOut as S

PROGRAM = Path(__file__).resolve().parents[2] / "__main__.py"
ACCOUNT = "123456789012"
REGION = "us-east-1"
_STAGING = f"arn:aws:{{svc}}:{REGION}:{ACCOUNT}:{{res}}"

# What the staging stack exports for previews (stacks/long_lived.py); a plausible stand-in.
DEFAULT_STAGING_OUTPUTS: dict[str, Any] = {
    S.ENVIRONMENT: "staging",
    S.VPC_ID: "vpc-0staging",
    S.VPC_CIDR: "10.0.0.0/16",
    S.PUBLIC_SUBNET_IDS: ["subnet-0pub-a", "subnet-0pub-b"],
    S.PRIVATE_SUBNET_IDS: ["subnet-0priv-a", "subnet-0priv-b"],
    S.NAT_PUBLIC_IPS: ["203.0.113.10"],
    S.CLUSTER_ARN: _STAGING.format(svc="ecs", res="cluster/pp-staging"),
    S.CLUSTER_NAME: "pp-staging",
    S.PREVIEW_ZONE_ID: "Z0PREVIEWZONE",
    S.PREVIEW_ZONE_NAME: "preview.example.com",
    S.PREVIEW_ALB_ARN: _STAGING.format(
        svc="elasticloadbalancing", res="loadbalancer/app/pp-staging-preview/0123456789abcdef"
    ),
    S.PREVIEW_ALB_DNS_NAME: "pp-staging-preview-123.us-east-1.elb.amazonaws.com",
    S.PREVIEW_ALB_ZONE_ID: "Z35SXDOTRQ7X7K",
    S.PREVIEW_ALB_SECURITY_GROUP_ID: "sg-0previewalb",
    S.PREVIEW_LISTENER_ARN: _STAGING.format(
        svc="elasticloadbalancing",
        res="listener/app/pp-staging-preview/0123456789abcdef/fedcba9876543210",
    ),
    S.DB_CLUSTER_IDENTIFIER: "pp-staging-db",
    S.DB_CLUSTER_ARN: _STAGING.format(svc="rds", res="cluster:pp-staging-db"),
    S.DB_ENGINE_VERSION: "8.0.mysql_aurora.3.08.0",
    S.DB_SUBNET_GROUP_NAME: "pp-staging-db",
    S.DB_MASTER_SECRET_ARN: _STAGING.format(
        svc="secretsmanager", res="secret:pp-staging-db-AbCdEf"
    ),
    S.DB_NAME: "app",
    S.SEARCH_DOMAIN_ARN: _STAGING.format(svc="es", res="domain/pp-staging-search"),
    S.SEARCH_DOMAIN_ENDPOINT: "vpc-pp-staging-search-abc.us-east-1.es.amazonaws.com",
    S.SEARCH_SECURITY_GROUP_ID: "sg-0search",
    S.APP_REPOSITORY_URL: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/pp-staging-app",
    S.TOOLS_REPOSITORY_URL: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/pp-staging-tools",
    S.TOOLS_IMAGE: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/pp-staging-tools:v1",
}


@dataclass(frozen=True)
class Resource:
    """One registered resource: custom resources are AWS objects, the rest components/stack."""

    urn: str
    type: str
    name: str
    parent: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    custom: bool

    def to_json(self) -> dict[str, Any]:
        """`{type, name, parent, dependencies, inputs}` with parent/dependencies as names."""
        return {
            "type": self.type,
            "name": self.name,
            "parent": _urn_name(self.parent) if self.parent else None,
            "dependencies": [_urn_name(d) for d in self.dependencies],
            "inputs": self.inputs,
        }


@dataclass
class Synth:
    resources: list[Resource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def get(self, type_: str, name: str) -> Resource:
        for r in self.resources:
            if r.type == type_ and r.name == name:
                return r
        known = sorted(r.name for r in self.of_type(type_))
        raise KeyError(f"no {type_} named {name!r}; have {known}")


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


_SECRET_PREFIX = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"


def _plausible_state(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs echoed back plus the computed attributes the program reads from each type."""
    service = type_.split(":")[1].split("/")[0]
    arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{name}"
    # Autonamed resources get Pulumi's random suffix; ARNs have AWS's shape for the types
    # whose ARNs end up in policies (tests/authz judges them against real ARNs).
    physical = str(inputs.get("name") or f"{name}-1a2b3c")
    regional = f"{REGION}:{ACCOUNT}"
    shaped = {
        "aws:iam/role:Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
        "aws:iam/policy:Policy": f"arn:aws:iam::{ACCOUNT}:policy/{physical}",
        "aws:lambda/function:Function": f"arn:aws:lambda:{regional}:function:{physical}",
        "aws:ecs/cluster:Cluster": f"arn:aws:ecs:{regional}:cluster/{physical}",
        "aws:ecs/taskDefinition:TaskDefinition": (
            f"arn:aws:ecs:{regional}:task-definition/{inputs.get('family', name)}:1"
        ),
        "aws:sfn/stateMachine:StateMachine": f"arn:aws:states:{regional}:stateMachine:{physical}",
        "aws:cloudwatch/logGroup:LogGroup": f"arn:aws:logs:{regional}:log-group:{physical}",
    }
    if type_ in shaped:
        arn = shaped[type_]
        if type_ in ("aws:iam/role:Role", "aws:ecs/cluster:Cluster"):
            inputs = {**inputs, "name": physical}
    state: dict[str, Any] = {"arn": arn, **inputs}
    state.setdefault("name", name)
    extra: dict[str, dict[str, Any]] = {
        "aws:rds/cluster:Cluster": {
            "endpoint": f"{name}.cluster-abc.{REGION}.rds.amazonaws.com",
            "readerEndpoint": f"{name}.cluster-ro-abc.{REGION}.rds.amazonaws.com",
            "clusterIdentifier": inputs.get("clusterIdentifier", name),
            "port": 3306,
            # RDS creates a managed master secret (named `rds!cluster-<uuid>`) only when asked
            # to (manageMasterUserPassword); a clone without it keeps its source's password.
            "masterUserSecrets": (
                [{"secretArn": f"{_SECRET_PREFIX}rds!cluster-{name}-AbCdEf"}]
                if inputs.get("manageMasterUserPassword")
                else []
            ),
        },
        "aws:rds/clusterInstance:ClusterInstance": {
            "endpoint": f"{name}.abc.{REGION}.rds.amazonaws.com"
        },
        "aws:lb/loadBalancer:LoadBalancer": {
            "dnsName": f"{name}-123.{REGION}.elb.amazonaws.com",
            "zoneId": "Z35SXDOTRQ7X7K",
            "arnSuffix": f"app/{name}/0123456789abcdef",
        },
        "aws:lb/targetGroup:TargetGroup": {"arnSuffix": f"targetgroup/{name}/0123456789abcdef"},
        # The ARN and endpoint AWS gives a domain (es:, `domain/<name>`): IAM policies and
        # the callers' URLs of one stack must meet the domain of another (staging's).
        "aws:opensearch/domain:Domain": {
            "arn": f"arn:aws:es:{REGION}:{ACCOUNT}:domain/{inputs.get('domainName', name)}",
            "endpoint": f"vpc-{inputs.get('domainName', name)}-abc.{REGION}.es.amazonaws.com",
            "domainName": inputs.get("domainName", name),
        },
        "aws:ecr/repository:Repository": {
            "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{inputs.get('name', name)}"
        },
        "aws:route53/zone:Zone": {
            "zoneId": f"Z{abs(hash(name)) % 10**8:08d}",
            "nameServers": ["ns-1.awsdns-00.com", "ns-2.awsdns-00.net"],
        },
        "aws:acm/certificate:Certificate": {
            "domainValidationOptions": [
                {
                    "domainName": inputs.get("domainName", name),
                    "resourceRecordName": f"_x.{inputs.get('domainName', name).lstrip('*.')}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_y.acm-validations.aws.",
                }
            ]
        },
        "aws:ec2/eip:Eip": {"publicIp": "203.0.113.10"},
        "aws:ec2/securityGroup:SecurityGroup": {},
        "aws:sns/topic:Topic": {},
        "aws:iam/role:Role": {},
        "aws:cloudwatch/logGroup:LogGroup": {},
    }
    state.update(extra.get(type_, {}))
    return state


def _mocks_module() -> Any:
    import pulumi

    class RecordingMocks(pulumi.runtime.Mocks):
        def __init__(self, staging_outputs: Mapping[str, Any]) -> None:
            self.staging_outputs = dict(staging_outputs)
            self.inputs: dict[tuple[str, str], tuple[dict[str, Any], bool]] = {}

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            # Reads (StackReference) arrive without `custom`; they are custom resources.
            custom = bool(args.custom) or args.typ == "pulumi:pulumi:StackReference"
            self.inputs[(args.typ, args.name)] = (dict(args.inputs), custom)
            if args.typ == "pulumi:pulumi:StackReference":
                ref = args.inputs.get("name", args.name)
                outputs = self.staging_outputs
                return ref, {"name": ref, "outputs": outputs, "secretOutputNames": []}
            return f"{args.name}-id", _plausible_state(args.typ, args.name, dict(args.inputs))

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
            token = args.token
            if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
                names = [f"{REGION}{z}" for z in "abc"]
                return {"names": names, "zoneIds": [f"use1-az{i}" for i in (1, 2, 3)]}, []
            if token == "aws:index/getCallerIdentity:getCallerIdentity":
                arn = f"arn:aws:iam::{ACCOUNT}:root"
                return {"accountId": ACCOUNT, "arn": arn, "userId": ACCOUNT}, []
            if token == "aws:index/getRegion:getRegion":
                return {"name": REGION, "region": REGION, "id": REGION}, []
            if token == "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
            return dict(args.args), []

    class RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
        """Mock monitor that also keeps what MockResourceArgs drops: parent and dependencies."""

        def __init__(self, mocks: RecordingMocks) -> None:
            super().__init__(mocks)
            self.order: list[tuple[str, str, str, str, list[str]]] = []

        def RegisterResource(self, request: Any) -> Any:
            deps = list(request.dependencies)
            for prop_deps in request.propertyDependencies.values():
                deps.extend(prop_deps.urns)
            unique = list(dict.fromkeys(d for d in deps if d))
            urn = self.make_urn(request.parent, request.type, request.name)
            self.order.append((urn, request.type, request.name, request.parent, unique))
            return super().RegisterResource(request)

        def ReadResource(self, request: Any) -> Any:
            urn = self.make_urn(request.parent, request.type, request.name)
            self.order.append((urn, request.type, request.name, request.parent, []))
            return super().ReadResource(request)

    return RecordingMocks, RecordingMonitor


def _flatten_config(config: Mapping[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {"aws:region": REGION}
    for key, value in config.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        flat[full] = value if isinstance(value, str) else json.dumps(value)
    return flat


def synthesize(
    stack: str,
    config: Mapping[str, Any],
    *,
    staging_outputs: Mapping[str, Any] | None = None,
) -> Synth:
    """Run `__main__.py` as stack `stack` with `config`; return the recorded graph and outputs.

    Exceptions raised by the program (e.g. `components.config.ConfigError`) propagate unchanged.
    """
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

    recording_mocks, recording_monitor = _mocks_module()
    mocks = recording_mocks(DEFAULT_STAGING_OUTPUTS if staging_outputs is None else staging_outputs)
    monitor = recording_monitor(mocks)

    # Fresh runtime state per run: root stack, config, secrets, settings. A run that fails leaves
    # registrations pending on the event loop; they would resume during the next run and fail
    # it, so the tasks this run creates are cancelled at the end.
    loop = _ensure_event_loop()
    before = set(asyncio.all_tasks(loop))
    settings.ROOT.set(None)
    flat = _flatten_config(config)
    # Keys named like secrets are Pulumi secrets, as `pulumi config set --secret` would make them.
    secret_keys = [k for k in flat if any(w in k.lower() for w in ("secret", "password"))]
    pulumi.runtime.set_all_config(flat, secret_keys)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    # MockSettings does not replace the set of outstanding output tasks: clear it as
    # pulumi.runtime.test does, or tasks of a failed earlier run would be awaited by this one.
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()

    resolved: dict[str, Any] = {}

    def program() -> Any:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        root = settings.get_root_resource()
        outputs = dict(getattr(root, "outputs", {}) or {})

        async def collect() -> None:
            for key, value in outputs.items():
                resolved[key] = await pulumi.Output.from_input(value).future()

        return collect()

    failed = True
    try:
        _sync_await(run_pulumi_func(program))
        failed = False
    finally:
        settings.SETTINGS.outputs.clear()
        _cancel_new_tasks(loop, before, quiet=failed)
        settings.ROOT.set(None)
        pulumi.runtime.set_all_config({}, [])

    resources: list[Resource] = []
    for urn, type_, name, parent, deps in monitor.order:
        if type_ == "pulumi:pulumi:Stack":
            continue
        inputs, custom = mocks.inputs.get((type_, name), ({}, False))
        resources.append(Resource(urn, type_, name, parent or None, deps, _plain(inputs), custom))
    return Synth(resources, resolved)


_SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value
REDACTED = "[secret]"


def _redact(value: Any, key: str = "") -> Any:
    """Inside a secret input, hide leaves whose key names a secret or password."""
    if isinstance(value, dict):
        return {k: _redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    lowered = key.lower()
    return REDACTED if ("secret" in lowered or "password" in lowered) else value


def _cancel_new_tasks(
    loop: asyncio.AbstractEventLoop, before: set[asyncio.Task[Any]], *, quiet: bool
) -> None:
    pending = [t for t in asyncio.all_tasks(loop) if t not in before and not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    if quiet and loop.get_exception_handler() is None:

        def drop_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            # Futures of a failed run are collected later; their error was already raised once.
            if "never retrieved" not in str(context.get("message", "")):
                loop.default_exception_handler(context)

        loop.set_exception_handler(drop_unretrieved)


def _plain(value: Any) -> Any:
    """Inputs as plain JSON-able data: ints for integral floats, resources by URN, secrets
    unwrapped with their secret/password leaves redacted (a scalar secret becomes REDACTED)."""
    if isinstance(value, dict) and _SECRET_SIG in value:
        inner = _plain(value.get("value"))
        return _redact(inner) if isinstance(inner, dict | list) else REDACTED
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    urn = getattr(value, "urn", None)
    return str(urn) if urn is not None else str(value)
