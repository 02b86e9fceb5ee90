"""Property tests of the names the CLI derives from a PR number or a stack name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import naming
from contracts.errors import USAGE, PreviewError
from preview.aws import execution_name
from preview.planning import stack_name

PRS = st.integers(min_value=1, max_value=naming.MAX_PR)
DNS_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


@given(PRS)
def test_stack_name_round_trips(pr: int) -> None:
    """parse_stack(stack_name(pr)) is the preview of exactly that PR."""
    sid = naming.parse_stack(naming.stack_name(pr))
    assert sid.is_preview and sid.pr == pr


@given(PRS)
def test_preview_host_is_one_dns_label_under_the_zone(pr: int) -> None:
    """The preview host adds exactly one valid label to the zone (the wildcard cert covers it)."""
    host = naming.hostname(pr, "preview.example.com")
    label, _, zone = host.partition(".")
    assert zone == "preview.example.com" and DNS_LABEL.fullmatch(label)


@given(PRS, PRS)
def test_index_prefix_is_accepted_and_unambiguous(pr: int, other: int) -> None:
    """The PR's index prefix is `pr-<N>-` and never prefixes another PR's indices."""
    prefix = naming.index_prefix(pr)
    assert re.fullmatch(r"pr-[1-9][0-9]*-", prefix)
    if other != pr:
        assert not f"{naming.index_prefix(other)}surveys".startswith(prefix)


@given(PRS, st.text(alphabet="0123456789abcdef", min_size=7, max_size=40))
def test_execution_name_is_valid(pr: int, sha: str) -> None:
    """Smoke execution names fit Step Functions: 1-80 chars of [A-Za-z0-9_-]."""
    name = execution_name(f"pr-{pr}-{sha[:12]}-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name)


@given(st.text(max_size=30))
def test_only_canonical_preview_names_are_previews(text: str) -> None:
    """A stack is a preview only if named exactly pr-<N>; the reaper ignores everything else."""
    try:
        sid = naming.parse_stack(text)
    except naming.NamingError:
        return
    if sid.is_preview:
        assert text.rsplit("/", 1)[-1] == f"pr-{sid.pr}"


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=naming.MAX_PR + 1)))
def test_out_of_range_pr_is_a_usage_error(pr: int) -> None:
    """--pr outside 1..10^9 is refused with exit 2 and a message naming --pr."""
    with pytest.raises(PreviewError) as err:
        stack_name(pr)
    assert err.value.exit_code == USAGE and "--pr" in err.value.message
