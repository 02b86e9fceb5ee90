"""One error funnel for the CLI: every failure becomes a PreviewError with an exit code and a fix.

Exit codes (documented in the README):
  0  success
  1  unexpected internal error (a bug: please report it with the output)
  2  usage or configuration error: a flag, setting or config key is wrong; the message names it
  3  a dependency is unavailable or refused us (AWS, GitHub, Pulumi backend); safe to re-run
  4  the stack is locked by a live update; re-run after it finishes
  5  the preview deployed but its readiness gate (smoke state machine) failed
  6  the live-preview cap is reached; the PR was queued or nothing was deployed
"""

from __future__ import annotations

import sys
from typing import NoReturn

OK = 0
INTERNAL = 1
USAGE = 2
UNAVAILABLE = 3
LOCKED = 4
SMOKE_FAILED = 5
CAPPED = 6


class PreviewError(Exception):
    """A failure the user can act on: `message` says what happened, `hint` what to do."""

    exit_code: int = INTERNAL

    def __init__(self, message: str, *, hint: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


class UsageError(PreviewError):
    exit_code = USAGE


class UnavailableError(PreviewError):
    exit_code = UNAVAILABLE


class LockedError(PreviewError):
    exit_code = LOCKED


class SmokeFailedError(PreviewError):
    exit_code = SMOKE_FAILED


class CappedError(PreviewError):
    exit_code = CAPPED


_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Mask `value` in everything printed through `redact` (tokens, passwords)."""
    if len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def exit_with_error(message: str, code: int = INTERNAL, hint: str = "") -> NoReturn:
    """Print one clear error line (plus the fix) to stderr and exit with `code`."""
    print(f"error: {redact(message)}", file=sys.stderr)
    if hint:
        print(f"  fix: {redact(hint)}", file=sys.stderr)
    raise SystemExit(code)
