"""The live set: which `pr-<N>` stacks exist, and what `ls` shows of each."""

from __future__ import annotations

from typing import Any

from components import naming
from contracts.errors import UsageError
from contracts.outputs import PreviewOut
from preview.automation import StackNotFound, StackSummary, TransientError
from preview.domain import Preview, parse_time
from preview.locking import retry
from preview.ports import Deps
from preview.stackconfig import TEMPLATE_HINT, read_stack_file


def preview_stacks(deps: Deps) -> list[StackSummary]:
    """All `pr-<N>` stacks of the backend (staging, prod, bootstrap and strangers excluded)."""
    out = []
    for s in retry(deps, "list stacks", deps.automation.list_stacks):
        try:
            if naming.parse_stack(s.name).is_preview:
                out.append(s)
        except naming.NamingError:
            continue
    return sorted(out, key=lambda s: naming.parse_stack(s.name).pr or 0)


def describe(deps: Deps, summary: StackSummary, *, details: bool = False) -> Preview:
    """One preview from its stack; `details` adds its URL, smoke state and cost (for `ls`)."""
    pr = naming.parse_stack(summary.name).pr or 0
    # Facts come from the stack's outputs: a DIY backend keeps no stack config, so a fresh CI
    # runner (no Pulumi.<stack>.yaml in the checkout) would read none.
    try:
        facts = deps.automation.outputs(summary.name)
    except (StackNotFound, TransientError):
        facts = {}
    url, smoke, cost = "", "", None
    if details:
        url = str(facts.get(PreviewOut.URL, "")) or zone_url(deps, pr)
        smoke = deps.reporter.smoke_state(pr)
        cost = deps.extras(pr, _design(deps, summary.name)).cost_per_day_usd
    return Preview(
        pr=pr,
        stack=summary.name,
        sha=str(facts.get(PreviewOut.SHA, "")),
        branch=str(facts.get(PreviewOut.BRANCH, "")),
        updated_at=summary.last_update,
        expires_at=parse_time(facts.get(PreviewOut.EXPIRES_AT)),
        url=url,
        smoke=smoke,
        cost_per_day_usd=cost,
    )


def _design(deps: Deps, stack: str) -> dict[str, Any]:
    """The config the cost is estimated from: the stack's own where this checkout has it,
    else the template every preview starts from."""
    try:
        cfg: dict[str, Any] = dict(deps.automation.get_config(stack))
    except (StackNotFound, TransientError):
        cfg = {}
    if cfg:
        return cfg
    try:
        return read_stack_file(
            deps.settings.config_template, role="config template", missing_hint=TEMPLATE_HINT
        )
    except UsageError:
        return {}


def ls(deps: Deps) -> list[Preview]:
    return [describe(deps, s, details=True) for s in preview_stacks(deps)]


def zone_url(deps: Deps, pr: int) -> str:
    """Where a preview lives when its stack has no `url` output (yet): https://pr-<N>.<zone>."""
    if not deps.settings.zone:
        return ""
    try:
        return f"https://{naming.hostname(pr, deps.settings.zone)}"
    except naming.NamingError:
        return ""
