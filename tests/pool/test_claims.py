"""Claims against moto's DynamoDB server: atomic under racing processes, leases, reclaim."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from preview import pool
from preview.pool import DynamoClaims, Slot
from tests.pool.conftest import dynamo_client

NOW = 1_900_000_000


def _free(store: DynamoClaims, n: int, created_at: int = NOW) -> list[str]:
    ids = pool.new_slot_ids([], n)
    for sid in ids:
        assert store.create(
            Slot(sid, "free", created_at=created_at, endpoint=f"{sid}.cluster.example")
        )
    return ids


def _claimer(endpoint: str, table: str, pr: int, start: Any, out: Any) -> None:
    store = DynamoClaims(dynamo_client(endpoint), table)
    start.wait()  # every claimer starts its scan at once
    slot = pool.claim(store, pr, run=f"run-{pr}", lease_s=900, now=NOW)
    out.put((pr, slot.slot if slot else None))


def test_racing_claimers_never_share_a_slot(dynamo_endpoint: str, store: DynamoClaims) -> None:
    """24 processes race for 5 slots: exactly 5 win, each a different slot, and the table
    records each slot as claimed by the one PR that was told it won it."""
    slots = _free(store, 5)
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Barrier(24), ctx.Queue()
    procs = [
        ctx.Process(target=_claimer, args=(dynamo_endpoint, store.table, pr, start, out))
        for pr in range(1, 25)
    ]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    won = {pr: s for pr, s in results.items() if s is not None}
    assert sorted(won.values()) == slots  # every slot once, none twice
    table = {s.slot: s.claim_pr for s in store.scan()}
    assert table == {s: pr for pr, s in won.items()}


def test_a_pr_gets_back_the_slot_it_holds(store: DynamoClaims) -> None:
    """A re-run of `up` for the same PR must not take a second slot."""
    _free(store, 3)
    first = pool.claim(store, 7, "run-1", 900, NOW)
    again = pool.claim(store, 7, "run-2", 900, NOW + 60)
    assert first is not None and again is not None
    assert again.slot == first.slot and again.claim_run == "run-2"
    assert sum(1 for s in store.scan() if s.state == "claimed") == 1


def test_an_empty_pool_sends_up_down_the_cold_path(store: DynamoClaims) -> None:
    _free(store, 1)
    assert pool.claim(store, 1, "r", 900, NOW) is not None
    assert pool.claim(store, 2, "r", 900, NOW) is None


def test_an_expired_lease_ends_the_claim_and_the_slot_is_not_reused(store: DynamoClaims) -> None:
    """A run that died holding a slot may have written to it: the lease frees the claim but
    the slot goes to `retiring`, never to another PR."""
    _free(store, 1)
    assert pool.claim(store, 1, "dead-run", 600, NOW) is not None
    assert pool.expire(store, NOW + 599) == []  # still inside the lease
    expired = pool.expire(store, NOW + 601)
    assert [s.claim_pr for s in expired] == [1]
    (slot,) = store.scan()
    assert slot.state == "retiring" and slot.claim_pr is None and slot.lease_expires_at is None
    assert pool.claim(store, 2, "r", 600, NOW + 602) is None


def test_renewing_extends_the_lease_and_fails_once_the_claim_is_gone(store: DynamoClaims) -> None:
    _free(store, 1)
    pool.claim(store, 5, "r", 600, NOW)
    renewed = pool.renew(store, 5, NOW + 3 * 86_400)
    assert renewed is not None
    assert pool.expire(store, NOW + 601) == []  # the renewed lease holds
    assert pool.renew(store, 6, NOW + 86_400) is None  # not PR 6's slot
    pool.release(store, 5)
    assert pool.renew(store, 5, NOW + 86_400) is None


def test_the_reaper_reclaims_slots_of_closed_prs(store: DynamoClaims) -> None:
    _free(store, 3)
    for pr in (10, 11, 12):
        pool.claim(store, pr, "r", 86_400, NOW)
    reclaimed = pool.reclaim(store, open_prs={11})
    assert sorted(s.claim_pr or 0 for s in reclaimed) == [10, 12]
    states = {s.claim_pr: s.state for s in store.scan() if s.claim_pr is not None}
    assert states == {11: "claimed"}
    assert sum(1 for s in store.scan() if s.state == "retiring") == 2


def test_release_is_idempotent(store: DynamoClaims) -> None:
    _free(store, 2)
    slot = pool.claim(store, 3, "r", 600, NOW)
    assert slot is not None
    assert pool.release(store, 3) == [slot.slot]
    assert pool.release(store, 3) == []
    assert {s.slot: s.state for s in store.scan()}[slot.slot] == "retiring"


def test_a_stale_write_loses_to_a_newer_one(make_table: Callable[[], DynamoClaims]) -> None:
    """The condition, not the client's view, decides: a claimer acting on an old scan (the slot
    was claimed after it looked) is refused."""
    store = make_table()
    _free(store, 1)
    (seen,) = store.scan()  # claimer A looks: free
    assert pool.claim(store, 1, "b", 600, NOW) is not None  # B claims it
    assert not store.update(seen.slot, pool.Expect("free"), {"state": "claimed", "claim_pr": 2})
    assert store.scan()[0].claim_pr == 1
