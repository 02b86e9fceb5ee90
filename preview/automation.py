"""The one adapter over Pulumi's Automation API, behind the small `Automation` protocol.

The lifecycle pipeline only talks to the protocol, so an in-memory fake can drive it in tests;
`PulumiAutomation` is the real implementation (it needs the `pulumi` CLI at run time).

Error translation (everything the pipeline sees is a PreviewError):
  ConcurrentUpdateError                    -> StackLocked   (exit 4, another update holds the lock)
  StackNotFoundError                       -> StackNotFound (the stack is already gone)
  CommandError that looks transient        -> TransientError (throttling, 5xx, network: retry)
  any other CommandError                   -> CommandFailed (the streamed output says why)

Locks. A DIY backend (s3://, file://) marks an update in progress with one JSON file per holder
under `.pulumi/locks/organization/<project>/<stack>/<uuid>.json` holding `pid`, `username`,
`hostname` and `timestamp`; `lock()` reads it and `break_lock()` deletes exactly that file.
On Pulumi Cloud the service itself expires dead updates, so `lock()` returns None there and the
pipeline can only wait (it never calls `pulumi cancel`, which would kill a live update).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from contracts.errors import LockedError, NotFoundError, UnavailableError, UsageError

Output = Callable[[str], None]


class StackLocked(LockedError):
    """Another update holds the stack lock."""


class StackNotFound(NotFoundError):
    """The stack does not exist (for `down` this means: already removed)."""


class TransientError(UnavailableError):
    """A failure worth retrying: throttling, 5xx, a dropped connection."""


class CommandFailed(UnavailableError):
    """Pulumi ran and failed for a reason retrying will not fix."""


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
    """What the pipeline needs from Pulumi; every method raises only the errors above."""

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


_TRANSIENT = re.compile(
    r"throttl|rate exceeded|too many requests|requestlimitexceeded|\b(429|500|502|503|504)\b|"
    r"connection (reset|refused)|timed? ?out|temporarily unavailable|internal ?error|"
    r"serviceunavailable|EOF",
    re.IGNORECASE,
)


def translate(exc: BaseException, stack: str) -> Exception:
    """Map an Automation API exception onto the PreviewError the pipeline understands."""
    from pulumi import automation as auto

    text = str(exc)
    if isinstance(exc, FileNotFoundError) and "pulumi" in str(exc.filename or ""):
        return UsageError(
            "the Pulumi CLI is not installed (no `pulumi` on PATH)",
            hint="install it (https://www.pulumi.com/docs/install/; in CI the pulumi/actions "
            "step) and re-run; `preview synth` works without it",
        )
    if isinstance(exc, auto.InvalidVersionError):
        return UsageError(
            f"the installed Pulumi CLI is too old for the Automation API: {_last_line(text)}",
            hint="upgrade the Pulumi CLI to 3.x (current) and re-run",
        )
    if isinstance(exc, auto.ConcurrentUpdateError):
        return StackLocked(
            f"stack {stack} is locked by another update",
            hint="wait for it to finish (or re-run later); see `preview down --help` for when "
            "a lock is broken",
        )
    if isinstance(exc, auto.StackNotFoundError):
        return StackNotFound(f"stack {stack} does not exist", hint="nothing to do for this PR")
    if isinstance(exc, auto.CommandError):
        if _TRANSIENT.search(text):
            return TransientError(
                f"transient failure on stack {stack}: {_last_line(text)}",
                hint="re-run the command; it picks up where it stopped",
            )
        return CommandFailed(
            f"pulumi failed on stack {stack}: {_last_line(text)}",
            hint="read the streamed Pulumi output above for the failing resource, fix it, re-run",
        )
    return exc if isinstance(exc, Exception) else RuntimeError(text)


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


StackFactory = Callable[[str, bool], Any]  # (stack name, create if missing) -> auto.Stack


class PulumiAutomation:
    """The real adapter: `pulumi.automation` over the program in `work_dir`."""

    def __init__(
        self,
        *,
        work_dir: Path,
        project: str,
        backend_url: str,
        env: Mapping[str, str] | None = None,
        stack_factory: StackFactory | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.project = project
        self.backend_url = backend_url
        self.env = {**(env or {}), **({"PULUMI_BACKEND_URL": backend_url} if backend_url else {})}
        self._stack_factory = stack_factory or self._default_stack

    def _opts(self) -> Any:
        from pulumi import automation as auto

        return auto.LocalWorkspaceOptions(work_dir=str(self.work_dir), env_vars=dict(self.env))

    def _default_stack(self, name: str, create: bool) -> Any:
        from pulumi import automation as auto

        if create:
            return auto.create_or_select_stack(name, work_dir=str(self.work_dir), opts=self._opts())
        return auto.select_stack(name, work_dir=str(self.work_dir), opts=self._opts())

    def _call(self, stack: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            translated = translate(exc, stack)
            if translated is exc:
                raise
            raise translated from exc

    def list_stacks(self) -> list[StackSummary]:
        from pulumi import automation as auto

        def run() -> list[StackSummary]:
            ws = auto.LocalWorkspace(work_dir=str(self.work_dir), env_vars=dict(self.env))
            return [
                StackSummary(
                    name=s.name.rsplit("/", 1)[-1],
                    last_update=_parse_time(s.last_update),
                    update_in_progress=bool(s.update_in_progress),
                    resource_count=s.resource_count,
                )
                for s in ws.list_stacks()
            ]

        result: list[StackSummary] = self._call("*", run)
        return result

    def up(self, stack: str, config: Mapping[str, Any], on_output: Output) -> dict[str, Any]:
        from pulumi import automation as auto

        def run() -> dict[str, Any]:
            st = self._stack_factory(stack, True)
            st.set_all_config(
                {k: auto.ConfigValue(value=_config_text(v)) for k, v in config.items()}
            )
            result = st.up(on_output=on_output, color="never")
            return {k: v.value for k, v in result.outputs.items()}

        result: dict[str, Any] = self._call(stack, run)
        return result

    def refresh(self, stack: str, on_output: Output) -> None:
        self._call(stack, lambda: self._stack_factory(stack, False).refresh(on_output=on_output))

    def destroy(self, stack: str, on_output: Output) -> None:
        # Remove happens separately so a failed remove never hides a successful destroy.
        self._call(stack, lambda: self._stack_factory(stack, False).destroy(on_output=on_output))

    def remove(self, stack: str) -> None:
        self._call(stack, lambda: self._stack_factory(stack, False).workspace.remove_stack(stack))

    def outputs(self, stack: str) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            return {k: v.value for k, v in self._stack_factory(stack, False).outputs().items()}

        result: dict[str, Any] = self._call(stack, run)
        return result

    def get_config(self, stack: str) -> dict[str, str]:
        def run() -> dict[str, str]:
            cfg = self._stack_factory(stack, False).get_all_config()
            return {k.split(":", 1)[-1]: str(v.value) for k, v in cfg.items()}

        result: dict[str, str] = self._call(stack, run)
        return result

    # --- locks (DIY backends) ---------------------------------------------------------------

    def _lock_dir(self, stack: str) -> str | None:
        url = urlparse(self.backend_url)
        if url.scheme not in ("file", "s3"):
            return None
        base = (url.netloc + url.path) if url.scheme == "file" else url.path.lstrip("/")
        return "/".join(
            p for p in (base.rstrip("/"), ".pulumi/locks/organization", self.project, stack) if p
        )

    def lock(self, stack: str) -> LockInfo | None:
        url = urlparse(self.backend_url)
        lock_dir = self._lock_dir(stack)
        if lock_dir is None:
            return None
        if url.scheme == "file":
            files = sorted(Path(lock_dir).glob("*.json")) if Path(lock_dir).is_dir() else []
            return _parse_lock(files[0].read_text(), str(files[0])) if files else None
        import boto3

        s3 = boto3.client("s3")
        listing = s3.list_objects_v2(Bucket=url.netloc, Prefix=lock_dir + "/")
        keys = sorted(o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".json"))
        if not keys:
            return None
        body = s3.get_object(Bucket=url.netloc, Key=keys[0])["Body"].read().decode()
        return _parse_lock(body, keys[0])

    def break_lock(self, stack: str, lock: LockInfo) -> None:
        url = urlparse(self.backend_url)
        if url.scheme == "file":
            Path(lock.key).unlink(missing_ok=True)
        elif url.scheme == "s3":
            import boto3

            boto3.client("s3").delete_object(Bucket=url.netloc, Key=lock.key)


def _parse_lock(text: str, key: str) -> LockInfo:
    data = json.loads(text)
    host = str(data.get("hostname", ""))
    return LockInfo(
        holder=f"{data.get('username', '?')}@{host}",
        hostname=host,
        pid=int(data.get("pid", 0)),
        acquired_at=_parse_time(data.get("timestamp")) or datetime.fromtimestamp(0, UTC),
        key=key,
    )


def _parse_time(value: Any) -> datetime | None:
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


def _config_text(value: Any) -> str:
    """Pulumi stores config as strings; structured values are JSON-encoded."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def this_host() -> str:
    return socket.gethostname()
