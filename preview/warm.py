"""The warm path of the pipelines: `up` claims a pool slot, teardown and the reaper hand it back.

Rules (preview/pool/ holds the claims store and proves the atomicity):
* A new preview claims a free slot with a lease of `PREVIEW_POOL_LEASE_MINUTES` and gets config
  `warmSlot`; after it deployed, the lease is renewed to the preview's expiry plus an hour, so
  the reaper tears the preview down before its claim can lapse. Every push renews it again.
* A preview that started cold stays cold (its own clone holds its data); one whose slot was
  taken away (lease lapsed, reaped) falls back to a clone of its own.
* No pool, an empty pool, or a pool that cannot be reached: the cold path, with the reason in
  the PR comment. The pool never blocks a deploy.
* Teardown releases the PR's slot (retired: `preview pool refill` destroys and replaces it); the
  reaper also retires slots of closed PRs and lapsed leases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from contracts.errors import PreviewError
from preview import pool
from preview.automation import StackNotFound
from preview.domain import Plan
from preview.ports import Deps

KEY = "warmSlot"


@dataclass(frozen=True)
class DbPath:
    kind: Literal["warm", "cold"]
    slot: str = ""
    reason: str = ""


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _prior(deps: Deps, p: Plan) -> dict[str, Any] | None:
    """The warmSlot the stack was deployed with (None: it has its own clone, or no config)."""
    try:
        raw = deps.automation.get_config(p.stack).get(KEY)
    except StackNotFound:
        return None
    if not raw:
        return None
    value = json.loads(raw) if isinstance(raw, str) else raw
    return dict(value) if isinstance(value, dict) else None


def choose(deps: Deps, p: Plan) -> DbPath:
    """Claim or keep a pool slot for this push; sets `p.config[warmSlot]` on the warm path."""
    store = deps.pool
    if store is None:
        return DbPath("cold", reason="no warm pool configured (PREVIEW_POOL_TABLE)")
    now = _epoch(deps.now())
    lease = deps.settings.pool_lease_minutes * 60
    run = str(deps.settings.run_id or "")
    try:
        if p.action == "update":
            prior = _prior(deps, p)
            if prior is None:
                return DbPath("cold", reason="this preview already has its own clone")
            held = pool.renew(store, p.pr, now + lease, run=run)
            if held is None or held.slot != prior.get("slot"):
                return DbPath("cold", reason=f"its pool slot {prior.get('slot')} was reclaimed")
        else:
            held = pool.claim(store, p.pr, run, lease, now)
            if held is None:
                return DbPath("cold", reason="the warm pool has no free slot")
    except PreviewError as exc:  # the pool is an accelerator, never a reason to fail a deploy
        deps.out(f"warning: warm pool unavailable ({exc.message}); cloning staging")
        return DbPath("cold", reason=f"the warm pool is unavailable: {exc.message}")
    p.config[KEY] = held.warm_config()
    return DbPath("warm", slot=held.slot)


def confirm(deps: Deps, p: Plan, path: DbPath) -> None:
    """After a deploy: the claim lasts until the preview expires (plus an hour for the reaper)."""
    if path.kind == "warm" and deps.pool is not None:
        until = p.expires_at + timedelta(hours=1)
        try:
            pool.renew(deps.pool, p.pr, _epoch(until))
        except PreviewError as exc:
            deps.out(f"warning: could not extend the lease of {path.slot}: {exc.message}")


def release(deps: Deps, pr: int) -> list[str]:
    """Retire the slot a torn-down PR held (idempotent; no pool: nothing to do)."""
    if deps.pool is None:
        return []
    return pool.release(deps.pool, pr)


def reclaim(deps: Deps, open_prs: set[int]) -> list[pool.Slot]:
    """The reaper's part: retire slots of closed PRs and of lapsed leases."""
    if deps.pool is None:
        return []
    return pool.reclaim(deps.pool, open_prs) + pool.expire(deps.pool, _epoch(deps.now()))


def note(path: DbPath, steps: list[tuple[str, timedelta]]) -> str:
    """The PR comment's line on the path taken and how long each step took."""
    timed = " · ".join(f"{name} {_duration(d)}" for name, d in steps)
    if path.kind == "warm":
        return f"Database: warm pool slot {path.slot} (no clone to wait for). {timed}"
    return f"Database: own clone of staging, cold path ({path.reason}). {timed}"


def _duration(d: timedelta) -> str:
    m, s = divmod(round(d.total_seconds()), 60)
    return f"{m}m {s:02d}s" if m else f"{s}s"
