"""`preview pool status | refill | refresh`: the warm database pool (see preview/pool/).

Run by the reaper's schedule and after each staging deploy. Only stdlib and click at top level
(see preview/cli.py).
"""

from __future__ import annotations

import json
from typing import Any

import click


def _context() -> tuple[Any, Any, Any]:
    """(settings, claims store, pool config), or a UsageError naming what is missing."""
    from contracts.errors import UsageError
    from preview import aws
    from preview.pool import DynamoClaims, pool_config
    from preview.settings import load_settings

    settings = load_settings()
    if not settings.pool_template.is_file():
        raise UsageError(
            f"pool template {settings.pool_template} does not exist",
            hint="create Pulumi.pool.yaml (see README, Warm pool) or set PREVIEW_POOL_TEMPLATE",
        )
    cfg = pool_config(settings.pool_template)
    table = settings.pool_table or cfg.claims_table
    store = DynamoClaims(aws.client("dynamodb", settings.aws_region), table)
    return settings, store, cfg


def _echo(line: str) -> None:
    from preview.console import echo

    echo(line)


def _now() -> int:
    import time

    return int(time.time())


def _show(slots: list[Any], now: int) -> None:
    from preview import pool
    from preview.tables import table

    _echo(table(*pool.rows(slots, now)))


@click.group("pool")
def pool() -> None:
    """The warm database pool: paused clones of staging that a new preview claims in seconds."""


@pool.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per slot.")
def status(as_json: bool) -> None:
    """List slots: state, claimed by (PR and run), age, lease left, cluster."""
    from preview import pool as poolmod

    _, store, cfg = _context()
    now = _now()
    st = poolmod.status(store)
    if as_json:
        for s in st.slots:
            _echo(json.dumps({**s.__dict__, "age_s": now - s.created_at}))
        return
    _show(st.slots, now)
    _echo(f"{st.count('free')} free of size {cfg.size}; {st.count('claimed')} claimed")


def _maintain(refresh_stale: bool) -> None:
    from contracts.constants import SEED_TIMEOUT_S
    from contracts.errors import UnavailableError
    from preview import pool as poolmod
    from preview.automation import PulumiAutomation
    from preview.wiring import state_machines

    settings, store, cfg = _context()
    now = _now()
    automation = PulumiAutomation(
        work_dir=settings.work_dir,
        project=settings.project,
        backend_url=settings.pulumi_backend_url,
    )
    # Slots made before staging's last deploy are stale: they miss its schema and data.
    staging = next((s for s in automation.list_stacks() if s.name == "staging"), None)
    deployed = int(staging.last_update.timestamp()) if staging and staging.last_update else 0
    for s in poolmod.expire(store, now):
        _echo(f"{s.slot}: lease of pr-{s.claim_pr} expired; retiring the slot")
    # A seed syncs the whole staging data set: its task's timeout, plus the task's start.
    machines = state_machines(settings.aws_region, SEED_TIMEOUT_S + 300)
    stack = poolmod.PoolStack(
        automation, settings.pool_template, settings.pool_stack, _echo, machines
    )
    run = poolmod.refresh if refresh_stale else poolmod.refill
    result = run(store, stack, poolmod.policy_of(cfg), now, deployed)
    for what, ids in (
        ("created", result.created),
        ("destroyed", result.destroyed),
        ("refreshed", result.refreshed),
    ):
        if ids:
            _echo(f"{what}: {', '.join(ids)}")
    _show(store.scan(), _now())
    if result.error:
        raise UnavailableError(
            f"pool update failed: {result.error}",
            hint="the slots listed free are still usable; re-run `preview pool refill`",
        )


@pool.command("refill")
def refill() -> None:
    """Make free slots up to the pool size; destroy released and expired slots."""
    _maintain(refresh_stale=False)


@pool.command("refresh")
def refresh() -> None:
    """Refill, then replace slots older than maxAgeHours or made before staging's last deploy,
    one at a time, so the pool never has fewer free slots than its size."""
    _maintain(refresh_stale=True)
