"""Refill and refresh: keep `policy.size` free slots, destroy retired ones, and replace stale
free slots one at a time (preview/pool package docstring: Never reused dirty, Freshness).

The slot clones themselves are made by a `Provisioner` (`PoolStack` in preview/pool/stack.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from preview.pool.claims import retire
from preview.pool.store import ClaimStore, Expect, Slot


@dataclass(frozen=True)
class SlotInfo:
    """What the pool stack reports about one provisioned slot (its outputs)."""

    cluster_identifier: str
    endpoint: str
    secret_arn: str
    index_prefix: str
    security_group_id: str
    seed_machine_arn: str = ""
    seed_log_group: str = ""


class Provisioner(Protocol):
    """The pool stack and each slot's seeder."""

    def apply(self, slots: Sequence[str]) -> dict[str, SlotInfo]:
        """Make the stack hold exactly `slots` (creating new clones, destroying dropped ones)
        and return the outputs of every slot it holds. Raises on failure; slots it already
        held and still holds are left as they were."""
        ...

    def seed(self, slot: str, info: SlotInfo) -> str:
        """Seed the slot's indices from its clone; "" when done, else what went wrong."""
        ...

    def clean(self, slot: Slot) -> str:
        """Delete the slot's indices before it is destroyed; "" when done (or nothing to do)."""
        ...


@dataclass(frozen=True)
class PoolPolicy:
    size: int  # free slots the pool keeps ready
    max_age_s: int  # a free slot older than this is replaced


@dataclass
class RefillResult:
    created: list[str] = field(default_factory=list)
    destroyed: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    error: str = ""


def new_slot_ids(existing: Iterable[str], count: int) -> list[str]:
    """Fresh slot ids `s0001`, `s0002`, ... after the highest one in use (never reused, so a
    replaced slot's clone and its successor never share a physical name)."""
    top = max((int(s[1:]) for s in existing if s[1:].isdigit()), default=0)
    return [f"s{top + i:04d}" for i in range(1, count + 1)]


def stale(s: Slot, policy: PoolPolicy, now: int, staging_deployed_at: int) -> bool:
    return s.created_at + policy.max_age_s <= now or s.created_at < staging_deployed_at


def refill(
    store: ClaimStore,
    provisioner: Provisioner,
    policy: PoolPolicy,
    now: int,
    staging_deployed_at: int = 0,
) -> RefillResult:
    """Bring the pool to `policy.size` free slots and destroy retired ones, in one stack update.

    New slots are written `provisioning` before the update and turn `free` after it, so a
    failed update leaves them for the next refill and never touches the slots already free.
    """
    result = RefillResult()
    slots = store.scan()
    free = [s for s in slots if s.state == "free"]
    pending = [s for s in slots if s.state == "provisioning"]
    missing = max(0, policy.size - len(free) - len(pending))
    for sid in new_slot_ids((s.slot for s in slots), missing):
        new = Slot(sid, "provisioning", created_at=now)
        if store.create(new):
            pending.append(new)
    retiring = [s for s in slots if s.state == "retiring"]
    keep = [s.slot for s in slots if s.state in ("free", "claimed")]
    if not pending and not retiring:
        return result
    # A slot whose indices could not be deleted stays in the stack (and retiring) for the
    # next refill: destroying it first would orphan them.
    dirty = [s.slot for s in retiring if not _cleaned(provisioner, s, result)]
    infos = _apply(provisioner, keep + dirty + [s.slot for s in pending], result)
    if infos is None:  # the stack update failed: what was free stays free
        return result
    result.created = _activate(store, provisioner, pending, infos, now, staging_deployed_at, result)
    for s in retiring:
        if s.slot not in dirty and store.delete(s.slot, Expect("retiring")):
            result.destroyed.append(s.slot)
    return result


def _cleaned(provisioner: Provisioner, s: Slot, result: RefillResult) -> bool:
    error = provisioner.clean(s)
    if error:
        _fail(result, f"cleaning the indices of {s.slot} failed: {error}")
    return not error


def _apply(
    provisioner: Provisioner, slots: Sequence[str], result: RefillResult
) -> dict[str, SlotInfo] | None:
    """One stack update to exactly `slots`; None (and the error in `result`) when it failed."""
    try:
        return provisioner.apply(sorted(slots))
    except Exception as exc:  # a failed `pulumi up` is reported, never raised
        _fail(result, f"{type(exc).__name__}: {exc}")
        return None


def _fail(result: RefillResult, error: str) -> None:
    result.error = "; ".join(e for e in (result.error, error) if e)


def refresh(
    store: ClaimStore,
    provisioner: Provisioner,
    policy: PoolPolicy,
    now: int,
    staging_deployed_at: int = 0,
) -> RefillResult:
    """Replace stale free slots one at a time: make a fresh one, mark it free, then retire and
    destroy the stale one. A failure stops the round with every remaining slot usable."""
    result = refill(store, provisioner, policy, now, staging_deployed_at)
    if result.error:
        return result
    for old in [s for s in store.scan() if s.state == "free"]:
        if not stale(old, policy, now, staging_deployed_at):
            continue
        slots = store.scan()
        (sid,) = new_slot_ids((s.slot for s in slots), 1)
        fresh = Slot(sid, "provisioning", created_at=now)
        if not store.create(fresh):
            continue
        # Every slot the stack holds stays, a half-made (provisioning) one included.
        holding = [s.slot for s in slots]
        infos = _apply(provisioner, [*holding, sid], result)
        if infos is None:
            return result
        made = _activate(store, provisioner, [fresh], infos, now, staging_deployed_at, result)
        result.created += made
        if not made:
            return result  # its seed failed: the stale slot stays free until one succeeds
        # Only a slot still free is retired; one claimed meanwhile stays with its PR and is
        # retired on release like any other.
        if not retire(store, old, Expect("free", created_at=old.created_at)):
            continue
        if not _cleaned(provisioner, old, result):
            return result  # retiring: the next refill cleans and destroys it
        if _apply(provisioner, [s for s in [*holding, sid] if s != old.slot], result) is None:
            return result
        if store.delete(old.slot, Expect("retiring")):
            result.refreshed.append(old.slot)
    return result


def _activate(
    store: ClaimStore,
    provisioner: Provisioner,
    pending: Sequence[Slot],
    infos: Mapping[str, SlotInfo],
    now: int,
    staging_deployed_at: int,
    result: RefillResult,
) -> list[str]:
    """Seed each new slot, then mark it free. One whose seed failed stays `provisioning`
    (never claimed) and is seeded again by the next refill; the others turn free."""
    done = []
    for s in pending:
        info = infos.get(s.slot)
        if info is None:
            continue
        error = provisioner.seed(s.slot, info)
        if error:
            _fail(result, f"seeding {s.slot} failed: {error}")
            continue
        values = {
            "state": "free",
            "created_at": now,
            "staging_deployed_at": staging_deployed_at,
            "cluster_identifier": info.cluster_identifier,
            "endpoint": info.endpoint,
            "secret_arn": info.secret_arn,
            "index_prefix": info.index_prefix,
            "security_group_id": info.security_group_id,
            "seed_machine_arn": info.seed_machine_arn,
            "seed_log_group": info.seed_log_group,
        }
        if store.update(s.slot, Expect("provisioning"), values):
            done.append(s.slot)
    return done
