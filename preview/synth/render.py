"""Text and JSON views of a `SynthReport`; both pass every value through `mask` first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from preview.synth.graph import Graph, ResourceLike, short_type

if TYPE_CHECKING:
    from preview.synth import SynthReport

MASK = "[secret]"
# Input keys whose string values are secrets (ARNs of secrets are references, not secrets).
_SECRET_KEY = re.compile(r"(?i)(password|secret|token|private_?key|passphrase|credential)")


def mask(value: Any, secrets: Iterable[str] = (), key: str = "") -> Any:
    """`value` with secret-named fields and every known secret value replaced by `[secret]`."""
    known = sorted((s for s in secrets if s), key=len, reverse=True)
    return _mask(value, known, key)


def _mask(value: Any, known: list[str], key: str) -> Any:
    if isinstance(value, dict):
        return {k: _mask(v, known, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, known, key) for v in value]
    if isinstance(value, str):
        if value and _SECRET_KEY.search(key) and not value.startswith("arn:"):
            return MASK
        for s in known:
            value = value.replace(s, MASK)
    return value


def _resource_json(r: ResourceLike, g: Graph) -> dict[str, Any]:
    to_json = getattr(r, "to_json", None)
    if callable(to_json):
        data: dict[str, Any] = to_json()
        return data
    parent = g.by_urn.get(r.parent) if r.parent else None
    return {
        "type": r.type,
        "name": r.name,
        "parent": parent.name if parent else None,
        "dependencies": [g.by_urn[d].name if d in g.by_urn else d for d in r.dependencies],
        "inputs": dict(r.inputs),
    }


def _policy_json(p: Any) -> dict[str, Any]:
    resource = getattr(p, "resource", None)
    return {
        "policy": str(getattr(p, "policy", "")),
        "resource": getattr(resource, "name", resource),
        "passed": bool(getattr(p, "passed", False)),
        "message": str(getattr(p, "message", "") or ""),
    }


def _pool_json(report: SynthReport) -> dict[str, Any] | None:
    pool = report.pool
    if pool is None:
        return None
    return {
        "slots": pool.slots,
        "idle_usd_per_slot_per_day": pool.usd_per_slot_per_day,
        "idle_usd_per_day": pool.usd_per_day,
        "lines": [
            {"resource": c.resource, "type": c.type, "usd_per_day": c.usd_per_day, "basis": c.basis}
            for c in pool.lines
        ],
    }


def report_json(report: SynthReport) -> dict[str, Any]:
    g = Graph(report.resources)
    data = {
        "stack": report.stack,
        "region": report.region,
        "resources": [_resource_json(r, g) for r in report.resources],
        "policies": [_policy_json(p) for p in report.policies],
        "cost_per_day_usd": report.cost_per_day_usd,
        "cost_lines": [
            {"resource": c.resource, "type": c.type, "usd_per_day": c.usd_per_day, "basis": c.basis}
            for c in report.cost.lines
        ],
        "unpriced_types": report.cost.unpriced,
        "time_to_url_s": report.time_to_url_s,
        "critical_path": [
            {"resource": s.resource, "type": s.type, "seconds": s.seconds}
            for s in report.path.steps
        ],
        "naive": (
            None
            if report.naive is None
            else {
                "cost_per_day_usd": report.naive.cost_per_day_usd,
                "time_to_url_s": round(report.naive.time_to_url_s, 1),
            }
        ),
        "time_to_ready_s": {k: v.seconds for k, v in report.ready.items()} or None,
        "time_to_ready_steps": {
            k: [{"step": s.step, "seconds": s.seconds, "source": s.source} for s in v.steps]
            for k, v in report.ready.items()
        },
        "pool": _pool_json(report),
        "mermaid": report.mermaid,
        "notes": report.notes,
    }
    masked: dict[str, Any] = mask(data, report.secrets)
    return masked


def _duration(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}m {s:02d}s" if m else f"{s}s"


def _tree(g: Graph) -> list[str]:
    lines: list[str] = []

    def walk(r: ResourceLike, depth: int) -> None:
        lines.append(f"{'  ' * depth}{r.name}  [{short_type(r.type)}]")
        for child in g.children.get(r.urn, []):
            walk(child, depth + 1)

    for root in g.roots():
        walk(root, 1)
    return lines


def report_text(report: SynthReport) -> str:
    g = Graph(report.resources)
    custom = sum(1 for r in report.resources if r.custom)
    out = [f"Stack {report.stack} (region {report.region}): {custom} AWS resources", ""]
    out += ["Resources", *_tree(g), ""]

    failed = [p for p in report.policies if not getattr(p, "passed", False)]
    passed = len(report.policies) - len(failed)
    out.append(f"Safety policies: {passed} passed, {len(failed)} failed")
    for p in failed:
        pj = _policy_json(p)
        out.append(f"  FAIL {pj['policy']} on {pj['resource']}: {pj['message']}")
    out += [f"  note: {n}" for n in report.notes]
    out.append("")

    out.append(f"Estimated cost: ${report.cost_per_day_usd:.2f}/day ({report.region})")
    for c in sorted(report.cost.lines, key=lambda c: -c.usd_per_day):
        if c.usd_per_day >= 0.005:
            out.append(f"  ${c.usd_per_day:7.2f}  {c.resource} [{short_type(c.type)}]: {c.basis}")
    if any(r.type == "pulumi:pulumi:StackReference" for r in report.resources):
        out.append("  (resources shared from staging are billed to staging, not counted here)")
    if report.cost.unpriced:
        out.append(f"  not priced (add to preview/synth/cost.py): {report.cost.unpriced}")
    out.append("")

    out.append(
        f"Modelled time to URL: {_duration(report.time_to_url_s)} "
        "(critical path of `up`, before the smoke run)"
    )
    for s in report.path.steps:
        out.append(f"  {_duration(s.seconds):>7}  {s.resource} [{short_type(s.type)}]")
    out.append("")

    if report.ready:
        out.append("Modelled time to ready (URL + seed + health + smoke), new preview:")
        for name, ready in report.ready.items():
            label = "warm (pool slot)" if name == "warm" else "cold (own clone)"
            out.append(f"  {label}: {_duration(ready.seconds)}")
            for rs in ready.steps:
                out.append(f"    {_duration(rs.seconds):>7}  {rs.step}: {rs.source}")
        out.append("")
    if report.pool is not None:
        pool = report.pool
        out.append(
            f"Warm pool idle cost: ${pool.usd_per_slot_per_day:.4f}/slot/day, "
            f"${pool.usd_per_day:.2f}/day for {pool.slots} slots (Pulumi.pool.yaml)"
        )
        for c in pool.lines:
            out.append(f"  ${c.usd_per_day:.4f}  {c.resource}: {c.basis}")
        out.append("")

    if report.naive is not None:
        n = report.naive
        saving = n.cost_per_day_usd - report.cost_per_day_usd
        out.append("Naive design (dedicated ALB + dedicated OpenSearch domain per PR):")
        out.append(
            f"  ${n.cost_per_day_usd:.2f}/day, {_duration(n.time_to_url_s)} to URL"
            f"  -> this design saves ${saving:.2f}/day"
            f" and {_duration(n.time_to_url_s - report.time_to_url_s)} per preview"
        )
        out.append("")

    out += ["Topology (Mermaid)", "```mermaid", report.mermaid.rstrip("\n"), "```"]
    text: str = mask("\n".join(out) + "\n", report.secrets)
    return text
