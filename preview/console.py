"""What the CLI prints: every line goes through `redact`, every failure through `exit_with_error`.

Secrets registered with `register_secret` (tokens, passwords) are masked in all output, the PR
comment included. Stdlib only: command modules import it at call time.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from contracts.errors import INTERNAL

_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Mask `value` in everything printed through `redact` (tokens, passwords)."""
    if len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def echo(line: str) -> None:
    """One line of progress to stdout, secrets masked."""
    import click

    click.echo(redact(line.rstrip("\n")))


def exit_with_error(message: str, code: int = INTERNAL, hint: str = "") -> NoReturn:
    """Print one clear error line (plus the fix) to stderr and exit with `code`."""
    print(f"error: {redact(message)}", file=sys.stderr)
    if hint:
        print(f"  fix: {redact(hint)}", file=sys.stderr)
    raise SystemExit(code)
