"""The `pool` Pulumi stack as the `Provisioner`, and its config template (Pulumi.pool.yaml)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from contracts.constants import CLEANUP_INPUT
from contracts.errors import PreviewError, UsageError
from preview.pool.refill import PoolPolicy, SlotInfo
from preview.pool.store import Slot


class PoolStack:
    """`Provisioner` over the `pool` Pulumi stack: its config is the template (Pulumi.pool.yaml)
    with `slots` set, applied by `pulumi up` through the Automation API adapter; each slot's
    seeder is run by `machines` (preview/aws.py StepFunctionsSmoke: start, wait, read the
    failing task's log)."""

    def __init__(
        self,
        automation: Any,
        template: Any,
        stack: str,
        out: Callable[[str], None],
        machines: Any = None,
    ):
        self.automation = automation
        self.template = template
        self.stack = stack
        self.out = out
        self.machines = machines

    def seed(self, slot: str, info: SlotInfo) -> str:
        return self._run(slot, "seed", info.seed_machine_arn, info.seed_log_group, {})

    def clean(self, slot: Slot) -> str:
        if not slot.seed_machine_arn:
            return ""  # made before slots had seeders: it has no indices
        return self._run(
            slot.slot, "clean", slot.seed_machine_arn, slot.seed_log_group, CLEANUP_INPUT
        )

    def _run(self, slot: str, what: str, machine: str, logs: str, payload: dict[str, Any]) -> str:
        if self.machines is None or not machine:
            return f"no seeder to {what} {slot} with (is the pool stack up to date?)"
        self.out(f"{slot}: {what}ing its search indices ({machine})")
        try:
            result = self.machines.run(machine, f"{what}-{slot}-{time.time_ns()}", payload, logs)
        except PreviewError as exc:  # one slot's seeder, not the whole refill
            return exc.message
        return "" if result.passed else f"{result.status}: {result.detail}"

    def config(self, slots: Sequence[str]) -> dict[str, Any]:
        cfg = load_pool_template(self.template)
        cfg["slots"] = list(slots)
        return cfg

    def apply(self, slots: Sequence[str]) -> dict[str, SlotInfo]:
        outputs = self.automation.up(self.stack, self.config(slots), self.out)
        raw = outputs.get("slots") or {}
        return {
            sid: SlotInfo(
                cluster_identifier=str(v.get("clusterIdentifier", "")),
                endpoint=str(v.get("endpoint", "")),
                secret_arn=str(v.get("secretArn", "")),
                index_prefix=str(v.get("indexPrefix", "")),
                security_group_id=str(v.get("securityGroupId", "")),
                seed_machine_arn=str(v.get("seedMachineArn", "")),
                seed_log_group=str(v.get("seedLogGroupName", "")),
            )
            for sid, v in raw.items()
            if isinstance(v, Mapping)
        }


def load_pool_template(path: Any) -> dict[str, Any]:
    """The pool stack's config template, validated (a ConfigError becomes a UsageError)."""
    from pathlib import Path

    from components import config as stack_cfg
    from preview.stackconfig import read_stack_file

    cfg = read_stack_file(
        Path(path),
        role="pool template",
        missing_hint="create Pulumi.pool.yaml (README, Warm pool) or set PREVIEW_POOL_TEMPLATE",
        secure_placeholder=False,
    )
    try:
        stack_cfg.load("pool", cfg)
    except stack_cfg.ConfigError as exc:
        raise UsageError(f"{path}: {exc.key} {exc.message}", hint=exc.hint) from None
    return cfg


def pool_config(path: Any) -> Any:
    """The typed PoolConfig of the template (size, lifetime, lease, table)."""
    from components import config as stack_cfg

    return stack_cfg.load("pool", load_pool_template(path))


def policy_of(cfg: Any) -> PoolPolicy:
    return PoolPolicy(size=int(cfg.size), max_age_s=int(cfg.max_age_hours * 3600))
