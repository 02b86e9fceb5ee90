"""Publishing a run: all aliases move together, and a lost reply never orphans an alias.

Real MariaDB and a real OpenSearch node; faults come from a proxy in front of the node
(tests/sync/faults.py), so each verdict is what the node really holds afterwards.
"""

from __future__ import annotations

import pytest
from opensearchpy.exceptions import NotFoundError

from contracts.errors import UnavailableError
from preview.sync.engine import SyncFailed, make_client, run_sync
from tests.sync.conftest import ROWS, bad_mapping_spec
from tests.sync.faults import fault_proxy

pytestmark = pytest.mark.services


def _quiet(_: str) -> None:
    pass


def _holders(client, alias: str) -> list[str]:  # type: ignore[no-untyped-def]
    try:
        return sorted(client.indices.get_alias(name=alias))
    except NotFoundError:
        return []


def _indices(client, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(client.indices.get(index=f"{prefix}*", params={"allow_no_indices": "true"}))


def _live(client, prefix: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {n: _holders(client, f"{prefix}{n}") for n in ("surveys", "responses")}


def test_a_failing_index_moves_no_alias_of_the_run(seeded, client, prefix, spec, opts) -> None:
    """surveys builds fine, responses is rejected: surveys' alias stays on its previous index."""
    run_sync(spec, seeded, client, prefix, opts=opts, progress=_quiet)
    before, indices = _live(client, prefix), _indices(client, prefix)
    with pytest.raises(SyncFailed):
        run_sync(bad_mapping_spec(spec), seeded, client, prefix, opts=opts, progress=_quiet)
    assert _live(client, prefix) == before
    assert _indices(client, prefix) == indices, "the run's new indices were left behind"


def _rule_on_aliases(action: str, *, reads_fail: bool = False):  # type: ignore[no-untyped-def]
    state = {"swapped": False}

    def rule(method: str, path: str) -> str | None:
        # The run's first alias add, PUT /<new index>/_alias/<alias> (aliases.swap_aliases).
        if method == "PUT" and "/_alias/" in path and not state["swapped"]:
            state["swapped"] = True
            return action
        if reads_fail and state["swapped"]:
            return "drop"  # the node stays unreachable after the swap
        return None

    return rule


def test_lost_reply_after_the_swap_keeps_the_new_indices(
    seeded, client, opensearch_url, prefix, spec, opts
) -> None:
    """The swap applied but its reply was lost: the run reads the aliases back and succeeds."""
    run_sync(spec, seeded, client, prefix, opts=opts, progress=_quiet)
    with fault_proxy(opensearch_url, _rule_on_aliases("lose-reply")) as (proxy, url):
        summary = run_sync(spec, seeded, make_client(url), prefix, opts=opts, progress=_quiet)
    assert any(m == "PUT" and "/_alias/" in p and a == "lose-reply" for m, p, a in proxy.seen)
    new = {i["name"]: i["index"] for i in summary["indices"]}
    assert _live(client, prefix) == {name: [index] for name, index in new.items()}
    assert int(client.count(index=f"{prefix}responses")["count"]) == ROWS
    assert _indices(client, prefix) == sorted(new.values()), "old versions not cleaned up"


def test_swap_that_never_arrived_keeps_the_old_aliases(
    seeded, client, opensearch_url, prefix, spec, opts
) -> None:
    """The swap request was lost on the way: exit 3, old aliases live, new indices deleted."""
    run_sync(spec, seeded, client, prefix, opts=opts, progress=_quiet)
    before, indices = _live(client, prefix), _indices(client, prefix)
    with (
        fault_proxy(opensearch_url, _rule_on_aliases("drop")) as (_, url),
        pytest.raises(UnavailableError, match="did not move the aliases") as failed,
    ):
        run_sync(spec, seeded, make_client(url), prefix, opts=opts, progress=_quiet)
    assert "overloaded" not in str(failed.value)
    assert _live(client, prefix) == before
    assert _indices(client, prefix) == indices


def test_unknown_swap_outcome_deletes_nothing(
    seeded, client, opensearch_url, prefix, spec, opts
) -> None:
    """Reply lost and the node unreachable afterwards: nothing is deleted, every alias resolves."""
    run_sync(spec, seeded, client, prefix, opts=opts, progress=_quiet)
    with (
        fault_proxy(opensearch_url, _rule_on_aliases("lose-reply", reads_fail=True)) as (_, url),
        pytest.raises(UnavailableError, match="outcome is unknown"),
    ):
        run_sync(spec, seeded, make_client(url), prefix, opts=opts, progress=_quiet)
    for name, holders in _live(client, prefix).items():
        # The old version, and the new one where its add applied: each complete.
        assert holders, f"alias of {name} points at nothing"
        counts = {int(client.count(index=index)["count"]) for index in holders}
        assert len(counts) == 1, (name, holders, counts)
    assert int(client.count(index=_live(client, prefix)["responses"][0])["count"]) == ROWS
