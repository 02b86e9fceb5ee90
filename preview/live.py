"""The live set: which `pr-<N>` stacks exist, and what `ls` shows of each."""

from __future__ import annotations

from components import naming
from contracts.outputs import PreviewOut
from preview.automation import StackNotFound, StackSummary, TransientError
from preview.domain import Preview, parse_time
from preview.locking import retry
from preview.ports import Deps


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
    try:
        cfg = deps.automation.get_config(summary.name)
    except StackNotFound:
        cfg = {}
    url, smoke, cost = "", "", None
    if details:
        try:
            url = str(deps.automation.outputs(summary.name).get(PreviewOut.URL, ""))
        except (StackNotFound, TransientError):
            url = ""
        url = url or zone_url(deps, pr)
        smoke = deps.reporter.smoke_state(pr)
        cost = deps.extras(pr, cfg).cost_per_day_usd
    return Preview(
        pr=pr,
        stack=summary.name,
        sha=cfg.get("sha", ""),
        branch=cfg.get("branch", ""),
        updated_at=summary.last_update,
        expires_at=parse_time(cfg.get("expiresAt")),
        url=url,
        smoke=smoke,
        cost_per_day_usd=cost,
    )


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
