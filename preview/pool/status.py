"""What `preview pool status` and `preview ls` show of the pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from preview.pool.store import ClaimStore, Slot, State


@dataclass(frozen=True)
class Status:
    slots: list[Slot]

    def count(self, state: State) -> int:
        return sum(1 for s in self.slots if s.state == state)


def status(store: ClaimStore) -> Status:
    return Status(store.scan())


def rows(slots: Sequence[Slot], now: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Table of `preview pool status` / `preview ls`: slot, state, claimed by, age, lease."""
    out = []
    for s in slots:
        by = f"pr-{s.claim_pr} (run {s.claim_run})" if s.claim_pr is not None else "-"
        lease = _age(s.lease_expires_at - now) if s.lease_expires_at is not None else "-"
        out.append((s.slot, s.state, by, _age(now - s.created_at), lease, s.cluster_identifier))
    return ["SLOT", "STATE", "CLAIMED BY", "AGE", "LEASE LEFT", "CLUSTER"], out


def _age(seconds: int) -> str:
    if seconds < 0:
        return "expired"
    h, rem = divmod(seconds, 3600)
    return f"{h}h{rem // 60:02d}m" if h else f"{rem // 60}m"
