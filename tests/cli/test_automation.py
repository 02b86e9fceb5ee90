"""The real Automation API adapter: argument mapping, error translation, backend lock files.

The Pulumi CLI is not installed here, so `pulumi.automation.Stack` is replaced by a recorder
(`stack_factory`); everything around it (config encoding, outputs, errors, locks) is real.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult

from contracts.errors import UsageError
from preview.automation import (
    CommandFailed,
    PulumiAutomation,
    StackLocked,
    StackNotFound,
    TransientError,
)


class RecordingStack:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, Any]] = []
        self.workspace = self

    def _maybe_fail(self) -> None:
        if self.error is not None:
            raise self.error

    def set_all_config(self, config: dict[str, auto.ConfigValue]) -> None:
        self.calls.append(("set_all_config", {k: v.value for k, v in config.items()}))

    def up(self, **kw: Any) -> Any:
        self._maybe_fail()
        self.calls.append(("up", kw))
        kw["on_output"]("Updating (pr-12)")
        outputs = {"url": auto.OutputValue("https://pr-12.x", False)}
        return type("R", (), {"outputs": outputs})()

    def destroy(self, **kw: Any) -> None:
        self._maybe_fail()
        self.calls.append(("destroy", kw))

    def refresh(self, **kw: Any) -> None:
        self._maybe_fail()
        self.calls.append(("refresh", kw))

    def remove_stack(self, name: str) -> None:
        self.calls.append(("remove_stack", name))


def _adapter(stack: RecordingStack, backend: str = "s3://state") -> PulumiAutomation:
    return PulumiAutomation(
        work_dir=Path("."),
        project="preview-platform",
        backend_url=backend,
        stack_factory=lambda name, create: stack,
    )


def test_up_encodes_config_and_streams_output() -> None:
    """Structured config values are JSON-encoded strings; output lines reach the callback."""
    stack = RecordingStack()
    lines: list[str] = []
    outputs = _adapter(stack).up(
        "pr-12", {"pr": 12, "app": {"name": "s"}, "sha": "abc"}, lines.append
    )
    assert stack.calls[0] == ("set_all_config", {"pr": "12", "app": '{"name":"s"}', "sha": "abc"})
    assert outputs == {"url": "https://pr-12.x"} and lines == ["Updating (pr-12)"]


def test_destroy_does_not_remove_in_the_same_call() -> None:
    """destroy and remove are separate calls, so a failed remove never hides a done destroy."""
    stack = RecordingStack()
    adapter = _adapter(stack)
    adapter.destroy("pr-12", print)
    adapter.remove("pr-12")
    assert [c[0] for c in stack.calls] == ["destroy", "remove_stack"]
    assert "remove" not in stack.calls[0][1]


def _err(cls: type[auto.CommandError], stderr: str) -> auto.CommandError:
    return cls(CommandResult(stdout="", stderr=stderr, code=255))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            _err(auto.ConcurrentUpdateError, "[409] Conflict: Another update is in progress."),
            StackLocked,
        ),
        (
            auto.StackNotFoundError(CommandResult("", "no stack named 'pr-12' found", 255)),
            StackNotFound,
        ),
        (_err(auto.CommandError, "error: ThrottlingException: Rate exceeded"), TransientError),
        (_err(auto.CommandError, "read tcp: connection reset by peer"), TransientError),
        (_err(auto.CommandError, "error: 503 Service Unavailable"), TransientError),
        (_err(auto.CommandError, "error: InvalidParameterValue: bad subnet"), CommandFailed),
    ],
)
def test_errors_are_translated(error: Exception, expected: type[Exception]) -> None:
    """Automation API exceptions become the PreviewError the pipeline acts on."""
    with pytest.raises(expected):
        _adapter(RecordingStack(error)).refresh("pr-12", print)


def _write_lock(root: Path, stack: str, ts: str = "2030-01-10T11:00:00.123456789Z") -> Path:
    lock_dir = root / ".pulumi/locks/organization/preview-platform" / stack
    lock_dir.mkdir(parents=True)
    path = lock_dir / "0b8c1e3a-1f4e-4a52-9d0c-2f2f6c7e9e11.json"
    path.write_text(
        json.dumps({"pid": 4242, "username": "runner", "hostname": "fv-az1", "timestamp": ts})
    )
    return path


def test_file_backend_lock_is_read_and_broken(tmp_path: Path) -> None:
    """A DIY lock file gives holder, pid and time; breaking it deletes exactly that file."""
    path = _write_lock(tmp_path, "pr-12")
    other = _write_lock(tmp_path, "pr-13")
    adapter = _adapter(RecordingStack(), backend=f"file://{tmp_path}")
    lock = adapter.lock("pr-12")
    assert lock is not None
    assert (lock.holder, lock.pid) == ("runner@fv-az1", 4242)
    assert lock.acquired_at == datetime(2030, 1, 10, 11, 0, 0, 123456, tzinfo=UTC)
    adapter.break_lock("pr-12", lock)
    assert not path.exists() and other.exists()
    assert adapter.lock("pr-12") is None


def test_s3_backend_lock_is_read_and_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same lock in an s3:// backend (moto) is found and deleted by key."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="state")
        key = ".pulumi/locks/organization/preview-platform/pr-12/abc.json"
        body = {"pid": 7, "username": "ci", "hostname": "h", "timestamp": "2030-01-10T11:00:00Z"}
        s3.put_object(Bucket="state", Key=key, Body=json.dumps(body).encode())
        adapter = _adapter(RecordingStack(), backend="s3://state")
        lock = adapter.lock("pr-12")
        assert lock is not None and lock.key == key and lock.pid == 7
        adapter.break_lock("pr-12", lock)
        assert s3.list_objects_v2(Bucket="state").get("KeyCount") == 0


def test_cloud_backend_exposes_no_lock() -> None:
    """On Pulumi Cloud the lock is the service's: lock() is None, so it is only waited for."""
    assert _adapter(RecordingStack(), backend="https://api.pulumi.com").lock("pr-12") is None


def test_missing_pulumi_cli_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `pulumi` on PATH the adapter says to install it (exit 2), not a traceback."""
    monkeypatch.setenv("PATH", str(tmp_path))
    adapter = PulumiAutomation(work_dir=tmp_path, project="preview-platform", backend_url="")
    with pytest.raises(UsageError) as err:
        adapter.list_stacks()
    assert "Pulumi CLI" in err.value.message and "install" in err.value.hint
