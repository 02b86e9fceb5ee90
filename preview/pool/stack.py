"""The `pool` Pulumi stack as the `Provisioner`, and its config template (Pulumi.pool.yaml)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from contracts.errors import UsageError
from preview.pool.refill import PoolPolicy, SlotInfo


class PoolStack:
    """`Provisioner` over the `pool` Pulumi stack: its config is the template (Pulumi.pool.yaml)
    with `slots` set, applied by `pulumi up` through the Automation API adapter."""

    def __init__(self, automation: Any, template: Any, stack: str, out: Callable[[str], None]):
        self.automation = automation
        self.template = template
        self.stack = stack
        self.out = out

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
