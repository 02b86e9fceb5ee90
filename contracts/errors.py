"""The one error family: every failure a user can act on is a PreviewError with a fix.

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

    @property
    def headline(self) -> str:
        """The one line the CLI prints (subclasses prefix what they are about)."""
        return self.message

    def __str__(self) -> str:
        return f"{self.headline}\n  fix: {self.hint}" if self.hint else self.headline


class UsageError(PreviewError):
    """A flag, setting, file or argument is wrong; the message names it."""

    exit_code = USAGE


class ConfigError(UsageError, ValueError):
    """Invalid or missing stack configuration; `key` is the full config key, `hint` the fix."""

    def __init__(self, key: str, message: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.key = key

    @property
    def headline(self) -> str:
        return f"config {self.key}: {self.message}"


class BootstrapError(ConfigError):
    """Invalid GithubIdentityArgs; `field` names the argument (config key), `hint` the fix."""

    def __init__(self, field: str, message: str, hint: str) -> None:
        super().__init__(field, message, hint)
        self.field = field

    @property
    def headline(self) -> str:
        return f"bootstrap {self.field}: {self.message}"


class NamingError(UsageError, ValueError):
    """A stack name or PR number that cannot be turned into valid AWS names."""

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.hint})"


class NotFoundError(PreviewError):
    """A named thing (a stack) does not exist. Exit 2, as the caller named it."""

    exit_code = USAGE


class UnavailableError(PreviewError):
    exit_code = UNAVAILABLE


class LockedError(PreviewError):
    exit_code = LOCKED


class SmokeFailedError(PreviewError):
    exit_code = SMOKE_FAILED


class CappedError(PreviewError):
    exit_code = CAPPED
