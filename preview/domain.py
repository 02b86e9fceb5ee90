"""The lifecycle's data: what the pipelines take, decide and return. Plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from preview.report import SmokeResult


@dataclass(frozen=True)
class TaggedResource:
    arn: str
    pr: int | None
    expires_at: datetime | None


@dataclass(frozen=True)
class DeleteOutcome:
    resource: TaggedResource
    action: str  # deleted | would delete | manual | failed
    detail: str = ""


@dataclass(frozen=True)
class Extras:
    """Figures from `preview.synth` for the comment; absent when synth is unavailable."""

    cost_per_day_usd: float | None = None
    mermaid: str = ""


@dataclass(frozen=True)
class Preview:
    """One live preview, as `ls` shows it."""

    pr: int
    stack: str
    sha: str
    branch: str
    updated_at: datetime | None
    expires_at: datetime | None
    url: str = ""
    smoke: str = ""
    cost_per_day_usd: float | None = None


@dataclass(frozen=True)
class Plan:
    pr: int
    sha: str
    branch: str
    stack: str
    config: dict[str, Any]
    expires_at: datetime
    action: Literal["create", "update", "queue", "evict"]
    live: int
    evict: Preview | None = None


@dataclass(frozen=True)
class UpResult:
    stack: str
    outcome: Literal["deployed", "superseded"]
    plan: Plan | None = None
    url: str = ""
    smoke: SmokeResult | None = None
    report: str = ""


@dataclass(frozen=True)
class Dequeued:
    pr: int
    run_id: int
    queued_at: datetime | None


@dataclass(frozen=True)
class DownResult:
    pr: int
    destroyed: bool  # a stack existed and is now gone
    indices_deleted: int | None  # None: the cleanup failed (see warnings)
    dequeued: tuple[Dequeued, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReapRow:
    pr: int
    stack: str
    reason: str  # why it is (not) an orphan
    # keep | destroyed | would destroy | deleted | would delete | manual | stray | failed | re-run
    action: str
    detail: str = ""


@dataclass(frozen=True)
class ReapResult:
    rows: list[ReapRow]
    leftovers: list[TaggedResource]

    @property
    def orphans(self) -> set[int]:
        return {r.pr for r in self.rows if r.action not in ("keep", "re-run")}


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
