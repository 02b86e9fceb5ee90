"""Stack locks on the real engine: a second process holds the stack's lock while the adapter
and `wait_for_lock` look on (file:// and s3:// backends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from preview.automation import StackLocked
from preview.locking import wait_for_lock
from preview.ports import Deps
from preview.settings import Settings
from tests.engine.services import ROOT
from tests.engine.world import World, preview_config

pytestmark = pytest.mark.engine


@dataclass
class Holder:
    proc: subprocess.Popen[bytes]
    started: Path
    release: Path

    def let_go(self) -> None:
        self.release.write_text("go\n")
        self.proc.wait(timeout=120)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def _hold(world: World, stack: str, tmp_path: Path) -> Holder:
    started, release = tmp_path / f"{stack}.started", tmp_path / f"{stack}.release"
    env = {**os.environ, **world.backend.env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.engine.holder",
            world.backend.url,
            stack,
            str(started),
            str(release),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own group: SIGKILL takes the CLI child with it
    )
    holder = Holder(proc, started, release)
    deadline = time.monotonic() + 120
    while not started.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            holder.kill() if proc.poll() is None else None
            raise AssertionError(f"the holder process did not start its update (rc {proc.poll()})")
        time.sleep(0.1)
    return holder


def _deps(world: World, *, lock_wait_s: float, out: list[str]) -> Deps:
    return Deps(
        settings=Settings(lock_wait_s=lock_wait_s, lock_stale_s=4 * 3600, backoff_s=0.5),
        automation=world.adapter(),
        sleep=time.sleep,
        out=out.append,
    )


def test_held_lock_is_stack_locked_and_waited_for(world: World, tmp_path: Path) -> None:
    """While another process updates pr-20, `up` gets the real ConcurrentUpdateError as
    StackLocked; the lock names that process; `wait_for_lock` waits until it is released."""
    a = world.adapter()
    a.up("pr-20", preview_config(20), lambda line: None)
    holder = _hold(world, "pr-20", tmp_path)
    try:
        with pytest.raises(StackLocked):
            a.up("pr-20", preview_config(20), lambda line: None)
        lock = a.lock("pr-20")
        assert lock is not None and lock.pid > 0
        assert "pr-20" in {s.name for s in a.list_stacks() if s.update_in_progress}
        out: list[str] = []
        deps = _deps(world, lock_wait_s=120, out=out)
        threading_release(holder, after_s=1.5)
        wait_for_lock(deps, "pr-20")
    finally:
        if holder.proc.poll() is None:
            holder.let_go()
    assert any("waiting for the lock" in line for line in out)
    assert not any("breaking" in line for line in out), "a live lock was broken"
    assert a.lock("pr-20") is None
    assert a.up("pr-20", preview_config(20, sha="fedcba9"), lambda line: None)["sha"] == "fedcba9"


def threading_release(holder: Holder, *, after_s: float) -> None:
    import threading

    threading.Timer(after_s, lambda: holder.release.write_text("go\n")).start()


def test_live_lock_is_never_broken(world: World, tmp_path: Path) -> None:
    """A fresh lock whose process is alive survives the wait: StackLocked, lock file intact."""
    a = world.adapter()
    a.up("pr-21", preview_config(21), lambda line: None)
    holder = _hold(world, "pr-21", tmp_path)
    try:
        out: list[str] = []
        with pytest.raises(StackLocked, match="live update"):
            wait_for_lock(_deps(world, lock_wait_s=2, out=out), "pr-21")
        assert a.lock("pr-21") is not None
    finally:
        holder.let_go()
    assert holder.proc.returncode == 0, "the holder's update failed: its lock was broken"


def test_stale_lock_of_a_killed_cli_is_broken(world: World, tmp_path: Path) -> None:
    """A runner killed mid-update leaves its lock; the holder's pid is gone on this host, so
    our rule breaks it and the next update succeeds."""
    a = world.adapter()
    a.up("pr-22", preview_config(22), lambda line: None)
    holder = _hold(world, "pr-22", tmp_path)
    holder.kill()
    lock = a.lock("pr-22")
    assert lock is not None, "killing the CLI should have left its lock behind"
    with pytest.raises(StackLocked):
        a.up("pr-22", preview_config(22), lambda line: None)
    out: list[str] = []
    wait_for_lock(_deps(world, lock_wait_s=30, out=out), "pr-22")
    assert any("breaking the lock" in line for line in out)
    assert a.lock("pr-22") is None
    assert a.up("pr-22", preview_config(22, sha="0123abc"), lambda line: None)["sha"] == "0123abc"
