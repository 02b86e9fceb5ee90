"""What every row of tests/authz/provider_calls.py is made of: one `ProviderCall` per
authorization, the `Graph` a row looks into, and the shapes rows share (request and resource tag
context, the create/tag/update/delete pattern, iam:PassRole)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from preview.synth.harness import ACCOUNT, REGION, Resource

R = f"{REGION}:{ACCOUNT}"
# The default groups an Aurora MySQL 8.0 cluster/instance gets when none is named.
DEFAULT_OG = f"arn:aws:rds:{R}:og:default:aurora-mysql-8-0"
DEFAULT_PG = f"arn:aws:rds:{R}:pg:default.aurora-mysql8.0"
DEFAULT_CLUSTER_PG = f"arn:aws:rds:{R}:cluster-pg:default.aurora-mysql8.0"


@dataclass(frozen=True)
class ProviderCall:
    """One authorization: action on resource with context; `phase` create/update/delete."""

    phase: str
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)
    # A principal other than the deployer makes it: `role:<logical name>` is a role of the same
    # graph (Lambda and ECS act with the function's / task's role), else a principals() name.
    principal: str | None = None


@dataclass
class Graph:
    """Lookups a row needs into the rest of the synthesized graph."""

    resources: list[Resource]
    staging_groups: frozenset[str] = frozenset()
    staging_tags: Mapping[str, str] = field(default_factory=dict)

    def by_ref(self, type_: str, ref: Any) -> Resource:
        """The resource an input refers to (mocked id `<name>-id`, ARN or physical name)."""
        key = str(ref).rsplit(":", 1)[-1].rsplit("/", 1)[-1].removesuffix("-id")
        for r in self.resources:
            if r.type == type_ and key in (r.name, physical(r)):
                return r
        raise KeyError(f"no {type_} for {ref!r}")


def tags(r: Resource) -> dict[str, str]:
    return {k: str(v) for k, v in (r.inputs.get("tags") or {}).items()}


def physical(r: Resource, key: str = "name") -> str:
    return str(r.inputs.get(key) or f"{r.name}-1a2b3c")


def req(r: Resource, **extra: Any) -> dict[str, Any]:
    t = tags(r)
    ctx: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in t.items()}
    if t:
        ctx["aws:TagKeys"] = list(t)
    return {**ctx, **extra}


def res(t: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {**{f"aws:ResourceTag/{k}": v for k, v in t.items()}, **extra}


def crud(
    r: Resource,
    arn: str,
    create: list[str],
    tag: str | None,
    update: list[str],
    delete: list[str],
    **create_ctx: Any,
) -> list[ProviderCall]:
    """The common shape: create with request tags, tag-on-create, changes and delete on the
    tagged resource."""
    out = [ProviderCall("create", a, arn, req(r, **create_ctx)) for a in create]
    if tag and tags(r):
        out.append(ProviderCall("create", tag[0] if isinstance(tag, tuple) else tag, arn, req(r)))
    out += [ProviderCall("update", a, arn, res(tags(r))) for a in update]
    out += [ProviderCall("delete", a, arn, res(tags(r))) for a in delete]
    return out


def role_arn(r: Resource) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{physical(r)}"


def role_of(g: Graph, ref: Any) -> Resource:
    return g.by_ref("aws:iam/role:Role", ref)


def boundary(role: Resource) -> dict[str, Any]:
    b = role.inputs.get("permissionsBoundary")
    return {"iam:PermissionsBoundary": str(b)} if b else {}


def pass_role(g: Graph, ref: Any, service: str) -> ProviderCall:
    role = role_of(g, ref)
    return ProviderCall(
        "create",
        "iam:PassRole",
        role_arn(role),
        res(tags(role), **{"iam:PassedToService": service}),
    )
