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
