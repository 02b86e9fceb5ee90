"""The warm pool's idle cost per day: what a free slot (components/pool.py) costs while it waits
for a claim. `preview synth` prints it next to the preview's own cost."""

from __future__ import annotations

from dataclasses import dataclass

from preview.synth import prices as p
from preview.synth.cost import DEFAULT_REGION, CostLine, monthly, region_multiplier

# The seeder's tools task (components/smokegate.py: cpu 512, memory 1024).
SEED_VCPU, SEED_GB = 0.5, 1.0


@dataclass(frozen=True)
class PoolCost:
    """What a free (idle) pool slot costs per day, line by line, and the pool in total."""

    slots: int
    lines: list[CostLine]

    @property
    def usd_per_slot_per_day(self) -> float:
        return round(sum(line.usd_per_day for line in self.lines), 4)

    @property
    def usd_per_day(self) -> float:
        return round(self.usd_per_slot_per_day * self.slots, 4)


def pool_idle_cost(
    slots: int,
    *,
    max_age_hours: float,
    auto_pause_seconds: int,
    seed_seconds: float = 0.0,
    region: str = DEFAULT_REGION,
) -> PoolCost:
    """Idle cost of a pool of `slots` free slots (components/pool.py), replaced every
    `max_age_hours`. A free slot is a copy-on-write clone whose instance is paused at 0 ACU: it
    is awake once per lifetime, from its creation (plus `seed_seconds` of its seeder reading it)
    until `auto_pause_seconds` of idleness pause it, and it stores only the pages it changed.
    Its seeder is one tools task of `seed_seconds` per lifetime; its indices live in staging's
    search domain, whose instances are paid by staging."""
    factor = region_multiplier(region)
    awake_h = (seed_seconds + auto_pause_seconds) / 3600
    per_day = p.HOURS_PER_DAY / max_age_hours
    acu = awake_h * per_day * p.AURORA_AWAKE_ACU * p.AURORA_ACU_HOUR
    storage = monthly(p.AURORA_POOL_CHANGED_GB * p.AURORA_STORAGE_GB_MONTH)
    seed_h = seed_seconds / 3600 * per_day
    seeder = seed_h * (SEED_VCPU * p.FARGATE_VCPU_HOUR + SEED_GB * p.FARGATE_GB_HOUR)
    indices = monthly(p.POOL_INDEX_GB * p.OPENSEARCH_GP3_GB_MONTH)
    lines = [
        CostLine(
            "slot instance",
            "aws:rds/clusterInstance:ClusterInstance",
            round(acu * factor, 4),
            f"paused at 0 ACU; awake {awake_h * 60:.0f} min per {max_age_hours:g} h lifetime "
            f"(from creation through its seed until auto-pause) at {p.AURORA_AWAKE_ACU} ACU "
            f"x ${p.AURORA_ACU_HOUR}/ACU-h",
        ),
        CostLine(
            "slot cluster",
            "aws:rds/cluster:Cluster",
            round(storage * factor, 4),
            f"{p.AURORA_POOL_CHANGED_GB:g} GB changed pages of an unused clone "
            f"x ${p.AURORA_STORAGE_GB_MONTH}/GB-month",
        ),
        CostLine(
            "slot seeder",
            "aws:ecs/taskDefinition:TaskDefinition",
            round(seeder * factor, 4),
            f"one tools task ({SEED_VCPU:g} vCPU, {SEED_GB:g} GB) of {seed_seconds:g} s per "
            f"lifetime at ${p.FARGATE_VCPU_HOUR}/vCPU-h + ${p.FARGATE_GB_HOUR}/GB-h",
        ),
        CostLine(
            "slot indices",
            "aws:opensearch/domain:Domain",
            round(indices * factor, 4),
            f"{p.POOL_INDEX_GB:g} GB in staging's domain x ${p.OPENSEARCH_GP3_GB_MONTH}/GB-month "
            "gp3 (its instances are staging's)",
        ),
        CostLine(
            "claims table",
            "aws:dynamodb/table:Table",
            0.0,
            "on-demand: a few reads and writes per preview, storage of a few KB (free tier)",
        ),
    ]
    return PoolCost(slots, lines)
