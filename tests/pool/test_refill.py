"""Refill and refresh against moto's DynamoDB, with the pool stack played by a recorder.

`StackDouble` stands in for the `pool` Pulumi stack: `apply(slots)` makes it hold exactly those
slots, as `pulumi up` with that config would (new ones created, dropped ones destroyed), and can
be told to fail the way a half-done update fails (nothing it held before is touched)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from preview import pool
from preview.pool import DynamoClaims, PoolPolicy, Slot, SlotInfo

NOW = 1_900_000_000
DAY = 86_400


class StackDouble:
    def __init__(self, store: DynamoClaims, policy: PoolPolicy) -> None:
        self.held: set[str] = set()
        self.fail_next = False
        self.store = store
        self.policy = policy
        self.free_seen: list[int] = []  # free slots in the table at every update
        self.seeded: list[str] = []
        self.cleaned: list[str] = []
        self.fail_seed: set[str] = set()
        self.fail_clean: set[str] = set()

    def apply(self, slots: Sequence[str]) -> dict[str, SlotInfo]:
        self.free_seen.append(sum(1 for s in self.store.scan() if s.state == "free"))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("pulumi up failed: RDS quota exceeded")
        self.held = set(slots)
        return {
            s: SlotInfo(
                f"pp-pool-{s}",
                f"pp-pool-{s}.cluster.example",
                f"arn:secret:{s}",
                f"pool-{s}-",
                f"sg-{s}",
                f"arn:aws:states:us-east-1:1:stateMachine:pp-pool-{s}-seed",
            )
            for s in slots
        }

    def seed(self, slot: str, info: SlotInfo) -> str:
        # The seeder runs while the slot is still provisioning: no PR can claim it half-seeded.
        (item,) = [s for s in self.store.scan() if s.slot == slot]
        assert item.state == "provisioning" and slot in self.held
        assert info.seed_machine_arn.endswith(f"pp-pool-{slot}-seed")
        if slot in self.fail_seed:
            self.fail_seed.discard(slot)
            return "FAILED: SeedSearchFailed"
        self.seeded.append(slot)
        return ""

    def clean(self, slot: Slot) -> str:
        # Before the update that destroys it: its indices go while its seeder still exists.
        assert slot.slot in self.held and slot.seed_machine_arn
        if slot.slot in self.fail_clean:
            self.fail_clean.discard(slot.slot)
            return "FAILED: CleanupSearchFailed"
        self.cleaned.append(slot.slot)
        return ""


@pytest.fixture
def policy() -> PoolPolicy:
    return PoolPolicy(size=3, max_age_s=DAY)


def test_refill_makes_free_slots_with_their_endpoints(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    stack = StackDouble(store, policy)
    result = pool.refill(store, stack, policy, NOW, staging_deployed_at=NOW - 100)
    assert result.created == ["s0001", "s0002", "s0003"] and not result.error
    slots = store.scan()
    assert [s.state for s in slots] == ["free"] * 3
    assert slots[0].endpoint == "pp-pool-s0001.cluster.example"
    assert slots[0].staging_deployed_at == NOW - 100
    assert stack.held == {"s0001", "s0002", "s0003"}
    assert stack.seeded == ["s0001", "s0002", "s0003"]


def test_a_slot_whose_seed_failed_is_never_handed_out(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    """Its search is not ready: it stays provisioning (unclaimable), the refill says why, the
    other slots turn free, and the next refill seeds it again."""
    stack = StackDouble(store, policy)
    stack.fail_seed = {"s0002"}
    result = pool.refill(store, stack, policy, NOW)
    assert result.created == ["s0001", "s0003"]
    assert "seeding s0002 failed" in result.error
    assert {s.slot: s.state for s in store.scan()}["s0002"] == "provisioning"
    claims = [pool.claim(store, pr, "r", 600, NOW) for pr in (1, 2, 3)]
    assert sorted(c.slot for c in claims if c) == ["s0001", "s0003"] and claims[2] is None
    again = pool.refill(store, stack, policy, NOW + 60)
    assert "s0002" in again.created and not again.error


def test_a_retired_slot_loses_its_indices_before_its_clone(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    """Its seeder deletes `pool-<slot>-*` first; if that fails the slot stays in the stack,
    retiring, until a later refill cleans it (destroying it first would orphan the indices)."""
    stack = StackDouble(store, policy)
    pool.refill(store, stack, policy, NOW)
    used = pool.claim(store, 9, "r", 600, NOW)
    assert used is not None
    pool.release(store, 9)
    stack.fail_clean = {used.slot}
    failed = pool.refill(store, stack, policy, NOW + 60)
    assert f"cleaning the indices of {used.slot} failed" in failed.error
    assert failed.destroyed == [] and used.slot in stack.held
    assert {s.slot: s.state for s in store.scan()}[used.slot] == "retiring"
    done = pool.refill(store, stack, policy, NOW + 120)
    assert done.destroyed == [used.slot] and stack.cleaned == [used.slot]
    assert used.slot not in stack.held


def test_a_refill_that_fails_leaves_the_free_slots_claimable(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    stack = StackDouble(store, policy)
    pool.refill(store, stack, policy, NOW)
    pool.claim(store, 1, "r", 600, NOW)
    pool.release(store, 1)  # one retiring, two free: refill must replace one
    stack.fail_next = True
    failed = pool.refill(store, stack, policy, NOW + 10)
    assert "quota" in failed.error and failed.created == []
    states = sorted(s.state for s in store.scan())
    assert states == ["free", "free", "provisioning", "retiring"]
    assert pool.claim(store, 2, "r", 600, NOW + 11) is not None  # still usable
    done = pool.refill(store, stack, policy, NOW + 20)
    assert not done.error
    assert sorted(s.state for s in store.scan()) == ["claimed", "free", "free", "free"]
    assert len(done.destroyed) == 1 and done.destroyed[0] not in stack.held


def test_released_slots_are_destroyed_and_replaced_fresh(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    """A slot a PR used is never handed out again: refill destroys it and makes a new id."""
    stack = StackDouble(store, policy)
    pool.refill(store, stack, policy, NOW)
    used = pool.claim(store, 9, "r", 600, NOW)
    assert used is not None
    pool.release(store, 9)
    result = pool.refill(store, stack, policy, NOW + 60)
    assert result.destroyed == [used.slot] and result.created == ["s0004"]
    assert used.slot not in {s.slot for s in store.scan()} and used.slot not in stack.held


def test_refresh_replaces_stale_slots_one_at_a_time(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    """Slots made before staging's last deploy are replaced, and at no stack update does the
    pool have fewer free slots than its size."""
    stack = StackDouble(store, policy)
    pool.refill(store, stack, policy, NOW)
    deployed = NOW + 3600
    stack.free_seen.clear()
    result = pool.refresh(store, stack, policy, NOW + 7200, staging_deployed_at=deployed)
    assert not result.error
    assert result.refreshed == ["s0001", "s0002", "s0003"]
    slots = store.scan()
    assert [s.state for s in slots] == ["free"] * 3
    assert all(s.created_at == NOW + 7200 and s.staging_deployed_at == deployed for s in slots)
    assert min(stack.free_seen) >= policy.size
    assert stack.held == {s.slot for s in slots}
    assert stack.cleaned == ["s0001", "s0002", "s0003"]


def test_refresh_replaces_slots_past_their_age(store: DynamoClaims, policy: PoolPolicy) -> None:
    stack = StackDouble(store, policy)
    pool.refill(store, stack, policy, NOW)
    assert pool.refresh(store, stack, policy, NOW + DAY - 1).refreshed == []
    assert len(pool.refresh(store, stack, policy, NOW + DAY).refreshed) == 3


def test_refresh_keeps_a_slot_claimed_while_it_was_being_replaced(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    """A stale slot a PR claims during refresh stays that PR's until release."""
    stack = StackDouble(store, policy)
    pool.refill(store, stack, PoolPolicy(size=1, max_age_s=DAY), NOW)

    class ClaimDuring(StackDouble):
        def apply(self, slots: Sequence[str]) -> dict[str, SlotInfo]:
            pool.claim(store, 42, "r", 600, NOW + DAY)  # a PR claims the stale slot mid-refresh
            return stack.apply(slots)

        def seed(self, slot: str, info: SlotInfo) -> str:
            return stack.seed(slot, info)

    racer = ClaimDuring(store, policy)
    result = pool.refresh(store, racer, PoolPolicy(size=1, max_age_s=DAY), NOW + DAY)
    assert result.refreshed == []
    by_state = {s.state: s for s in store.scan()}
    assert by_state["claimed"].slot == "s0001" and by_state["claimed"].claim_pr == 42
    assert "s0001" in stack.held


def test_a_refresh_failure_leaves_every_slot_usable(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    stack = StackDouble(store, policy)
    pool.refill(store, stack, policy, NOW)
    stack.fail_next = True
    result = pool.refresh(store, stack, policy, NOW + DAY)
    assert result.error and result.refreshed == []
    assert sum(1 for s in store.scan() if s.state == "free") == 3


def test_status_rows_show_who_holds_what(store: DynamoClaims) -> None:
    store.create(Slot("s0001", "free", created_at=NOW - 7200))
    pool.claim(store, 12, "run-7", 1800, NOW)
    header, rows = pool.rows(store.scan(), NOW + 60)
    assert header[:3] == ["SLOT", "STATE", "CLAIMED BY"]
    assert rows == [("s0001", "claimed", "pr-12 (run run-7)", "2h01m", "29m", "")]


def test_a_refresh_whose_fresh_slot_fails_to_seed_keeps_the_stale_one(
    store: DynamoClaims, policy: PoolPolicy
) -> None:
    """A stale slot with data beats no slot: it stays free until its successor is seeded, and
    the half-made successor stays in the stack for the next refill to finish."""
    stack = StackDouble(store, policy)
    pool.refill(store, stack, policy, NOW)
    stack.fail_seed = {"s0004"}
    result = pool.refresh(store, stack, policy, NOW + DAY)
    assert "seeding s0004 failed" in result.error and result.refreshed == []
    states = {s.slot: s.state for s in store.scan()}
    assert states == {"s0001": "free", "s0002": "free", "s0003": "free", "s0004": "provisioning"}
    assert "s0004" in stack.held
    again = pool.refresh(store, stack, policy, NOW + DAY + 60)
    assert not again.error and again.created[0] == "s0004"
    assert sum(1 for s in store.scan() if s.state == "free") >= policy.size
