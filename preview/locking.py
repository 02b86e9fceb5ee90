"""Stack locks and retries: wait for a held lock, break it only when its holder is gone.

A held lock is waited for, polling up to `lock_wait_s`. It is broken only when the holder is
provably gone, which is one of:
  1. the lock was taken on this host and its pid no longer exists; or
  2. the lock is older than `lock_stale_s`, which is set above the CI job timeout, so the job
     that took it has been killed by the runner.
A lock that is held and fresh is never broken: after `lock_wait_s` the command exits 4 (LOCKED).
Backends that do not expose their lock (Pulumi Cloud) are only ever waited for. Transient
failures are retried with exponential backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from preview.automation import LockInfo, StackLocked, TransientError
from preview.ports import Deps

T = TypeVar("T")


def holder_gone(deps: Deps, lock: LockInfo) -> bool:
    """The lock-breaking rule of the module docstring."""
    if lock.hostname == deps.host and not deps.pid_alive(lock.pid):
        return True
    age = (deps.now() - lock.acquired_at).total_seconds()
    return age > deps.settings.lock_stale_s


def wait_for_lock(deps: Deps, stack: str, deadline: datetime | None = None) -> None:
    deadline = deadline or deps.now() + timedelta(seconds=deps.settings.lock_wait_s)
    delay = max(deps.settings.backoff_s, 1.0)
    while True:
        lock = deps.automation.lock(stack)
        if lock is None:
            return
        if holder_gone(deps, lock):
            deps.out(
                f"{stack}: breaking the lock of {lock.holder} pid {lock.pid} taken "
                f"{lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC: its holder is gone"
            )
            deps.automation.break_lock(stack, lock)
            return
        if deps.now() >= deadline:
            raise StackLocked(
                f"{stack} is locked by a live update of {lock.holder} (pid {lock.pid}, since "
                f"{lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC)",
                hint="wait for that update to finish and re-run; the lock is broken automatically "
                "only when its holder is gone or it is older than "
                f"{deps.settings.lock_stale_s:.0f}s",
            )
        deps.out(f"{stack}: waiting for the lock held by {lock.holder}")
        deps.sleep(delay)
        delay = min(delay * 2, 60.0)


def retry(deps: Deps, what: str, fn: Callable[[], T], stack: str = "") -> T:
    """Run `fn`, retrying transient failures with exponential backoff and waiting out locks."""
    s = deps.settings
    deadline = deps.now() + timedelta(seconds=s.lock_wait_s)
    attempt = 0
    while True:
        try:
            return fn()
        except TransientError as exc:
            if attempt >= s.retries:
                raise
            delay = s.backoff_s * 2**attempt
            attempt += 1
            deps.out(f"{what}: {exc.message}; retry {attempt}/{s.retries} in {delay:.0f}s")
            deps.sleep(delay)
        except StackLocked:
            if not stack or deps.now() >= deadline:
                raise
            deps.sleep(max(s.backoff_s, 1.0))
            wait_for_lock(deps, stack, deadline)
