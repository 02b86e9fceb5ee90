"""Automation API failures as the PreviewErrors the pipeline understands.

ConcurrentUpdateError                    -> StackLocked   (exit 4, another update holds the lock)
StackNotFoundError                       -> StackNotFound (the stack is already gone)
CommandError that looks transient        -> TransientError (throttling, 5xx, network: retry)
any other CommandError                   -> CommandFailed (the streamed output says why)
"""

from __future__ import annotations

import re

from contracts.errors import LockedError, NotFoundError, UnavailableError, UsageError


class StackLocked(LockedError):
    """Another update holds the stack lock."""


class StackNotFound(NotFoundError):
    """The stack does not exist (for `down` this means: already removed)."""


class TransientError(UnavailableError):
    """A failure worth retrying: throttling, 5xx, a dropped connection."""


class CommandFailed(UnavailableError):
    """Pulumi ran and failed for a reason retrying will not fix."""


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
