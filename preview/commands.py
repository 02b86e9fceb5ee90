"""`preview up | down | reap | ls`: thin click commands over preview.lifecycle.

Only stdlib and click at top level (see preview/cli.py): the lifecycle, Pulumi, boto3 and
PyGithub are imported inside the command that runs. Failures are raised as PreviewError and
turned into exit codes by the funnel in preview/errors.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from preview.lifecycle import Deps
    from preview.settings import Settings


def _echo(line: str) -> None:
    from preview.errors import redact

    click.echo(redact(line.rstrip("\n")))


def build_deps(settings: Settings, *, need_github: bool = True) -> Deps:
    """The real adapters, wired from settings."""
    import os

    from preview.automation import PulumiAutomation
    from preview.errors import register_secret
    from preview.lifecycle import Deps

    token = settings.github_token.get_secret_value()
    register_secret(token)
    # Credentials the job environment hands to Pulumi and AWS must never be echoed either.
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN", "AWS_SECRET_ACCESS_KEY"):
        register_secret(os.environ.get(name, ""))
    deps = Deps(
        settings=settings,
        automation=PulumiAutomation(
            work_dir=settings.work_dir,
            project=settings.project,
            backend_url=settings.pulumi_backend_url,
        ),
        out=_echo,
        extras=_synth_extras,
    )
    import time

    deps.sleep = time.sleep
    if need_github and settings.repository and token:
        from urllib.parse import urlparse

        from preview.github import GitHubReporter

        # PyGithub's pacing (1 write/s) protects github.com; a loopback test double needs none.
        loopback = urlparse(settings.github_api_url).hostname in ("127.0.0.1", "localhost")
        deps.reporter = GitHubReporter(
            token=token,
            repository=settings.repository,
            base_url=settings.github_api_url,
            throttle=not loopback,
        )
    elif need_github:
        _echo("note: GITHUB_TOKEN or PREVIEW_REPOSITORY unset; not reporting to the PR")
    return deps


# The cost and topology of a preview depend on its design keys, not on pr/sha/branch/expiry,
# so `ls` synthesizes each distinct design once.
_VOLATILE = {"pr", "sha", "branch", "expiresAt"}
_EXTRAS_CACHE: dict[str, Any] = {}


def _synth_extras(pr: int, config: Any) -> Any:
    """Cost/day and the Mermaid picture from preview.synth; the comment works without them."""
    from components import naming
    from preview.lifecycle import Extras

    key = json.dumps({k: v for k, v in config.items() if k not in _VOLATILE}, sort_keys=True)
    if key in _EXTRAS_CACHE:
        return _EXTRAS_CACHE[key]
    try:
        from preview.synth import synth_report

        report = synth_report(naming.stack_name(pr), dict(config), naive=False)
        extras = Extras(cost_per_day_usd=report.cost_per_day_usd, mermaid=report.mermaid)
    except Exception as exc:  # a synth problem must never block a deploy or a listing
        _echo(f"note: no cost/diagram for pr-{pr} ({type(exc).__name__}: {exc})")
        extras = Extras()
    _EXTRAS_CACHE[key] = extras
    return extras


def _settings() -> Settings:
    from preview.settings import load_settings

    return load_settings()


@click.command()
@click.option("--pr", type=int, required=True, help="Pull request number.")
@click.option("--sha", required=True, help="Head commit of the PR (7-40 hex chars).")
@click.option("--branch", default="", help="Head branch of the PR.")
def up(pr: int, sha: str, branch: str) -> None:
    """Create or update the preview of a PR, run its smoke gate, report into the PR.

    Exit codes: 0 deployed (or superseded by a newer push), 2 bad input, 3 AWS/GitHub/Pulumi
    failure (re-run), 4 stack locked by a live update, 5 smoke gate failed, 6 cap reached (queued).
    """
    from preview import aws, lifecycle

    settings = _settings()
    deps = build_deps(settings)
    deps.smoke = aws.StepFunctionsSmoke(
        aws.client("stepfunctions", settings.aws_region),
        logs=aws.client("logs", settings.aws_region),
        timeout_s=settings.smoke_timeout_s,
    )
    result = lifecycle.up(deps, pr, sha, branch)
    if result.outcome == "superseded":
        _echo(f"pr-{pr}: superseded by a newer push; nothing deployed")
    else:
        _echo(f"pr-{pr}: ready at {result.url or '(no url output)'}")


@click.command()
@click.option("--pr", type=int, required=True, help="Pull request number.")
def down(pr: int) -> None:
    """Destroy and remove the preview of a PR; re-running after a failure finishes the job.

    A held stack lock is waited for and broken only when its holder is gone (see
    preview/lifecycle.py). Exit codes: 0 done, 3 transient failure (re-run), 4 locked.
    """
    from preview import aws, lifecycle

    settings = _settings()
    deps = build_deps(settings)
    if settings.opensearch_url:
        deps.indices = aws.OpenSearchIndices.from_url(settings.opensearch_url, settings.aws_region)
    result = lifecycle.down(deps, pr)
    what = "destroyed and removed" if result.destroyed else "had no stack (already gone)"
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
    from preview import aws, lifecycle
    from preview.errors import UnavailableError
    from preview.strays import StrayDeleter

    settings = _settings()
    deps = build_deps(settings)
    deps.tagged = aws.TaggingResources(aws.client("resourcegroupstaggingapi", settings.aws_region))
    deps.strays = StrayDeleter(settings.aws_region, sleep=deps.sleep)
    if settings.opensearch_url:
        deps.indices = aws.OpenSearchIndices.from_url(settings.opensearch_url, settings.aws_region)
    result = lifecycle.reap(deps, dry_run=dry_run)
    _echo(
        lifecycle.table(
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

    from preview import lifecycle

    settings = _settings()
    deps = build_deps(settings)
    now = datetime.now(UTC)
    rows = lifecycle.ls(deps)
    if as_json:
        for p in rows:
            _echo(
                json.dumps(
                    {
                        "pr": p.pr,
                        "sha": p.sha,
                        "updated_at": p.updated_at.isoformat() if p.updated_at else None,
                        "expires_at": p.expires_at.isoformat() if p.expires_at else None,
                        "url": p.url,
                        "smoke": p.smoke,
                        "cost_per_day_usd": p.cost_per_day_usd,
                    }
                )
            )
        _ls_pool(settings, int(now.timestamp()), as_json=True)
        return
    _echo(lifecycle.table(*lifecycle.ls_table(rows, now)))
    _ls_pool(settings, int(now.timestamp()))


def _ls_pool(settings: Settings, now: int, *, as_json: bool = False) -> None:
    """The warm pool's slots under the previews (free, claimed by, age); skipped without one."""
    if not settings.pool_table:
        return
    from preview import aws, pool
    from preview.errors import PreviewError

    try:
        client = aws.client("dynamodb", settings.aws_region)
        slots = pool.DynamoClaims(client, settings.pool_table).scan()
    except PreviewError as exc:  # the pool is optional: previews are listed regardless
        _echo(f"note: warm pool not listed ({exc.message})")
        return
    if as_json:
        for s in slots:
            _echo(
                json.dumps(
                    {
                        "slot": s.slot,
                        "state": s.state,
                        "claim_pr": s.claim_pr,
                        "age_s": now - s.created_at,
                    }
                )
            )
        return
    from preview.lifecycle import table as render

    _echo("")
    _echo("Warm pool")
    _echo(render(*pool.rows(slots, now)))
