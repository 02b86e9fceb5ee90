"""The claim rules over a `ClaimStore`: claim, renew, release, expire, reclaim (preview/pool
package docstring: Claim, Lease, Never reused dirty)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from contracts.errors import UnavailableError, UsageError
from preview.pool.store import CLAIM_FIELDS, ClaimStore, Expect, Slot

# Each round is one scan and a conditional write per free slot seen; a round is lost only when
# every one of those slots went to another claimer, so the pool drains long before this.
MAX_CLAIM_ROUNDS = 50


def held_by(store: ClaimStore, pr: int) -> Slot | None:
    return next((s for s in store.scan() if s.state == "claimed" and s.claim_pr == pr), None)


def claim(
    store: ClaimStore,
    pr: int,
    run: str,
    lease_s: int,
    now: int,
    *,
    shuffle: Callable[[list[Slot]], None] = random.shuffle,
) -> Slot | None:
    """One slot for `pr` (the one it holds, else a free one), or None when the pool is empty.

    Free slots are tried in random order so racing claimers spread over the pool instead of all
    fighting for the first item; each attempt is a conditional update that only one can win.
    """
    if lease_s <= 0:
        raise UsageError(
            f"pool lease of {lease_s}s is not positive", hint="set PREVIEW_POOL_LEASE_MINUTES >= 1"
        )
    for _ in range(MAX_CLAIM_ROUNDS):
        slots = store.scan()
        mine = next((s for s in slots if s.state == "claimed" and s.claim_pr == pr), None)
        if mine is not None:
            renewed = renew(store, pr, now + lease_s, run=run, slots=[mine])
            if renewed is not None:
                return renewed
            continue  # the claim ended under us (reaped); look again
        free = [s for s in slots if s.state == "free"]
        if not free:
            return None
        shuffle(free)
        claim_set = {
            "state": "claimed",
            "claim_pr": pr,
            "claim_run": run or "-",
            "claimed_at": now,
            "lease_expires_at": now + lease_s,
        }
        for s in free:
            if store.update(s.slot, Expect("free"), claim_set):
                return replace(
                    s,
                    state="claimed",
                    claim_pr=pr,
                    claim_run=run or "-",
                    claimed_at=now,
                    lease_expires_at=now + lease_s,
                )
        # Every free slot we saw went to someone else; the next scan decides whether any is left.
    raise UnavailableError(
        f"pool: no claim settled after {MAX_CLAIM_ROUNDS} rounds of lost races",
        hint="re-run; if it persists, check the table with `preview pool status`",
    )


def renew(
    store: ClaimStore,
    pr: int,
    lease_expires_at: int,
    *,
    run: str = "",
    slots: Sequence[Slot] | None = None,
) -> Slot | None:
    """Extend the lease of the slot `pr` holds; None when it holds none (any more)."""
    for s in slots if slots is not None else store.scan():
        if s.state != "claimed" or s.claim_pr != pr:
            continue
        set_: dict[str, Any] = {"lease_expires_at": lease_expires_at}
        if run:
            set_["claim_run"] = run
        if store.update(s.slot, Expect("claimed", pr=pr), set_):
            return replace(s, lease_expires_at=lease_expires_at, claim_run=run or s.claim_run)
    return None


def release(store: ClaimStore, pr: int) -> list[str]:
    """End `pr`'s claim: its slot is retired (refill destroys and replaces it). Idempotent."""
    done = []
    for s in store.scan():
        if s.state == "claimed" and s.claim_pr == pr and retire(store, s, Expect("claimed", pr=pr)):
            done.append(s.slot)
    return done


def expire(store: ClaimStore, now: int) -> list[Slot]:
    """Retire every slot whose lease ran out (its run died or its preview expired)."""
    out = []
    for s in store.scan():
        lapsed = s.lease_expires_at is not None and s.lease_expires_at < now
        expect = Expect("claimed", pr=s.claim_pr, lease_before=now)
        if s.state == "claimed" and lapsed and retire(store, s, expect):
            out.append(s)
    return out


def reclaim(store: ClaimStore, open_prs: set[int]) -> list[Slot]:
    """Retire every slot claimed by a PR that is no longer open (the reaper's job)."""
    out = []
    for s in store.scan():
        closed = s.claim_pr is not None and s.claim_pr not in open_prs
        if s.state == "claimed" and closed and retire(store, s, Expect("claimed", pr=s.claim_pr)):
            out.append(s)
    return out


def retire(store: ClaimStore, s: Slot, expect: Expect) -> bool:
    """Move `s` to `retiring` and drop its claim iff `expect` holds (refill destroys it)."""
    return store.update(s.slot, expect, {"state": "retiring"}, remove=CLAIM_FIELDS)
