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

Listing. On a DIY backend `pulumi stack ls` reads the checkpoint of every stack of the project,
which the preview role may not do for `prod` or `bootstrap` (IAM denies the GetObject, and the
whole listing fails). So on s3:// and file:// the adapter lists the checkpoint *keys* under
`.pulumi/stacks/<project>/` itself (s3:ListBucket, no object is read): the name comes from the
key, the last update from the object's modification time, "in progress" from the lock keys.
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
from urllib.parse import parse_qsl, urlparse

from contracts.errors import LockedError, NotFoundError, UnavailableError, UsageError

Output = Callable[[str], None]
Program = Callable[[], None]


@dataclass(frozen=True)
class Secret:
    """A config value Pulumi must store encrypted (`pulumi config set --secret`)."""

    value: str

    def __repr__(self) -> str:  # never leaks through a log line or a traceback
        return "Secret(***)"


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
    """The real adapter: `pulumi.automation` over the program in `work_dir`.

    `program` replaces the work-dir program with an inline one (the real engine runs inline
    programs without the Python language host: the tests use it); everything else is the same.
    `secrets_provider` is passed when a stack is created (`awskms://...`; empty: passphrase).
    """

    def __init__(
        self,
        *,
        work_dir: Path,
        project: str,
        backend_url: str,
        env: Mapping[str, str] | None = None,
        stack_factory: StackFactory | None = None,
        program: Program | None = None,
        secrets_provider: str = "",
        pulumi_command: Any = None,
    ) -> None:
        self.work_dir = work_dir
        self.project = project
        self.backend_url = backend_url
        self.env = {**(env or {}), **({"PULUMI_BACKEND_URL": backend_url} if backend_url else {})}
        self.program = program
        self.secrets_provider = secrets_provider
        self.pulumi_command = pulumi_command
        self._stack_factory = stack_factory or self._default_stack

    def _opts(self) -> Any:
        from pulumi import automation as auto

        return auto.LocalWorkspaceOptions(
            work_dir=None if self.program else str(self.work_dir),
            env_vars=dict(self.env),
            secrets_provider=self.secrets_provider or None,
            pulumi_command=self.pulumi_command,
            project_settings=(
                auto.ProjectSettings(name=self.project, runtime="python") if self.program else None
            ),
        )

    def _default_stack(self, name: str, create: bool) -> Any:
        from pulumi import automation as auto

        if self.program is not None:
            kw: dict[str, Any] = {
                "project_name": self.project,
                "program": self.program,
                "opts": self._opts(),
            }
            return (auto.create_or_select_stack if create else auto.select_stack)(name, **kw)
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

        if urlparse(self.backend_url).scheme in ("s3", "file"):
            diy: list[StackSummary] = self._call("*", self._list_diy)
            return diy

        def run() -> list[StackSummary]:
            ws = auto.LocalWorkspace(**self._ws_kwargs())
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

    def _ws_kwargs(self) -> dict[str, Any]:
        opts = self._opts()
        return {
            "work_dir": opts.work_dir,
            "env_vars": opts.env_vars,
            "pulumi_command": opts.pulumi_command,
            "project_settings": opts.project_settings,
        }

    def _list_diy(self) -> list[StackSummary]:
        """Stacks of the project from the checkpoint keys alone (see the module docstring)."""
        url = urlparse(self.backend_url)
        base = self._base()
        stacks_dir = "/".join(p for p in (base, ".pulumi/stacks", self.project) if p)
        locks_dir = "/".join(p for p in (base, ".pulumi/locks/organization", self.project) if p)
        checkpoints: dict[str, datetime] = {}
        locked: set[str] = set()
        if url.scheme == "file":
            root = Path(stacks_dir)
            for f in root.iterdir() if root.is_dir() else []:
                name = _checkpoint_name(f.name)
                if name:
                    checkpoints[name] = datetime.fromtimestamp(f.stat().st_mtime, UTC)
            lroot = Path(locks_dir)
            for d in lroot.iterdir() if lroot.is_dir() else []:
                if any(d.glob("*.json")):
                    locked.add(d.name)
        else:
            s3 = self._s3()
            for obj in _list_keys(s3, url.netloc, stacks_dir + "/"):
                name = _checkpoint_name(obj["Key"][len(stacks_dir) + 1 :])
                if name:
                    checkpoints[name] = obj["LastModified"]
            for obj in _list_keys(s3, url.netloc, locks_dir + "/"):
                rest = obj["Key"][len(locks_dir) + 1 :]
                if rest.endswith(".json") and "/" in rest:
                    locked.add(rest.split("/", 1)[0])
        return [
            StackSummary(
                name=name,
                last_update=_parse_time(when),
                update_in_progress=name in locked,
                resource_count=None,
            )
            for name, when in sorted(checkpoints.items())
        ]

    def up(self, stack: str, config: Mapping[str, Any], on_output: Output) -> dict[str, Any]:
        from pulumi import automation as auto

        def run() -> dict[str, Any]:
            st = self._stack_factory(stack, True)
            _restore_stack_settings(st, stack)
            st.set_all_config(
                {
                    k: auto.ConfigValue(value=v.value, secret=True)
                    if isinstance(v, Secret)
                    else auto.ConfigValue(value=_config_text(v))
                    for k, v in config.items()
                }
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

    def _base(self) -> str:
        """Path (file://) or key prefix (s3://) of the backend's `.pulumi` directory's parent."""
        url = urlparse(self.backend_url)
        base = (url.netloc + url.path) if url.scheme == "file" else url.path.lstrip("/")
        return base.rstrip("/")

    def _s3(self) -> Any:
        """An S3 client for the backend bucket, honouring the URL's endpoint/region parameters
        (the query string the Pulumi CLI itself understands: endpoint, disableSSL, region,
        s3ForcePathStyle) and the credentials in `env`."""
        import boto3
        from botocore.config import Config

        query = dict(parse_qsl(urlparse(self.backend_url).query))
        kwargs: dict[str, Any] = {}
        if query.get("endpoint"):
            scheme = "http" if query.get("disableSSL", "").lower() == "true" else "https"
            endpoint = query["endpoint"]
            kwargs["endpoint_url"] = endpoint if "://" in endpoint else f"{scheme}://{endpoint}"
        if query.get("region") or self.env.get("AWS_REGION"):
            kwargs["region_name"] = query.get("region") or self.env.get("AWS_REGION")
        if query.get("s3ForcePathStyle", "").lower() == "true":
            kwargs["config"] = Config(s3={"addressing_style": "path"})
        for key, env in (
            ("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
            ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
            ("aws_session_token", "AWS_SESSION_TOKEN"),
        ):
            if self.env.get(env):
                kwargs[key] = self.env[env]
        # A fresh session reads the credentials the environment holds now (boto3's default
        # session caches the first ones it resolved).
        return boto3.session.Session().client("s3", **kwargs)

    def _lock_dir(self, stack: str) -> str | None:
        url = urlparse(self.backend_url)
        if url.scheme not in ("file", "s3"):
            return None
        return "/".join(
            p for p in (self._base(), ".pulumi/locks/organization", self.project, stack) if p
        )

    def lock(self, stack: str) -> LockInfo | None:
        url = urlparse(self.backend_url)
        lock_dir = self._lock_dir(stack)
        if lock_dir is None:
            return None
        if url.scheme == "file":
            files = sorted(Path(lock_dir).glob("*.json")) if Path(lock_dir).is_dir() else []
            return _parse_lock(files[0].read_text(), str(files[0])) if files else None
        s3 = self._s3()
        keys = sorted(
            o["Key"]
            for o in _list_keys(s3, url.netloc, lock_dir + "/")
            if o["Key"].endswith(".json")
        )
        if not keys:
            return None
        body = s3.get_object(Bucket=url.netloc, Key=keys[0])["Body"].read().decode()
        return _parse_lock(body, keys[0])

    def break_lock(self, stack: str, lock: LockInfo) -> None:
        url = urlparse(self.backend_url)
        if url.scheme == "file":
            Path(lock.key).unlink(missing_ok=True)
        elif url.scheme == "s3":
            self._s3().delete_object(Bucket=url.netloc, Key=lock.key)


def _restore_stack_settings(st: Any, stack: str) -> None:
    """Give a fresh workspace the existing stack's own secrets provider and key.

    A DIY backend keeps them in the checkpoint, but the CLI reads them from Pulumi.<stack>.yaml,
    which a fresh CI runner does not have: without this, setting a secret there silently
    switches the stack to a new passphrase key (and an awskms stack to the passphrase provider).
    A stack created just now has its file already (`stack init` writes it).
    """
    from pulumi import automation as auto

    work_dir = getattr(getattr(st, "workspace", None), "work_dir", None)
    if not work_dir or any(
        (Path(work_dir) / f"Pulumi.{stack}.{ext}").exists() for ext in ("yaml", "yml", "json")
    ):
        return
    deployment = st.export_stack().deployment or {}
    provider = deployment.get("secrets_providers") or {}
    state = provider.get("state") or {}
    if provider.get("type") == "passphrase" and state.get("salt"):
        settings = auto.StackSettings(encryption_salt=state["salt"])
    elif provider.get("type") == "cloud" and state.get("url"):
        settings = auto.StackSettings(
            secrets_provider=state["url"], encrypted_key=state.get("encryptedkey")
        )
    else:
        return
    st.workspace.save_stack_settings(stack, settings)


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.extend(page.get("Contents", []))
    return out


def _checkpoint_name(filename: str) -> str | None:
    """`pr-12.json` or `pr-12.json.gz` -> `pr-12`; backups, history and subfolders -> None."""
    if "/" in filename:
        return None
    for suffix in (".json", ".json.gz"):
        if filename.endswith(suffix):
            return filename[: -len(suffix)] or None
    return None


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
