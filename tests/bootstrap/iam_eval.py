"""A small IAM policy evaluator for tests: explicit deny > allow > implicit deny.

It covers the operators our policies use (StringEquals, StringLike, ArnNotEquals, Null,
ForAllValues:StringLike) with AWS's semantics for a missing key: plain operators fail, negated
ones and ForAllValues pass. Enough to ask "can this principal do X to Y with these tags?".
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(op: str, key: str, expected: Any, ctx: Mapping[str, Any]) -> bool:
    want = [str(v) for v in _list(expected)]
    if op == "Null":
        return (key not in ctx) == (want[0] == "true")
    if key not in ctx:
        return op.startswith("ForAllValues:") or "Not" in op
    got = [str(v) for v in _list(ctx[key])]
    if op == "StringEquals":
        return all(g in want for g in got)
    if op == "StringLike":
        return all(any(fnmatch.fnmatchcase(g, w) for w in want) for g in got)
    if op == "ArnNotEquals":
        return all(g not in want for g in got)
    if op == "ForAllValues:StringLike":
        return all(any(fnmatch.fnmatchcase(g, w) for w in want) for g in got)
    raise AssertionError(f"operator {op} is not modelled; extend iam_eval")


def _matches(stmt: Mapping[str, Any], action: str, resource: str, ctx: Mapping[str, Any]) -> bool:
    if not any(fnmatch.fnmatchcase(action, a) for a in _list(stmt["Action"])):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in _list(stmt["Resource"])):
        return False
    return all(
        _condition_holds(op, key, expected, ctx)
        for op, block in stmt.get("Condition", {}).items()
        for key, expected in block.items()
    )


def allowed(
    policy: Mapping[str, Any],
    action: str,
    resource: str,
    *,
    resource_tags: Mapping[str, str] | None = None,
    request_tags: Mapping[str, str] | None = None,
    **keys: Any,
) -> bool:
    """Would `policy` allow `action` on `resource`? `keys` are other condition keys, with `__`
    for `:` (iam__PermissionsBoundary=...)."""
    ctx: dict[str, Any] = {k.replace("__", ":"): v for k, v in keys.items()}
    ctx.update({f"aws:ResourceTag/{k}": v for k, v in (resource_tags or {}).items()})
    ctx.update({f"aws:RequestTag/{k}": v for k, v in (request_tags or {}).items()})
    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and _matches(s, action, resource, ctx) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, action, resource, ctx) for s in statements)
