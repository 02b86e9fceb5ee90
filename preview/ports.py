"""The lifecycle's outside world: one protocol per system, and `Deps`, built once per command.

Pulumi comes in through `preview.automation.Automation`, GitHub through `Reporter`, AWS through
`SmokeRunner` / `TaggedResources` / `StrayDeleter` / `IndexCleaner`, so the pipelines run in
tests against fakes and the commands only wire the real adapters (`preview.wiring`). An adapter
a command does not need is a null object, so the pipelines never branch on a missing one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from contracts.errors import UsageError
from preview.automation import Automation, this_host
from preview.domain import DeleteOutcome, Extras, TaggedResource
from preview.report import QueuedPR, QueueEntry, SmokeResult
from preview.settings import Settings

if TYPE_CHECKING:
    from preview.pool import ClaimStore


class Reporter(Protocol):
    """What the pipeline tells GitHub (implemented by preview.github.GitHubReporter)."""

    def comment(self, pr: int, body: str) -> None: ...

    def deployment(self, pr: int, sha: str, state: str, url: str = "", logs_url: str = "") -> None:
        """Record a status of environment pr-<N>: in_progress|success|failure|inactive."""
        ...

    def open_prs(self) -> set[int]: ...

    def head_sha(self, pr: int) -> str | None: ...

    def smoke_state(self, pr: int) -> str: ...

    def queue_entry(self, pr: int) -> QueueEntry | None:
        """The queue record in the PR's comment, if it has one."""
        ...

    def queued(self) -> list[QueuedPR]:
        """Every PR (open or closed) carrying the queue label."""
        ...

    def set_queued(self, pr: int, queued: bool) -> None:
        """Add or drop the queue label (dropping an absent label is fine)."""
        ...

    def rerun(self, pr: int, run_id: int | None, workflow: str) -> int:
        """Re-run the PR's preview workflow run; returns the run id. Raises when refused."""
        ...


class SmokeRunner(Protocol):
    def run(
        self, state_machine_arn: str, name: str, payload: Mapping[str, Any], log_group: str = ""
    ) -> SmokeResult: ...


class TaggedResources(Protocol):
    def find(self) -> list[TaggedResource]: ...


class StrayDeleter(Protocol):
    """Deletes tagged resources no stack owns, by ARN (implemented by preview.strays)."""

    def delete(
        self, resources: Iterable[TaggedResource], *, dry_run: bool = False
    ) -> list[DeleteOutcome]: ...


class IndexCleaner(Protocol):
    """Deletes the PR's search indices `pr-<N>-*` before its stack is destroyed; `outputs` are
    the stack's (the cleanup runs in the preview's own VPC task). Returns the count, if known."""

    def delete(self, pr: int, outputs: Mapping[str, Any]) -> int | None: ...


class NoReporter:
    """No GitHub (token or repository unset): nothing is reported, nothing is queued."""

    def comment(self, pr: int, body: str) -> None:
        return None

    def deployment(self, pr: int, sha: str, state: str, url: str = "", logs_url: str = "") -> None:
        return None

    def open_prs(self) -> set[int]:
        # Without GitHub every PR would look closed: refuse rather than reap live previews.
        raise UsageError(
            "the reaper needs GitHub to know which PRs are open",
            hint="set GITHUB_TOKEN and PREVIEW_REPOSITORY",
        )

    def head_sha(self, pr: int) -> str | None:
        return None

    def smoke_state(self, pr: int) -> str:
        return ""

    def queue_entry(self, pr: int) -> QueueEntry | None:
        return None

    def queued(self) -> list[QueuedPR]:
        return []

    def set_queued(self, pr: int, queued: bool) -> None:
        return None

    def rerun(self, pr: int, run_id: int | None, workflow: str) -> int:
        raise UsageError(f"cannot re-run pr-{pr} without GitHub", hint="set GITHUB_TOKEN")


class NoTagged:
    """No tagging API: no stray resources are seen."""

    def find(self) -> list[TaggedResource]:
        return []


class NoStrays:
    """No stray deleter: strays are reported as leftovers, never deleted."""

    def delete(
        self, resources: Iterable[TaggedResource], *, dry_run: bool = False
    ) -> list[DeleteOutcome]:
        return []


class NoIndices:
    """A command that deletes no indices."""

    def delete(self, pr: int, outputs: Mapping[str, Any]) -> int | None:
        return 0


def no_extras(pr: int, config: Mapping[str, Any]) -> Extras:
    return Extras()


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    automation: Automation
    reporter: Reporter = field(default_factory=NoReporter)
    smoke: SmokeRunner | None = None
    tagged: TaggedResources = field(default_factory=NoTagged)
    strays: StrayDeleter = field(default_factory=NoStrays)
    indices: IndexCleaner = field(default_factory=NoIndices)
    extras: Callable[[int, Mapping[str, Any]], Extras] = no_extras
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = lambda s: None
    out: Callable[[str], None] = _stderr
    pid_alive: Callable[[int], bool] = pid_alive
    host: str = field(default_factory=this_host)
    # The warm pool's claims store; None: no pool, every new preview clones (the cold path).
    pool: ClaimStore | None = None
