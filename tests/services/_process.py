"""Process helpers shared by the service launchers: free ports and children that die with us."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (the OS picks it)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the child when this process dies.

    Without it a test run killed by a timeout would leave mariadbd or a JVM behind holding ports
    and hundreds of MB; on other systems we rely on the atexit/finaliser stop instead.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None

    def _set() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return _set


def tail(path: str, lines: int = 20) -> str:
    """The last lines of a log file, for error messages; empty when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return ""


def stop_child(
    proc: subprocess.Popen[Any] | None,
    *,
    grace: float = 30.0,
    ask: Callable[[subprocess.Popen[Any]], None] = subprocess.Popen.terminate,
) -> None:
    """Ask a child that still runs to stop (SIGTERM unless `ask` says otherwise), give it
    `grace` seconds, then kill it."""
    if proc is None or proc.poll() is not None:
        return
    ask(proc)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
