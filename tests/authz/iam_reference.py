"""The Service Authorization Reference as tests/authz/iam_eval.py reads it: which actions exist,
which resource types an action is authorized on (by ARN pattern), and which condition keys AWS
sends for each. Read from the copy parliament ships (`parliament/iam_definition.json`, generated
from https://docs.aws.amazon.com/service-authorization/latest/reference/)."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

# (the keys available in every request, whatever the service).
GLOBAL_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:FederatedProvider",
        "aws:MultiFactorAuthPresent",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalOrgID",
        "aws:PrincipalServiceName",
        "aws:PrincipalType",
        "aws:RequestedRegion",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceIp",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:userid",
        "aws:username",
        "aws:ViaAWSService",
        "aws:VpcSourceIp",
    )
)
_GLOBAL_PREFIXES = ("aws:principaltag/",)


def is_global_key(key: str) -> bool:
    """A key AWS may send with any request, whatever the action."""
    k = key.lower()
    return k in GLOBAL_KEYS or k.startswith(_GLOBAL_PREFIXES)


class Unmodelled(AssertionError):
    """The policy or request uses something this evaluator does not model."""


class UnknownAction(AssertionError):
    """An action the Service Authorization Reference does not list."""


@functools.cache
def _definition() -> dict[str, dict[str, Any]]:
    text = resources.files("parliament").joinpath("iam_definition.json").read_text()
    return {s["prefix"].lower(): s for s in json.loads(text)}


@functools.cache
def _privileges(prefix: str) -> dict[str, dict[str, Any]]:
    service = _definition().get(prefix.lower())
    if service is None:
        return {}
    return {p["privilege"].lower(): p for p in service["privileges"]}


def wildcard(pattern: str, *, case: bool = True) -> re.Pattern[str]:
    """An IAM wildcard (`*` any run, `?` one character) as a regex."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case else re.IGNORECASE)


def expand_actions(pattern: str) -> list[str]:
    """The actions a policy's action pattern (`ec2:Describe*`) names; [] when none exist."""
    if pattern == "*":
        return ["*"]
    prefix, _, name = pattern.partition(":")
    rx = wildcard(name, case=False)
    return [
        f"{prefix}:{p['privilege']}"
        for p in _privileges(prefix).values()
        if rx.fullmatch(p["privilege"])
    ]


def privilege(action: str) -> dict[str, Any]:
    prefix, _, name = action.partition(":")
    found = _privileges(prefix).get(name.lower())
    if found is None:
        raise UnknownAction(f"{action} is not in the Service Authorization Reference")
    return found


def _resource_arn_pattern(prefix: str, resource_type: str) -> tuple[re.Pattern[str], list[str]]:
    service = _definition()[prefix.lower()]
    for r in service["resources"]:
        if r["resource"] == resource_type:
            body = re.escape(r["arn"])
            body = re.sub(r"\\\$\\\{[A-Za-z]+\\\}", "[^:]*", body)
            # The last variable (a name) may contain `/` and `:` (paths, revisions).
            body = body.replace("[^:]*", "PLACEHOLDER").rsplit("PLACEHOLDER", 1)
            body = ".*".join(body).replace("PLACEHOLDER", "[^:]*")
            return re.compile(body), list(r.get("condition_keys") or [])
    raise Unmodelled(f"{prefix} resource type {resource_type!r} is not in the reference")


def resource_type_of(action: str, resource: str) -> str:
    """Which of the action's resource types `resource` is ('' = the action has none, `*`)."""
    prefix = action.partition(":")[0]
    rows = privilege(action)["resource_types"]
    types = [r["resource_type"].rstrip("*") for r in rows if r["resource_type"]]
    if resource == "*" or not types:
        return ""
    for t in types:
        if _resource_arn_pattern(prefix, t)[0].fullmatch(resource):
            return t
    raise Unmodelled(f"{resource} is none of the resource types of {action}: {types}")


def key_matches(key: str, template: str) -> bool:
    t = template.lower()
    if "${" in t:
        return key.startswith(t.split("${", 1)[0])
    return key == t


def supported_keys(action: str, resource: str) -> list[str]:
    """The condition-key templates AWS sends for `action` on `resource` (besides global keys)."""
    prefix = action.partition(":")[0]
    rtype = resource_type_of(action, resource)
    keys: list[str] = []
    for row in privilege(action)["resource_types"]:
        if row["resource_type"].rstrip("*") in ("", rtype):
            keys += row["condition_keys"]
    if rtype:
        keys += _resource_arn_pattern(prefix, rtype)[1]
    return keys


def key_supported(action: str, resource: str, key: str) -> bool:
    if is_global_key(key):
        return True
    return any(key_matches(key.lower(), t) for t in supported_keys(action, resource))


def key_templates(action: str) -> list[str]:
    """Every condition-key template of `action`, on any of its resource types."""
    prefix = action.partition(":")[0]
    rows = privilege(action)["resource_types"]
    out = [t for row in rows for t in row["condition_keys"]]
    for row in rows:
        if row["resource_type"]:
            out += _resource_arn_pattern(prefix, row["resource_type"].rstrip("*"))[1]
    return out
