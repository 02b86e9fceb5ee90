"""An IAM policy evaluator for tests that refuses to guess.

Semantics follow AWS's policy evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
explicit deny in any policy > an allow in the identity policies (and, when the principal has a
permissions boundary, also in the boundary) or in the resource policy > implicit deny.

What a request may carry comes from the Service Authorization Reference, read from the copy
parliament ships (`parliament/iam_definition.json`, generated from
https://docs.aws.amazon.com/service-authorization/latest/reference/):
* an unknown action fails (`UnknownAction`), in a request and in a policy;
* a request's context keeps only the condition keys its action supports for the resource
  type the ARN is (plus AWS's global keys): AWS never sends the others, so a policy condition
  on such a key sees it missing. `lint()` reports those conditions (e.g. `iam:TagRole`
  conditioned on `iam:PermissionsBoundary`, which TagRole does not have);
* an operator, a policy variable or a policy element it does not model raises `Unmodelled`:
  a test can then fail, never pass by accident.

The reference lookups are tests/authz/iam_reference.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.authz.iam_reference import (
    UnknownAction,
    Unmodelled,
    expand_actions,
    is_global_key,
    key_matches,
    key_supported,
    key_templates,
    privilege,
    wildcard,
)

__all__ = [
    "Decision",
    "Finding",
    "Principal",
    "Request",
    "UnknownAction",
    "Unmodelled",
    "allowed",
    "decide",
    "lint",
    "request",
]

NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike", "NotIpAddress")
OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Bool",
        "Null",
        "NumericEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    }
)
_POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal"}
)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(value: str, pattern: str, *, case: bool = True) -> bool:
    if "${" in pattern:
        raise Unmodelled(f"policy variable in {pattern!r} is not modelled")
    return wildcard(pattern, case=case).fullmatch(value) is not None


@dataclass(frozen=True)
class Request:
    """One authorization AWS makes: an action on one resource, with the request's context."""

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)

    def effective_context(self) -> dict[str, Any]:
        """The context AWS would evaluate: keys the action does not support are absent."""
        return {
            k.lower(): v
            for k, v in self.context.items()
            if key_supported(self.action, self.resource, k)
        }


def _condition_holds(op: str, key: str, expected: Any, ctx: Mapping[str, Any]) -> bool:
    set_op, _, base = op.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base not in OPERATORS or set_op not in ("", "ForAllValues", "ForAnyValue"):
        raise Unmodelled(f"condition operator {op} is not modelled")
    want = [str(v) for v in _list(expected)]
    present = key.lower() in ctx
    if base == "Null":
        return (not present) == (want[0].lower() == "true")
    if not present:
        if set_op == "ForAllValues" or if_exists:
            return True
        if set_op == "ForAnyValue":
            return False
        return base in NEGATED
    raw = ctx[key.lower()]
    got = [str(v) for v in _list(raw)]
    if not set_op and isinstance(raw, list) and len(raw) != 1:
        raise Unmodelled(f"{op} on multivalued key {key}: use ForAllValues/ForAnyValue")

    def one(value: str) -> bool:
        if base in ("StringEquals", "ArnEquals"):
            return value in want
        if base == "StringEqualsIgnoreCase":
            return value.lower() in (w.lower() for w in want)
        if base in ("StringLike", "ArnLike"):
            return any(_like(value, w) for w in want)
        if base == "StringNotEquals" or base == "ArnNotEquals":
            return value not in want
        if base in ("StringNotLike", "ArnNotLike"):
            return not any(_like(value, w) for w in want)
        if base == "Bool":
            return value.lower() in (w.lower() for w in want)
        number = float(value)
        cmp = {
            "NumericEquals": lambda w: number == w,
            "NumericLessThan": lambda w: number < w,
            "NumericLessThanEquals": lambda w: number <= w,
            "NumericGreaterThan": lambda w: number > w,
            "NumericGreaterThanEquals": lambda w: number >= w,
        }[base]
        return any(cmp(float(w)) for w in want)

    if set_op == "ForAnyValue":
        return any(one(g) for g in got)
    return all(one(g) for g in got)


def _validate_statement(stmt: Mapping[str, Any]) -> None:
    unknown = set(stmt) - _STATEMENT_KEYS
    if unknown:
        raise Unmodelled(f"statement elements {sorted(unknown)} are not modelled")
    if stmt.get("Effect") not in ("Allow", "Deny"):
        raise Unmodelled(f"Effect {stmt.get('Effect')!r}")


def _statement_matches(
    stmt: Mapping[str, Any], req: Request, ctx: Mapping[str, Any], principal: str | None
) -> bool:
    _validate_statement(stmt)
    if "Action" in stmt:
        if not any(_like(req.action, a, case=False) for a in _list(stmt["Action"])):
            return False
    elif "NotAction" in stmt:
        if any(_like(req.action, a, case=False) for a in _list(stmt["NotAction"])):
            return False
    else:
        raise Unmodelled("statement without Action or NotAction")
    if "Resource" in stmt:
        if not any(_like(req.resource, r) for r in _list(stmt["Resource"])):
            return False
    elif "NotResource" in stmt:
        if any(_like(req.resource, r) for r in _list(stmt["NotResource"])):
            return False
    else:
        raise Unmodelled("statement without Resource or NotResource")
    if "Principal" in stmt:
        if principal is None:
            raise Unmodelled("Principal in an identity policy")
        if not _principal_matches(stmt["Principal"], principal):
            return False
    return all(
        _condition_holds(op, key, expected, ctx)
        for op, block in stmt.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _principal_matches(spec: Any, principal: str) -> bool:
    if spec == "*":
        return True
    if not isinstance(spec, Mapping) or set(spec) - {"AWS", "Service"}:
        raise Unmodelled(f"Principal {spec!r} is not modelled")
    account = principal.split(":")[4] if principal.startswith("arn:") else ""
    for p in _list(spec.get("AWS", [])):
        if p in ("*", principal, account, f"arn:aws:iam::{account}:root"):
            return True
    return principal in _list(spec.get("Service", []))


def _check_policy(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    unknown = set(policy) - _POLICY_KEYS
    if unknown:
        raise Unmodelled(f"policy elements {sorted(unknown)} are not modelled")
    return [dict(s) for s in _list(policy["Statement"])]


@dataclass(frozen=True)
class Principal:
    """An IAM role as AWS sees it: its identity policies and optional permissions boundary."""

    name: str
    arn: str
    policies: Sequence[Mapping[str, Any]]
    boundary: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    grants: tuple[str, ...] = ()  # Sids of the allowing statements


def decide(
    principal: Principal, req: Request, resource_policy: Mapping[str, Any] | None = None
) -> Decision:
    """AWS's evaluation for a principal in the resource's own account."""
    privilege(req.action)  # unknown actions fail
    ctx = req.effective_context()
    ctx.setdefault("aws:principalarn", principal.arn)
    identity = [s for p in principal.policies for s in _check_policy(p)]
    boundary = _check_policy(principal.boundary) if principal.boundary is not None else None
    resource = _check_policy(resource_policy) if resource_policy is not None else []

    def hits(stmts: Iterable[Mapping[str, Any]], effect: str, who: str | None = None) -> list[str]:
        return [
            str(s.get("Sid", "?"))
            for s in stmts
            if s["Effect"] == effect and _statement_matches(s, req, ctx, who)
        ]

    denied = hits(identity, "Deny") + hits(boundary or [], "Deny")
    denied += hits(resource, "Deny", principal.arn)
    if denied:
        return Decision(False, f"explicit deny {denied}")
    # A resource policy naming the role itself (or anyone) allows within the account; one
    # naming the account root only delegates to the identity policies, evaluated below.
    named = [
        s
        for s in resource
        if s.get("Principal") == "*"
        or principal.arn in _list((s.get("Principal") or {}).get("AWS", []))
    ]
    by_resource = hits(named, "Allow", principal.arn)
    if by_resource:
        return Decision(True, f"resource policy {by_resource}", tuple(by_resource))
    by_identity = hits(identity, "Allow")
    if not by_identity:
        return Decision(False, "no identity-policy allow")
    if boundary is not None and not hits(boundary, "Allow"):
        return Decision(False, f"allowed by {by_identity} but not by the permissions boundary")
    return Decision(True, f"identity {by_identity}", tuple(by_identity))


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
    for `:` (iam__PermissionsBoundary=...). Keys `action` does not support are dropped, as AWS
    never sends them."""
    return decide(
        Principal("policy", "arn:aws:iam::123456789012:role/x", [policy]),
        request(action, resource, resource_tags=resource_tags, request_tags=request_tags, **keys),
    ).allowed


def request(
    action: str,
    resource: str,
    *,
    resource_tags: Mapping[str, str] | None = None,
    request_tags: Mapping[str, str] | None = None,
    **keys: Any,
) -> Request:
    ctx: dict[str, Any] = {k.replace("__", ":"): v for k, v in keys.items()}
    ctx.update({f"aws:ResourceTag/{k}": v for k, v in (resource_tags or {}).items()})
    if request_tags:
        ctx.update({f"aws:RequestTag/{k}": v for k, v in request_tags.items()})
        ctx["aws:TagKeys"] = list(request_tags)
    return Request(action, resource, ctx)


@dataclass(frozen=True)
class Finding:
    sid: str
    problem: str


def lint(policy: Mapping[str, Any]) -> list[Finding]:
    """Unknown actions, and condition keys an action of the statement does not have. A named
    action must have every key; a wildcard (`iam:*`) at least one of its actions must (AWS
    then grants just those, which is how tag conditions on wildcards are meant)."""
    out: list[Finding] = []
    for s in _check_policy(policy):
        _validate_statement(s)
        sid = str(s.get("Sid", "?"))
        keys = [k for block in (s.get("Condition") or {}).values() for k in block]
        for pattern in _list(s.get("Action", [])):
            found = [a for a in expand_actions(pattern) if a != "*"]
            if not found and pattern != "*":
                out.append(Finding(sid, f"{pattern} matches no action"))
                continue
            for key in keys:
                if is_global_key(key):
                    continue
                k = key.lower()
                have = [a for a in found if any(key_matches(k, t) for t in key_templates(a))]
                if found and not have:
                    out.append(Finding(sid, f"{key} is not a condition key of {pattern}"))
    return out
