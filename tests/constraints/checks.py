"""The building blocks of the AWS input rules (tests/constraints/rules.py): `Rule`, the shape
of a judged resource, and value checks that return a problem line or None."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
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


ARN = text(2048, r"arn:aws[a-z-]*:.+", what="an ARN")
PORT = int_range(0, 65535)
