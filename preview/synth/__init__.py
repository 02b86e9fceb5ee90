"""`preview synth`: the stack synthesized offline, with policies, cost, time-to-URL and diagram.

`synth_report(stack, config)` is what other commands call (the PR comment shows its
`cost_per_day_usd` and `mermaid`). Only stdlib at import time: Pulumi is loaded by the harness
when a report is actually built.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from contracts.errors import UsageError

if TYPE_CHECKING:
    from preview.synth.cost import CostEstimate
    from preview.synth.graph import ResourceLike
    from preview.synth.pool_cost import PoolCost
    from preview.synth.timing import CriticalPath, TimeToReady

__all__ = ["Figures", "SynthReport", "figures", "synth_report"]

T = TypeVar("T")


@dataclass(frozen=True)
class Figures:
    cost_per_day_usd: float
    time_to_url_s: float


@dataclass
class SynthReport:
    stack: str
    region: str
    resources: list[ResourceLike]
    outputs: dict[str, Any]
    policies: list[Any]
    cost: CostEstimate
    path: CriticalPath
    mermaid: str
    naive: Figures | None
    secrets: frozenset[str] = field(default_factory=frozenset)
    notes: list[str] = field(default_factory=list)
    # Previews: time to ready on the warm (pool slot) and the cold (own clone) path.
    ready: dict[str, TimeToReady] = field(default_factory=dict)
    pool: PoolCost | None = None

    @property
    def cost_per_day_usd(self) -> float:
        return self.cost.usd_per_day

    @property
    def time_to_url_s(self) -> float:
        return round(self.path.seconds, 1)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON interface of `preview synth --format json`, secrets masked."""
        from preview.synth.render import report_json

        return report_json(self)


def _validate(stack: str, config: Mapping[str, Any]) -> None:
    from components.config import ConfigError, load

    try:
        load(stack, config)
    except ConfigError as exc:
        raise UsageError(f"config {exc.key}: {exc.message}", hint=exc.hint) from None


def _synthesize(stack: str, config: Mapping[str, Any]) -> Any:
    from components.config import ConfigError
    from preview.synth.harness import synthesize

    _validate(stack, config)
    try:
        return synthesize(stack, config)
    except ConfigError as exc:
        raise UsageError(f"config {exc.key}: {exc.message}", hint=exc.hint) from None


def figures(resources: list[ResourceLike], region: str) -> Figures:
    from preview.synth.cost import estimate
    from preview.synth.timing import critical_path

    return Figures(estimate(resources, region).usd_per_day, critical_path(resources).seconds)


def _naive_figures(stack: str, config: Mapping[str, Any], region: str) -> Figures:
    from preview.synth import configfile

    naive = _synthesize(stack, configfile.naive_config(config))
    return figures(list(naive.resources), region)


def _in_background(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start fn(*args) in a forked worker and return what waits for its result.

    The naive design's synth is as slow as the real one (mostly importing pulumi_aws modules),
    so overlapping the two on a second CPU takes 0.2-0.6 s off `make synth`. Inline where fork
    is unsafe: not Linux, or threads already running (a process that has synthesized before
    holds Pulumi's worker threads, and a forked child can deadlock on their locks).
    """
    import threading

    if sys.platform != "linux" or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        result = fn(*args)
        return lambda: result
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    future = pool.submit(fn, *args)
    pool.shutdown(wait=False)
    return future.result


def _policies(resources: list[Any], stack: str, notes: list[str]) -> list[Any]:
    import importlib

    from preview.synth.configfile import REPO

    try:
        rules = importlib.import_module("policy.rules")
    except ModuleNotFoundError as exc:
        if exc.name not in ("policy", "policy.rules"):
            raise
        if not (REPO / "policy" / "rules.py").is_file():
            notes.append("safety policies not evaluated: policy/rules.py is not installed")
            return []
        # The pack lives next to the program, outside the installed packages.
        sys.path.insert(0, str(REPO))
        rules = importlib.import_module("policy.rules")
    return list(rules.evaluate(resources, stack))


# A claimed slot as `preview up` hands it to the stack (config `warmSlot`), for modelling only.
SAMPLE_SLOT = {
    "slot": "s0001",
    "clusterIdentifier": "pp-pool-s0001",
    "endpoint": "pp-pool-s0001.cluster-synth.us-east-1.rds.amazonaws.com",
    "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pp-pool-s0001-synth",
    "indexPrefix": "pool-s0001-",
    "securityGroupId": "sg-0synthpoolclients",
    "seeded": True,
}


def _ready(
    stack: str, config: Mapping[str, Any], path: Any, outputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Both paths of a new preview: the cold one is this synth (the stack clones staging); the
    warm one synthesizes the same config with a claimed slot, which owns no clone."""
    from contracts.outputs import PreviewOut
    from preview.synth.timing import critical_path, time_to_ready

    if config.get("warmSlot"):
        seeded = outputs.get(PreviewOut.PRE_SEEDED) is True
        return {"warm": time_to_ready(path, "warm", pre_seeded=seeded)}
    warm = _synthesize(stack, {**config, "warmSlot": SAMPLE_SLOT})
    seeded = warm.outputs.get(PreviewOut.PRE_SEEDED) is True
    return {
        "warm": time_to_ready(critical_path(list(warm.resources)), "warm", pre_seeded=seeded),
        "cold": time_to_ready(path, "cold"),
    }


def _pool_cost(region: str, notes: list[str]) -> Any:
    """Idle cost of the pool as Pulumi.pool.yaml sizes it (None without that file)."""
    from components.config import ConfigError, PoolConfig, load
    from preview.synth import configfile
    from preview.synth.pool_cost import pool_idle_cost
    from preview.synth.timing import SEED_S

    path = configfile.REPO / "Pulumi.pool.yaml"
    if not path.is_file():
        return None
    try:
        cfg = load("pool", configfile.read_stack_file(path))
    except ConfigError as exc:
        notes.append(f"pool cost not modelled: {exc.key} {exc.message}")
        return None
    assert isinstance(cfg, PoolConfig)
    return pool_idle_cost(
        cfg.size,
        max_age_hours=cfg.max_age_hours,
        auto_pause_seconds=cfg.db_auto_pause_seconds,
        seed_seconds=SEED_S,
        region=region,
    )


def synth_report(
    stack: str,
    config: Mapping[str, Any],
    *,
    region: str | None = None,
    naive: bool = True,
    ready: bool = True,
) -> SynthReport:
    """Synthesize `stack` with `config` (short keys, as `configfile` returns them) and measure it.

    `naive` also synthesizes the naive design (previews only) for comparison; `ready` also the
    warm path (a claimed pool slot) for time to ready on both paths. Raises a
    `contracts.errors.UsageError` for invalid config or a region the price table lacks.
    """
    from components import naming
    from preview.stackconfig import short_key
    from preview.synth import configfile
    from preview.synth.cost import DEFAULT_REGION, estimate, region_multiplier
    from preview.synth.diagram import mermaid
    from preview.synth.timing import critical_path

    try:
        sid = naming.parse_stack(stack)
    except naming.NamingError as exc:
        raise UsageError(exc.message, hint=exc.hint) from None
    # One spelling per key, so the naive overrides cannot leave a namespaced copy behind.
    config = {short_key(k): v for k, v in config.items()}
    region = region or configfile.region_of(config, DEFAULT_REGION)
    region_multiplier(region)  # fail on an unknown region before the slow part
    naive_result = (
        _in_background(_naive_figures, stack, config, region) if naive and sid.is_preview else None
    )
    synth = _synthesize(stack, config)
    notes: list[str] = []
    resources = list(synth.resources)
    path = critical_path(resources)
    return SynthReport(
        stack=stack,
        region=region,
        resources=resources,
        outputs=dict(synth.outputs),
        policies=_policies(resources, stack, notes),
        cost=estimate(resources, region),
        path=path,
        mermaid=mermaid(resources),
        naive=naive_result() if naive_result else None,
        secrets=configfile.secret_values(config),
        notes=notes,
        ready=_ready(stack, config, path, synth.outputs) if ready and sid.is_preview else {},
        pool=_pool_cost(region, notes) if sid.kind in ("preview", "pool") else None,
    )
