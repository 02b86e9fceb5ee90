"""Naming: every physical name stays valid for AWS whatever the PR number or branch."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import naming

PRS = st.integers(min_value=1, max_value=naming.MAX_PR)
TEXT = st.text(min_size=0, max_size=300)


@given(PRS)
def test_stack_name_round_trips(pr: int) -> None:
    """parse_stack(stack_name(pr)) gives back the same PR as a preview."""
    sid = naming.parse_stack(naming.stack_name(pr))
    assert (sid.kind, sid.pr) == ("preview", pr)


@given(TEXT, TEXT)
def test_lb_names_fit_alb_limits(a: str, b: str) -> None:
    """ALB/target-group names: <= 32 chars of [a-z0-9-], no hyphen at either end."""
    name = naming.lb_name("pp", a, b)
    assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) and len(name) <= 32
    assert not name.startswith("internal-")


@given(TEXT)
def test_rds_identifiers_are_valid(text: str) -> None:
    """RDS identifiers start with a letter, are <= 63 chars, have no '--' and no trailing '-'."""
    ident = naming.rds_identifier(text)
    assert re.fullmatch(r"[a-z][a-z0-9-]*", ident) and len(ident) <= 63
    assert "--" not in ident and not ident.endswith("-")


@given(TEXT)
def test_dns_labels_are_valid(text: str) -> None:
    """DNS labels are 1-63 chars of [a-z0-9-] with no hyphen at either end."""
    label = naming.dns_label(text)
    assert re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", label)


@given(TEXT, TEXT)
def test_truncation_keeps_distinct_inputs_distinct(a: str, b: str) -> None:
    """Two different long inputs never collapse onto one truncated name (hash suffix)."""
    long_a, long_b = "x" * 40 + a, "x" * 40 + b
    if long_a != long_b:
        assert naming.lb_name(long_a) != naming.lb_name(long_b)


@given(TEXT)
def test_tag_values_are_accepted_by_aws(branch: str) -> None:
    """Any branch name becomes a tag value of <= 256 allowed characters."""
    value = naming.tag_value(branch)
    assert len(value) <= 256 and re.fullmatch(r"[\w .:/=+\-@]*", value, flags=re.ASCII)


@given(PRS, PRS)
def test_rule_priorities_are_distinct_within_a_slot_window(a: int, b: int) -> None:
    """Two PRs whose numbers differ by less than the slot count never share a priority."""
    if a != b and abs(a - b) < naming.PRIORITY_SLOTS:
        assert not set(naming.rule_priorities(a)) & set(naming.rule_priorities(b))


@given(PRS)
def test_rule_priorities_are_in_alb_range(pr: int) -> None:
    """Bypass and host priorities are adjacent and inside 1..50000."""
    bypass, host = naming.rule_priorities(pr)
    assert 1 <= bypass < host == bypass + 1 <= 50_000


@given(PRS)
def test_preview_host_is_one_label_under_the_zone(pr: int) -> None:
    """The preview host adds exactly one label, so the wildcard certificate covers it."""
    host = naming.hostname(pr, "preview.example.com")
    assert host.split(".", 1) == [f"pr-{pr}", "preview.example.com"] and len(host) <= 128


@pytest.mark.parametrize("bad", ["dev", "pr-0", "pr-01", f"pr-{naming.MAX_PR + 1}", "pr-x", ""])
def test_unknown_stack_names_are_rejected_with_fix(bad: str) -> None:
    """Unknown or out-of-range stack names fail with a message carrying the fix."""
    with pytest.raises(naming.NamingError, match=r"\(fix: use "):
        naming.parse_stack(bad)


@pytest.mark.parametrize("pr", [0, -1, naming.MAX_PR + 1, True])
def test_out_of_range_pr_numbers_are_rejected(pr: int) -> None:
    """stack_name refuses PR numbers outside 1..10^9 (and booleans)."""
    with pytest.raises(naming.NamingError, match="out of range"):
        naming.stack_name(pr)


@given(PRS, st.lists(PRS, max_size=60))
def test_allocated_priorities_never_collide_with_live_previews(pr: int, live: list[int]) -> None:
    """Allocating against the live previews' priorities yields a pair no live rule uses."""
    taken: list[int] = []
    for other in live:  # the live set itself was allocated one by one
        taken.append(naming.allocate_rule_priority(other, taken))
    mine = naming.allocate_rule_priority(pr, taken)
    used = {p for t in taken for p in (t, t + 1)}
    assert not {mine, mine + 1} & used
    assert mine >= 1 and mine + 1 <= 50_000


@given(PRS)
def test_allocation_keeps_the_default_slot_when_free(pr: int) -> None:
    """With nothing live, the allocated priority is the PR's default one."""
    assert naming.allocate_rule_priority(pr, []) == naming.rule_priorities(pr)[0]
