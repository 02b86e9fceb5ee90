"""The real adapters, wired from settings into one frozen `Deps` per command."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from preview.console import echo, register_secret
from preview.domain import Extras
from preview.ports import (
    Deps,
    IndexCleaner,
    NoIndices,
    NoReporter,
    NoStrays,
    NoTagged,
    Reporter,
    SmokeRunner,
    StrayDeleter,
    TaggedResources,
)
from preview.settings import Settings


def build_deps(
    settings: Settings,
    *,
    need_github: bool = True,
    smoke: bool = False,
    tagging: bool = False,
    indices: bool = False,
) -> Deps:
    """Deps with Pulumi, GitHub (when configured) and the AWS adapters the command asks for."""
    from preview.automation import PulumiAutomation

    _register_secrets(settings)
    return Deps(
        settings=settings,
        automation=PulumiAutomation(
            work_dir=settings.work_dir,
            project=settings.project,
            backend_url=settings.pulumi_backend_url,
            secrets_provider=settings.secrets_provider,
        ),
        reporter=_reporter(settings) if need_github else NoReporter(),
        smoke=_smoke(settings) if smoke else None,
        tagged=_tagged(settings) if tagging else NoTagged(),
        strays=_strays(settings) if tagging else NoStrays(),
        indices=_indices(settings) if indices else NoIndices(),
        extras=synth_extras,
        out=echo,
        sleep=time.sleep,
        pool=_pool(settings),
    )


def _pool(settings: Settings) -> Any:
    """The claims store when PREVIEW_POOL_TABLE names one (the pool is optional)."""
    if not settings.pool_table:
        return None
    from preview.aws import client
    from preview.pool import DynamoClaims

    return DynamoClaims(client("dynamodb", settings.aws_region), settings.pool_table)


def _register_secrets(settings: Settings) -> None:
    register_secret(settings.github_token.get_secret_value())
    register_secret(settings.oidc_client_secret.get_secret_value())
    # Credentials the job environment hands to Pulumi and AWS must never be echoed either.
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN", "AWS_SECRET_ACCESS_KEY"):
        register_secret(os.environ.get(name, ""))


def _reporter(settings: Settings) -> Reporter:
    token = settings.github_token.get_secret_value()
    if not (settings.repository and token):
        echo("note: GITHUB_TOKEN or PREVIEW_REPOSITORY unset; not reporting to the PR")
        return NoReporter()
    from preview.github import GitHubReporter

    # PyGithub's pacing (1 write/s) protects github.com; a loopback test double needs none.
    loopback = urlparse(settings.github_api_url).hostname in ("127.0.0.1", "localhost")
    return GitHubReporter(
        token=token,
        repository=settings.repository,
        base_url=settings.github_api_url,
        throttle=not loopback,
    )


def _smoke(settings: Settings) -> SmokeRunner:
    return state_machines(settings.aws_region, settings.smoke_timeout_s)


def state_machines(region: str, timeout_s: float) -> SmokeRunner:
    """The Step Functions runner (start, wait, read the failed task's log) of the smoke gates
    and the pool's seeders."""
    from preview import aws

    return aws.StepFunctionsSmoke(
        aws.client("stepfunctions", region), logs=aws.client("logs", region), timeout_s=timeout_s
    )


def _tagged(settings: Settings) -> TaggedResources:
    from preview import aws

    return aws.TaggingResources(aws.client("resourcegroupstaggingapi", settings.aws_region))


def _strays(settings: Settings) -> StrayDeleter:
    from preview.strays import StrayDeleter as AwsStrayDeleter

    return AwsStrayDeleter(settings.aws_region, sleep=time.sleep)


def _indices(settings: Settings) -> IndexCleaner:
    from preview import aws

    # Through the preview's state machine, never to the domain: it is VPC-only (aws.py).
    return aws.StateMachineIndexCleanup(
        aws.client("stepfunctions", settings.aws_region),
        logs=aws.client("logs", settings.aws_region),
        timeout_s=settings.smoke_timeout_s,
    )


# The cost and topology of a preview depend on its design keys, not on pr/sha/branch/expiry,
# so `ls` synthesizes each distinct design once.
_VOLATILE = {"pr", "sha", "branch", "expiresAt"}
_EXTRAS_CACHE: dict[str, Extras] = {}


def synth_extras(pr: int, config: Mapping[str, Any]) -> Extras:
    """Cost/day and the Mermaid picture from preview.synth; the comment works without them."""
    from components import naming

    key = json.dumps({k: v for k, v in config.items() if k not in _VOLATILE}, sort_keys=True)
    if key in _EXTRAS_CACHE:
        return _EXTRAS_CACHE[key]
    try:
        from preview.synth import synth_report

        # The comment needs cost and diagram only: no naive design, no warm-path synth.
        report = synth_report(naming.stack_name(pr), dict(config), naive=False, ready=False)
        extras = Extras(cost_per_day_usd=report.cost_per_day_usd, mermaid=report.mermaid)
    except Exception as exc:  # a synth problem must never block a deploy or a listing
        echo(f"note: no cost/diagram for pr-{pr} ({type(exc).__name__}: {exc})")
        extras = Extras()
    _EXTRAS_CACHE[key] = extras
    return extras
