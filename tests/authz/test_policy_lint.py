"""Every IAM policy document of every stack type passes parliament and our SAR lint.

The documents are read from `preview synth --format json` (bootstrap included), so what is
linted is what `pulumi up` would send: no unknown action, no condition key its action does not
have (AWS never sends such a key, so the condition silently never matches).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from click.testing import CliRunner

from preview.synth.command import synth
from tests.authz.iam_eval import lint

# (type, input) of every policy document the program sets.
DOCUMENTS = {
    ("aws:iam/role:Role", "assumeRolePolicy"),
    ("aws:iam/rolePolicy:RolePolicy", "policy"),
    ("aws:iam/policy:Policy", "policy"),
    ("aws:opensearch/domain:Domain", "accessPolicies"),
}
# parliament issues that mean AWS would not do what the policy says. (RESOURCE_MISMATCH is
# left out: parliament wants each statement to name every resource type of its actions, while
# AWS authorizes each resource of a call on its own, e.g. the security-group-rule of
# AuthorizeSecurityGroupIngress in one statement, its group in another.)
FATAL = {
    "UNKNOWN_ACTION",
    "UNKNOWN_PREFIX",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "UNKNOWN_OPERATOR",
    "MISMATCHED_TYPE",
    "MALFORMED",
    "INVALID_ARN",
    "MISMATCHED_TYPE_OPERATION_TO_NULL",
    "BAD_PATTERN_FOR_MFA",
}
STACKS = {
    "pr-12": ["--pr", "12", "--no-naive"],
    "staging": ["--stack", "staging"],
    "prod": ["--stack", "prod"],
    "bootstrap": ["--stack", "bootstrap"],
}


@functools.cache
def documents(stack: str) -> list[tuple[str, dict[str, Any]]]:
    result = CliRunner().invoke(synth, [*STACKS[stack], "--format", "json"])
    assert result.exit_code == 0, result.output
    out = []
    for r in json.loads(result.stdout)["resources"]:
        for t, key in DOCUMENTS:
            if r["type"] == t and r["inputs"].get(key):
                doc = r["inputs"][key]
                out.append((f"{r['name']}.{key}", json.loads(doc) if isinstance(doc, str) else doc))
    return out


@pytest.mark.parametrize("stack", list(STACKS))
def test_synth_has_policy_documents(stack: str) -> None:
    """Each stack type's synth carries its IAM documents (bootstrap: the GitHub roles)."""
    names = [n for n, _ in documents(stack)]
    assert any(n.endswith(".policy") for n in names), names


@pytest.mark.parametrize("stack", list(STACKS))
def test_parliament_finds_nothing_fatal(stack: str) -> None:
    from parliament import analyze_policy_string

    found = []
    for name, doc in documents(stack):
        if name.endswith(".assumeRolePolicy"):
            continue  # trust policies are resource policies (no Resource element)
        policy = analyze_policy_string(json.dumps(doc))
        found += [f"{name}: {f.issue} {f.detail}" for f in policy.findings if f.issue in FATAL]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("stack", list(STACKS))
def test_condition_keys_apply_to_their_actions(stack: str) -> None:
    """Each condition key of a statement is one of its actions' keys (Service Authorization
    Reference), e.g. no iam:PermissionsBoundary on iam:TagRole."""
    found = []
    for name, doc in documents(stack):
        if "Principal" in json.dumps(doc) and name.endswith("assumeRolePolicy"):
            continue  # trust policies: sts keys of the web identity, checked in tests/bootstrap
        found += [f"{name} {f.sid}: {f.problem}" for f in lint(doc)]
    assert not found, "\n".join(found)


def dead_grants(doc: dict[str, Any]) -> list[str]:
    """Allowed actions that no Resource of their statement can ever match.

    AWS authorizes an action against the ARNs of the resource types the Service Authorization
    Reference lists for it (or only `*` where it lists none), so an action whose statement names
    none of those is granted nothing: e.g. ssm:GetParameters on a Secrets Manager ARN. Such a
    grant hides a missing permission behind one that looks right. (Stricter than parliament's
    RESOURCE_MISMATCH in one way, laxer in another: one matching type is enough, see FATAL.)"""
    from parliament import expand_action

    dead = []
    statements = doc["Statement"]
    for st in statements if isinstance(statements, list) else [statements]:
        if st.get("Effect") != "Allow" or "Resource" not in st:
            continue
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if "*" in resources:
            continue
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        for pattern in actions:
            # A named action must apply; a pattern (`iam:*` on the stack's own names) grants
            # what it matches, so one action of it that applies is enough.
            expanded = [f"{a['service']}:{a['action']}" for a in expand_action(pattern)]
            live = [a for a in expanded if _applies(a, resources)]
            if not live:
                dead.append(f"{st.get('Sid', '?')}: {pattern} on {resources}")
    return dead


def _applies(action: str, resources: list[str]) -> bool:
    from parliament import is_arn_strictly_valid
    from parliament.statement import get_arn_format, get_privilege_info

    service, name = action.split(":")
    info = get_privilege_info(service, name)
    types = [t["resource_type"] for t in info["resource_types"] if t["resource_type"]]
    return any(
        is_arn_strictly_valid(t, get_arn_format(t, info["service_resources"]), r)
        for t in types
        for r in resources
    )


@pytest.mark.parametrize("stack", list(STACKS))
def test_no_action_is_granted_on_resources_it_cannot_apply_to(stack: str) -> None:
    found = []
    for name, doc in documents(stack):
        if name.endswith(".assumeRolePolicy") or name.endswith(".accessPolicies"):
            continue  # resource policies: their Resource is the resource itself
        found += [f"{name} {d}" for d in dead_grants(doc)]
    assert not found, "\n".join(found)
