"""Every AWS call the code was seen to make is allowed by its principal's policies, as AWS
decides (identity policies, permissions boundary, condition keys the action really has)."""

from __future__ import annotations

from tests.authz.conftest import Recording
from tests.authz.iam_eval import Request, decide
from tests.authz.principals import principals


def test_every_recorded_call_has_a_row(recording: Recording) -> None:
    """A call the mapping table does not know fails here: add its row (with its source)."""
    assert recording.calls
    assert recording.unmapped == []


def test_every_recorded_call_is_allowed(recording: Recording) -> None:
    """Each authorization of each recorded call, judged against the synthesized policies."""
    who = principals()
    refused = []
    for a in recording.authorizations:
        d = decide(who[a.principal], Request(a.action, a.resource, a.context))
        if not d.allowed:
            refused.append(f"{a.principal}: {a.call} -> {a.action} on {a.resource}: {d.reason}")
    assert not refused, "\n".join(refused)
