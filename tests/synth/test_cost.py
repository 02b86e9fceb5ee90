from __future__ import annotations

import pytest

from preview.synth import prices
from preview.synth.cost import PriceError, estimate, spot_split
from tests.synth.graphs import ALB, DB, DB_INSTANCE, NAT, SERVICE, TASK, res


def test_total_is_the_sum_of_hourly_resources() -> None:
    """ALB $0.0225/h + NAT $0.045/h over 24 h: 0.54 + 1.08 = $1.62/day."""
    assert estimate([res("alb", ALB), res("nat", NAT)]).usd_per_day == 1.62


def test_region_multiplier_scales_prices() -> None:
    """eu-central-1 is priced at 1.18 x us-east-1: one ALB is 0.54 x 1.18 = $0.64/day."""
    assert estimate([res("alb", ALB)], "eu-central-1").usd_per_day == 0.64


def test_unknown_region_names_the_region_and_the_fix() -> None:
    """A region missing from the table fails loudly instead of pricing it as us-east-1."""
    with pytest.raises(PriceError, match="mars-east-1") as err:
        estimate([res("alb", ALB)], "mars-east-1")
    assert "us-east-1" in err.value.hint


def test_spot_split_places_base_first_then_by_weight() -> None:
    """3 tasks, FARGATE base 1 weight 0, FARGATE_SPOT weight 1: 1 on-demand, 2 on Spot."""
    strategies = [
        {"capacityProvider": "FARGATE", "base": 1, "weight": 0},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1},
    ]
    assert spot_split(3, strategies) == (1, 2)


def test_spot_service_costs_thirty_percent_of_on_demand() -> None:
    """1 task of 1 vCPU / 2 GB on Spot: (0.04048 + 2 x 0.004445) x 24 x 0.30 = $0.3555/day."""
    task = res("task", TASK, inputs={"cpu": "1024", "memory": "2048"})
    svc = res(
        "svc",
        SERVICE,
        deps=["task"],
        inputs={
            "desiredCount": 1,
            "capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        },
    )
    line = estimate([task, svc]).lines[0]
    assert line.usd_per_day == pytest.approx(0.3555, abs=1e-4)


def test_paused_aurora_costs_less_than_a_half_acu_floor() -> None:
    """min 0 ACU pauses when idle; a 0.5 ACU floor pays 0.5 x 24 ACU-hours every day."""

    def instance_cost(min_acu: float) -> float:
        cluster = res(
            "c", DB, inputs={"serverlessv2ScalingConfiguration": {"minCapacity": min_acu}}
        )
        inst = res("i", DB_INSTANCE, deps=["c"], inputs={"instanceClass": "db.serverless"})
        return next(li.usd_per_day for li in estimate([cluster, inst]).lines if li.resource == "i")

    assert instance_cost(0) < instance_cost(0.5) == pytest.approx(0.5 * 24 * prices.AURORA_ACU_HOUR)


def test_unknown_resource_type_is_reported_unpriced() -> None:
    """A type with no price rule and not known to be free is listed, not silently free."""
    est = estimate([res("w", "aws:newservice/widget:Widget")])
    assert est.unpriced == ["aws:newservice/widget:Widget"]


def test_unknown_opensearch_instance_type_is_an_error() -> None:
    """An instance type missing from the table is named in the error."""
    domain = res(
        "d",
        "aws:opensearch/domain:Domain",
        inputs={"clusterConfig": {"instanceType": "x99.huge.search", "instanceCount": 1}},
    )
    with pytest.raises(PriceError, match=r"x99\.huge\.search"):
        estimate([domain])
