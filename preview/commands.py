"""`preview up | down | reap | ls`: thin click commands over the pipelines in preview/.

Only stdlib and click at top level (see preview/cli.py): the pipelines, Pulumi, boto3 and
PyGithub are imported inside the command that runs. Failures are raised as PreviewError and
turned into exit codes by the funnel in preview/cli.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from preview.settings import Settings


def _echo(line: str) -> None:
    from preview.console import echo

    echo(line)


def _echo_json(items: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line (`--json`), in order."""
    for item in items:
        _echo(json.dumps(item))


def _settings(*, need_backend: bool = False) -> Settings:
    """Settings, validated; `need_backend`: refuse before any Pulumi call without a backend."""
    from preview.settings import load_settings, require_backend

    settings = load_settings()
    if need_backend:
        require_backend(settings)
    return settings


@click.command()
@click.option("--pr", type=int, required=True, help="Pull request number.")
@click.option("--sha", required=True, help="Head commit of the PR (7-40 hex chars).")
@click.option("--branch", default="", help="Head branch of the PR.")
def up(pr: int, sha: str, branch: str) -> None:
    """Create or update the preview of a PR, run its smoke gate, report into the PR.

    Exit codes: 0 deployed (or superseded by a newer push), 2 bad input, 3 AWS/GitHub/Pulumi
    failure (re-run), 4 stack locked by a live update, 5 smoke gate failed, 6 cap reached (queued).
    """
    from preview.up import up as run_up
    from preview.wiring import build_deps

    result = run_up(
        build_deps(_settings(need_backend=True), smoke=True, indices=True), pr, sha, branch
    )
    if result.outcome == "superseded":
        _echo(f"pr-{pr}: superseded by a newer push; nothing deployed")
    else:
        _echo(f"pr-{pr}: ready at {result.url or '(no url output)'}")


@click.command()
@click.option("--pr", type=int, required=True, help="Pull request number.")
def down(pr: int) -> None:
    """Destroy and remove the preview of a PR; re-running after a failure finishes the job.

    A held stack lock is waited for and broken only when its holder is gone (see
    preview/locking.py). Exit codes: 0 done, 3 transient failure (re-run), 4 locked.
    """
    from preview.down import down as run_down
    from preview.wiring import build_deps

    result = run_down(build_deps(_settings(), indices=True), pr)
    what = "destroyed and removed" if result.destroyed else "had no stack (already gone)"
    if result.indices_deleted is None:
        _echo(f"pr-{pr}: {what}; its search indices were NOT deleted (see the warning)")
    else:
        _echo(f"pr-{pr}: {what}; {result.indices_deleted} search indices deleted")
    for d in result.dequeued:
        _echo(f"pr-{d.pr}: queued PR re-run (workflow run {d.run_id}): a preview slot is free")


@click.command()
@click.option("--dry-run", is_flag=True, help="Only report what would be destroyed or deleted.")
def reap(dry_run: bool) -> None:
    """Destroy previews whose PR is closed or whose expiry passed; verify nothing tagged remains.

    Resources tagged `preview:pr` of such a PR that no stack owns are deleted by ARN, in
    dependency order; a type it cannot delete is listed as `manual`. Exit code 3 when an orphan
    could not be destroyed or tagged resources remain (listed).
    """
    from contracts.errors import UnavailableError
    from preview.reap import reap as run_reap
    from preview.tables import table
    from preview.wiring import build_deps

    deps = build_deps(_settings(), tagging=True, indices=True)
    result = run_reap(deps, dry_run=dry_run)
    _echo(
        table(
            ["PR", "STACK", "REASON", "ACTION", "DETAIL"],
            [(r.pr, r.stack, r.reason, r.action, r.detail) for r in result.rows],
        )
    )
    failed = [r for r in result.rows if r.action in ("failed", "stray", "manual")]
    if failed and not dry_run:  # a dry run only reports; `manual` rows show up there too
        raise UnavailableError(
            f"{len(failed)} orphan(s) or resource(s) not fully removed (see the table)",
            hint="re-run `preview reap` (deleting is idempotent); resources listed as 'manual' (a "
            "type the reaper does not delete) or refused for deletion protection must be deleted "
            "by hand",
        )


@click.command(name="ls")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per preview.")
def ls(as_json: bool) -> None:
    """List live previews: PR, sha, age, expiry, URL, smoke status, estimated cost/day."""
    from datetime import UTC, datetime

    from preview.live import ls as list_previews
    from preview.tables import ls_table, table
    from preview.wiring import build_deps

    settings = _settings(need_backend=True)
    deps = build_deps(settings)
    now = datetime.now(UTC)
    rows = list_previews(deps)
    if as_json:
        _echo_json(
            {
                "pr": p.pr,
                "sha": p.sha,
                "updated_at": p.updated_at.isoformat() if p.updated_at else None,
                "expires_at": p.expires_at.isoformat() if p.expires_at else None,
                "url": p.url,
                "smoke": p.smoke,
                "cost_per_day_usd": p.cost_per_day_usd,
            }
            for p in rows
        )
        _ls_pool(settings, int(now.timestamp()), as_json=True)
        return
    _echo(table(*ls_table(rows, now)))
    _ls_pool(settings, int(now.timestamp()))


def _ls_pool(settings: Settings, now: int, *, as_json: bool = False) -> None:
    """The warm pool's slots under the previews (free, claimed by, age); skipped without one."""
    if not settings.pool_table:
        return
    from contracts.errors import PreviewError
    from preview import aws, pool

    try:
        client = aws.client("dynamodb", settings.aws_region)
        slots = pool.DynamoClaims(client, settings.pool_table).scan()
    except PreviewError as exc:  # the pool is optional: previews are listed regardless
        _echo(f"note: warm pool not listed ({exc.message})")
        return
    if as_json:
        _echo_json(
            {"slot": s.slot, "state": s.state, "claim_pr": s.claim_pr, "age_s": now - s.created_at}
            for s in slots
        )
        return
    from preview.tables import table as render

    _echo("")
    _echo("Warm pool")
    _echo(render(*pool.rows(slots, now)))
