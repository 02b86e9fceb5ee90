"""Time to ready (URL + seed + health + smoke) on the warm and the cold path, and the pool's
idle cost: the figures `preview synth` reports and the issue's targets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from preview.synth.pool_cost import pool_idle_cost
from preview.synth.timing import critical_path, time_to_ready
from tests.synth.graphs import SERVICE, res


@pytest.fixture(scope="module")
def synth_json() -> dict[str, Any]:
    from click.testing import CliRunner

    from preview.synth.command import synth

    result = CliRunner().invoke(synth, ["--pr", "123", "--format", "json", "--no-naive"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_the_warm_path_is_ready_in_under_a_quarter_of_the_cold_path(
    synth_json: dict[str, Any],
) -> None:
    """Same run, same config: the warm stack's `up` has no clone on its critical path."""
    ready = synth_json["time_to_ready_s"]
    assert ready["warm"] <= ready["cold"] / 4
    warm_steps = {s["step"]: s["seconds"] for s in synth_json["time_to_ready_steps"]["warm"]}
    assert warm_steps["stack up to URL"] < synth_json["time_to_url_s"] / 4


def test_a_new_warm_preview_is_ready_within_three_minutes(synth_json: dict[str, Any]) -> None:
    """Its slot's indices were seeded by the pool's seeder before the slot turned free, so the
    seed step costs it nothing; the cold path seeds after its clone exists."""
    assert synth_json["time_to_ready_s"]["warm"] <= 180
    steps = synth_json["time_to_ready_steps"]
    seeds = {path: [s for s in steps[path] if s["step"] == "seed search"] for path in steps}
    assert seeds["warm"][0]["seconds"] == 0 and "seeder" in seeds["warm"][0]["source"]
    assert seeds["cold"][0]["seconds"] > 0


def test_a_warm_preview_that_seeds_its_own_indices_waits_for_the_seed() -> None:
    path = critical_path([res("svc", SERVICE)])
    own = time_to_ready(path, "warm")
    pre = time_to_ready(path, "warm", pre_seeded=True)
    assert own.seconds - pre.seconds == pytest.approx(60.0)


def test_the_seeder_is_part_of_a_slots_idle_cost() -> None:
    without = pool_idle_cost(1, max_age_hours=24, auto_pause_seconds=300)
    seeded = pool_idle_cost(1, max_age_hours=24, auto_pause_seconds=300, seed_seconds=60)
    names = {line.resource for line in seeded.lines}
    assert {"slot seeder", "slot indices"} <= names
    assert seeded.usd_per_slot_per_day > without.usd_per_slot_per_day


def test_each_step_has_a_duration_and_a_source(synth_json: dict[str, Any]) -> None:
    steps = synth_json["time_to_ready_steps"]
    for path in ("warm", "cold"):
        names = [s["step"] for s in steps[path]]
        assert names[-3:] == ["seed search", "wait healthy", "smoke suite"]
        assert all(s["source"] for s in steps[path])
        assert sum(s["seconds"] for s in steps[path]) == pytest.approx(
            synth_json["time_to_ready_s"][path]
        )
    # The cold path's `up` is the URL critical path of the very same run.
    (cold_up,) = [s for s in steps["cold"] if s["step"] == "stack up to URL"]
    assert cold_up["seconds"] == synth_json["time_to_url_s"]


def test_a_pool_slot_idles_for_under_ten_cents_a_day(synth_json: dict[str, Any]) -> None:
    pool = synth_json["pool"]
    assert 0 < pool["idle_usd_per_slot_per_day"] <= 0.10
    assert pool["idle_usd_per_day"] == pytest.approx(
        pool["idle_usd_per_slot_per_day"] * pool["slots"]
    )


def test_only_the_warm_path_claims_and_resumes_a_paused_slot() -> None:
    path = critical_path([res("svc", SERVICE)])
    cold, warm = time_to_ready(path, "cold"), time_to_ready(path, "warm")
    assert {s.step for s in warm.steps} - {s.step for s in cold.steps} == {
        "claim pool slot",
        "resume paused slot",
    }
    assert warm.seconds > cold.seconds  # same `up` path: the claim and the resume only add


def test_a_shorter_slot_lifetime_costs_more_wake_ups() -> None:
    """Each replacement makes a new instance, awake until its first auto-pause."""
    day = pool_idle_cost(3, max_age_hours=24, auto_pause_seconds=300)
    hours6 = pool_idle_cost(3, max_age_hours=6, auto_pause_seconds=300)
    assert hours6.lines[0].usd_per_day == pytest.approx(4 * day.lines[0].usd_per_day, rel=0.02)
    assert hours6.usd_per_day > day.usd_per_day
