"""Entry point of the `preview` command, and its error funnel.

Subcommands live in their own modules and are imported only when invoked or listed, and those
modules import nothing heavy at top level, so `preview --help` stays fast and never loads
pulumi_aws, boto3 or opensearch-py.

Every failure leaves through `main`: a PreviewError as its message, fix and exit code; anything
else as one line, a hint and exit 1, with the traceback only under `--debug` / PREVIEW_DEBUG=1.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from contracts.constants import DEBUG_ENV
from contracts.errors import INTERNAL, PreviewError
from preview.console import exit_with_error

BUG_HINT = (
    f"this is a bug in the preview CLI: re-run with --debug (or {DEBUG_ENV}=1) for the "
    "traceback, and report it with the job log"
)

# name -> "module:attribute" of a click.Command. The help line is repeated here so that
# `preview --help` can list commands without importing them.
COMMANDS: dict[str, tuple[str, str]] = {
    "up": (
        "preview.commands:up",
        "Create or update the preview of a PR, run its smoke gate, report.",
    ),
    "down": (
        "preview.commands:down",
        "Destroy and remove the preview of a PR; converges on re-run.",
    ),
    "reap": ("preview.commands:reap", "Find and destroy orphaned previews and tagged resources."),
    "ls": ("preview.commands:ls", "List live previews with sha, age, expiry, URL, smoke, cost."),
    "pool": (
        "preview.pool_command:pool",
        "Warm database pool: status, refill, refresh (paused clones ready to claim).",
    ),
    "synth": (
        "preview.synth.command:synth",
        "Synthesize a stack offline: resources, policies, cost, time-to-URL, diagram.",
    ),
    "sync": ("preview.sync.command:sync", "Seed a preview's OpenSearch indices from its database."),
    "smoke": ("smoke.command:smoke", "Run the smoke suite against a preview URL."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                return None  # that part of the platform is not installed
            raise
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--debug", is_flag=True, help=f"Show the traceback of an unexpected error ({DEBUG_ENV}=1)."
)
def cli(debug: bool) -> None:
    """Per-pull-request preview environments on AWS, driven by Pulumi."""
    _flags["debug"] = debug


_flags = {"debug": False}


def _debug() -> bool:
    env = os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes")
    return env or _flags["debug"]


def main(argv: list[str] | None = None) -> Any:
    _flags["debug"] = False
    try:
        return cli.main(args=argv, prog_name="preview", standalone_mode=True)
    except PreviewError as exc:
        exit_with_error(exc.headline, exc.exit_code, exc.hint)
    except KeyboardInterrupt:
        exit_with_error("interrupted", INTERNAL)
    except Exception as exc:  # the funnel: a bug is one line and a hint, not a traceback
        if _debug():
            traceback.print_exc(file=sys.stderr)
        exit_with_error(f"internal error: {type(exc).__name__}: {exc}", INTERNAL, BUG_HINT)


if __name__ == "__main__":
    sys.exit(main())
