"""What the pipeline knows of Pulumi: the `Automation` protocol and the data it returns."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

Output = Callable[[str], None]
Program = Callable[[], None]


@dataclass(frozen=True)
class Secret:
    """A config value Pulumi must store encrypted (`pulumi config set --secret`)."""

    value: str

    def __repr__(self) -> str:  # never leaks through a log line or a traceback
        return "Secret(***)"


@dataclass(frozen=True)
class LockInfo:
    """Who holds a stack lock and since when (from the backend's lock file)."""

    holder: str  # "user@host"
    hostname: str
    pid: int
    acquired_at: datetime
    key: str = ""  # backend-specific handle of the lock file, used by break_lock


@dataclass(frozen=True)
class StackSummary:
    name: str
    last_update: datetime | None
    update_in_progress: bool
    resource_count: int | None


class Automation(Protocol):
    """What the pipeline needs from Pulumi; every method raises only the errors of `errors`."""

    def list_stacks(self) -> list[StackSummary]: ...

    def up(self, stack: str, config: Mapping[str, Any], on_output: Output) -> dict[str, Any]:
        """Create or select `stack`, replace its config with `config`, run `up`; return outputs."""
        ...

    def refresh(self, stack: str, on_output: Output) -> None: ...

    def destroy(self, stack: str, on_output: Output) -> None: ...

    def remove(self, stack: str) -> None: ...

    def outputs(self, stack: str) -> dict[str, Any]: ...

    def get_config(self, stack: str) -> dict[str, str]: ...

    def lock(self, stack: str) -> LockInfo | None: ...

    def break_lock(self, stack: str, lock: LockInfo) -> None: ...


def parse_time(value: Any) -> datetime | None:
    """A timestamp as Pulumi or its backend writes it, in UTC; None when absent or unreadable."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).replace("Z", "+00:00")
    # Go writes nanoseconds; Python parses at most microseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def this_host() -> str:
    return socket.gethostname()
