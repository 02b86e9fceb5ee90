"""`up`, `down` and `reap` with the warm pool: the pipelines over the fakes of tests/cli, the
claims store in moto's DynamoDB server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preview import pool
from preview.down import down
from preview.pool import DynamoClaims, Slot
from preview.ports import Deps
from preview.reap import reap
from preview.settings import Settings
from preview.up import up
from tests.cli.fakes import Clock, FakeAutomation, FakeIndices, FakeReporter, FakeSmoke

REPO = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


def _slot(sid: str, created_at: int, *, seeded: bool = True) -> Slot:
    return Slot(
        sid,
        "free",
        created_at=created_at,
        cluster_identifier=f"pp-pool-{sid}",
        endpoint=f"pp-pool-{sid}.cluster-x.us-east-1.rds.amazonaws.com",
        secret_arn=f"arn:aws:secretsmanager:us-east-1:123456789012:secret:pp-pool-{sid}-a",
        index_prefix=f"pool-{sid}-",
        security_group_id=f"sg-{sid}",
        seed_machine_arn=(
            f"arn:aws:states:us-east-1:123456789012:stateMachine:pp-pool-{sid}-seed"
            if seeded
            else ""
        ),
    )


class World:
    def __init__(self, store: DynamoClaims | None, open_prs: set[int]) -> None:
        self.clock = Clock()
        self.automation = FakeAutomation(self.clock)
        self.reporter = FakeReporter(open_prs)
        self.store = store
        settings = Settings(
            repository="acme/shop",
            config_template=REPO / "preview.yaml",
            cap=5,
            ttl_hours=48,
            retries=1,
            backoff_s=0,
        ).model_copy(update={"run_id": 777})  # run_id is read from GITHUB_RUN_ID
        self.deps = Deps(
            settings=settings,
            automation=self.automation,
            reporter=self.reporter,
            smoke=FakeSmoke(),
            indices=FakeIndices(),
            now=self.clock.now,
            sleep=self.clock.sleep,
            out=lambda line: None,
            pool=store,
        )

    @property
    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def fill(self, *ids: str, seeded: bool = True) -> None:
        assert self.store is not None
        for sid in ids:
            assert self.store.create(_slot(sid, self.now, seeded=seeded))

    def warm_slot(self, pr: int) -> dict[str, Any] | None:
        raw = self.automation.stacks[f"pr-{pr}"].config.get("warmSlot")
        return json.loads(raw) if raw else None

    def comment(self, pr: int) -> str:
        return self.reporter.comments[pr][-1]


@pytest.fixture
def world(store: DynamoClaims) -> World:
    return World(store, open_prs={1, 2, 3})


def test_a_new_preview_claims_a_free_slot_and_says_so(world: World) -> None:
    world.fill("s0001")
    up(world.deps, 1, SHA)
    slot = world.warm_slot(1)
    assert slot is not None and slot["slot"] == "s0001"
    assert slot["endpoint"] == "pp-pool-s0001.cluster-x.us-east-1.rds.amazonaws.com"
    (held,) = world.store.scan()  # type: ignore[union-attr]
    assert held.state == "claimed" and held.claim_pr == 1 and held.claim_run == "777"
    # Renewed after the deploy to the preview's expiry (48 h) plus an hour for the reaper.
    assert held.lease_expires_at == world.now + 49 * 3600
    body = world.comment(1)
    assert "warm pool slot s0001" in body and "claim" in body and "stack up" in body


def test_only_a_new_warm_previews_first_smoke_run_skips_seeding(world: World) -> None:
    """The slot's indices were seeded by the pool: the first run starts at the health check.
    Every later push seeds again (the PR may have changed the data), and a cold preview
    always seeds."""
    smoke = world.deps.smoke
    assert isinstance(smoke, FakeSmoke)
    world.fill("s0001")
    up(world.deps, 1, SHA)
    up(world.deps, 1, "1111111111111111111111111111111111111111")
    up(world.deps, 2, SHA)  # the pool is empty now: cold
    payloads = [payload for _, _, payload in smoke.runs]
    assert [p.get("seeded") for p in payloads] == [True, None, None]


def test_a_slot_made_before_seeders_is_seeded_by_the_preview(world: World) -> None:
    """Its indices were never filled: the preview uses its own and seeds them."""
    smoke = world.deps.smoke
    assert isinstance(smoke, FakeSmoke)
    world.fill("s0001", seeded=False)
    up(world.deps, 1, SHA)
    slot = world.warm_slot(1)
    assert slot is not None and slot["seeded"] is False
    assert "seeded" not in smoke.runs[0][2]


def test_a_failed_index_cleanup_names_the_slots_indices(world: World) -> None:
    """A warm preview's indices are its slot's: the teardown warning (and its fix) says so."""
    from dataclasses import replace

    from contracts.errors import UnavailableError

    world.fill("s0001")
    up(world.deps, 1, SHA)
    failing = FakeIndices(fail=UnavailableError("cleanup task exited with code 3", hint="x"))
    result = down(replace(world.deps, indices=failing), 1)
    (warning,) = result.warnings
    assert "search indices pool-s0001-* were not deleted" in warning
    assert "--prefix pool-s0001-" in warning


def test_an_empty_pool_takes_the_cold_path_and_says_why(world: World) -> None:
    up(world.deps, 1, SHA)
    assert world.warm_slot(1) is None
    assert "own clone of staging, cold path (the warm pool has no free slot)" in world.comment(1)


def test_a_push_keeps_the_slot_it_has(world: World) -> None:
    world.fill("s0001", "s0002")
    up(world.deps, 1, SHA)
    first = world.warm_slot(1)
    world.clock.sleep(3600)
    up(world.deps, 1, "1111111111111111111111111111111111111111")
    assert world.warm_slot(1) == first
    states = sorted(s.state for s in world.store.scan())  # type: ignore[union-attr]
    assert states == ["claimed", "free"]


def test_a_cold_preview_stays_cold(world: World) -> None:
    """Its own clone holds what it wrote; moving it onto a slot would lose that."""
    up(world.deps, 1, SHA)
    world.fill("s0001")
    up(world.deps, 1, "1111111111111111111111111111111111111111")
    assert world.warm_slot(1) is None
    assert "already has its own clone" in world.comment(1)
    assert [s.state for s in world.store.scan()] == ["free"]  # type: ignore[union-attr]


def test_a_preview_whose_slot_was_reclaimed_falls_back_to_its_own_clone(world: World) -> None:
    world.fill("s0001")
    up(world.deps, 1, SHA)
    pool.release(world.store, 1)  # type: ignore[arg-type]
    up(world.deps, 1, "1111111111111111111111111111111111111111")
    assert world.warm_slot(1) is None
    assert "its pool slot s0001 was reclaimed" in world.comment(1)


def test_down_retires_the_slot_so_it_is_never_reused(world: World) -> None:
    world.fill("s0001")
    up(world.deps, 1, SHA)
    down(world.deps, 1)
    (slot,) = world.store.scan()  # type: ignore[union-attr]
    assert slot.state == "retiring" and slot.claim_pr is None
    up(world.deps, 2, SHA)
    assert world.warm_slot(2) is None  # the retired slot is not handed to PR 2


def test_the_reaper_retires_slots_of_closed_prs_and_lapsed_leases(world: World) -> None:
    world.fill("s0001", "s0002", "s0003")
    store = world.store
    assert store is not None
    pool.claim(store, 9, "gone", 86_400, world.now)  # PR 9 is closed and has no stack
    pool.claim(store, 3, "died", 600, world.now)  # PR 3 is open; its run died holding a claim
    world.clock.sleep(601)
    result = reap(world.deps)
    retired = {(r.pr, r.detail) for r in result.rows if r.action == "retired"}
    assert {pr for pr, _ in retired} == {9, 3}
    assert sorted(s.state for s in store.scan()) == ["free", "retiring", "retiring"]


def test_an_unreachable_pool_never_blocks_a_deploy(store: DynamoClaims) -> None:
    missing = DynamoClaims(store._db, "pp-pool-missing")
    w = World(missing, open_prs={1})
    result = up(w.deps, 1, SHA)
    assert result.outcome == "deployed" and w.warm_slot(1) is None
    assert "the warm pool is unavailable" in w.comment(1)


def test_without_a_pool_nothing_changes(store: DynamoClaims) -> None:
    w = World(None, open_prs={1})
    up(w.deps, 1, SHA)
    assert w.warm_slot(1) is None
    assert "no warm pool configured" in w.comment(1)
