"""Time to ready (URL + seed + health + smoke) on the warm and the cold path, and the pool's
idle cost: the figures `preview synth` reports and the issue's targets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from preview.synth.cost import pool_idle_cost
from preview.synth.timing import critical_path, time_to_ready, without_components
from tests.synth.graphs import COMPONENT, DB, DB_INSTANCE, SERVICE, SG, TG, res

CLONE = "platform:dbclone:DatabaseClone"


@pytest.fixture(scope="module")
def synth_json() -> dict[str, Any]:
    from click.testing import CliRunner

    from preview.synth.command import synth

    result = CliRunner().invoke(synth, ["--pr", "123", "--format", "json", "--no-naive"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_the_warm_path_is_ready_within_3_minutes_and_a_quarter_of_cold(
    synth_json: dict[str, Any],
) -> None:
    ready = synth_json["time_to_ready_s"]
    assert ready["warm"] <= 180
    assert ready["warm"] <= ready["cold"] / 4


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


def test_the_warm_graph_drops_the_clone_and_the_waits_on_it() -> None:
    """A service that waited for the clone's instance (840 s) now waits only for its target
    group: the path is tg -> svc."""
    resources = [
        res("db", CLONE),
        res("db-sg", SG, parent="db"),
        res("db-cluster", DB, parent="db", deps=["db-sg"]),
        res("db-instance", DB_INSTANCE, parent="db", deps=["db-cluster"]),
        res("tg", TG),
        res("svc", SERVICE, deps=["db-instance", "tg"]),
        res("other", COMPONENT),
    ]
    assert critical_path(resources).seconds == 4 + 360 + 480 + 75
    warm = without_components(resources, CLONE)
    assert [r.name for r in warm] == ["tg", "svc", "other"]
    assert critical_path(warm).seconds == 10 + 75


def test_cold_seeds_search_while_warm_resumes_the_paused_slot() -> None:
    path = critical_path([res("svc", SERVICE)])
    cold, warm = time_to_ready(path, "cold"), time_to_ready(path, "warm")
    by_name = {s.step: s.seconds for s in warm.steps}
    assert by_name["seed search"] == 0 and by_name["resume paused slot"] > 0
    assert {s.step: s.seconds for s in cold.steps}["seed search"] > 0
    assert "resume paused slot" not in {s.step for s in cold.steps}


def test_a_shorter_slot_lifetime_costs_more_wake_ups() -> None:
    """Each replacement seeds the new slot and keeps it awake until it pauses again."""
    day = pool_idle_cost(3, max_age_hours=24, auto_pause_seconds=300, seed_seconds=60)
    hours6 = pool_idle_cost(3, max_age_hours=6, auto_pause_seconds=300, seed_seconds=60)
    assert hours6.lines[0].usd_per_day == pytest.approx(4 * day.lines[0].usd_per_day, rel=0.02)
    assert hours6.usd_per_day > day.usd_per_day
