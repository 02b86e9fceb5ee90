"""Mermaid topology of a synthesized stack: one subgraph per component, the resources that
matter as nodes, and `A --> B` when A uses B.

IAM roles and policies, security groups and their rules, routes and task definitions are left
out (they would double the picture and say nothing about topology); an edge that runs through
one of them is drawn between the visible resources at its ends.
"""

from __future__ import annotations

from preview.synth.graph import Graph, ResourceLike, short_type

SHOWN_TYPES = frozenset(
    {
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroup:TargetGroup",
        "aws:acm/certificate:Certificate",
        "aws:route53/record:Record",
        "aws:route53/zone:Zone",
        "aws:ecs/cluster:Cluster",
        "aws:ecs/service:Service",
        "aws:rds/cluster:Cluster",
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:opensearch/domain:Domain",
        "aws:sfn/stateMachine:StateMachine",
        "aws:lambda/function:Function",
        "aws:ecr/repository:Repository",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/natGateway:NatGateway",
        "aws:sns/topic:Topic",
        "pulumi:pulumi:StackReference",
    }
)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(resources: list[ResourceLike]) -> str:
    g = Graph(resources)
    shown = [r for r in resources if r.custom and r.type in SHOWN_TYPES]
    ids = {r.urn: f"n{i}" for i, r in enumerate(shown)}

    def uses(r: ResourceLike) -> list[str]:
        """Visible resources `r` uses, looking through hidden ones."""
        found: list[str] = []
        seen: set[str] = {r.urn}
        todo = g.custom_deps(r)
        while todo:
            d = todo.pop(0)
            if d.urn in seen:
                continue
            seen.add(d.urn)
            if d.urn in ids:
                found.append(d.urn)
            else:
                todo.extend(g.custom_deps(d))
        return found

    # Components (and only those holding a visible resource) become nested subgraphs.
    members: dict[str | None, list[ResourceLike]] = {}
    for r in shown:
        comp = g.component_of(r)
        members.setdefault(comp.urn if comp else None, []).append(r)
    needed: set[str] = set()
    for urn in list(members):
        while urn is not None and urn not in needed:
            needed.add(urn)
            comp = g.by_urn[urn]
            parent = g.component_of(comp)
            urn = parent.urn if parent else None

    lines = ["flowchart LR", "  %% A --> B: A uses B"]
    groups: list[str] = []

    def node(r: ResourceLike, indent: str) -> str:
        label = f"{short_type(r.type)}<br/>{r.name}"
        if r.type == "pulumi:pulumi:StackReference":
            return f'{indent}{ids[r.urn]}[("{_label("shared: " + r.name)}")]'
        return f'{indent}{ids[r.urn]}["{_label(label)}"]'

    def emit(parent: str | None, depth: int) -> None:
        indent = "  " * (depth + 1)
        for r in members.get(parent, []):
            lines.append(node(r, indent))
        comps = [
            c
            for c in resources
            if not c.custom and c.urn in needed and _parent_comp(g, c) == parent
        ]
        for c in comps:
            groups.append(c.urn)
            title = _label(f"{c.name} ({short_type(c.type)})")
            lines.append(f'{indent}subgraph g{len(groups)}["{title}"]')
            emit(c.urn, depth + 1)
            lines.append(f"{indent}end")

    emit(None, 0)
    edges = {r.urn: uses(r) for r in shown}
    for r in shown:
        for dep in _reduce(r.urn, edges):
            lines.append(f"  {ids[r.urn]} --> {ids[dep]}")
    return "\n".join(lines) + "\n"


def _reduce(src: str, edges: dict[str, list[str]]) -> list[str]:
    """Direct uses of `src` not already implied through another of its uses (fewer arrows)."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges.get(todo.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    direct = edges.get(src, [])
    implied: set[str] = set()
    for d in direct:
        implied |= reachable(d)
    return [d for d in direct if d not in implied]


def _parent_comp(g: Graph, c: ResourceLike) -> str | None:
    parent = g.component_of(c)
    return parent.urn if parent else None
