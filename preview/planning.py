"""What `up` will do for a push: update, create, evict an idle preview, or queue.

Cap. A PR that already has a stack is always updated. A new PR is deployed only while fewer than
`cap` previews are live. At the cap the policy decides: `queue` deploys nothing, says so in the PR
comment and exits 6; `evict-oldest-idle` tears down the live preview whose last update is oldest,
provided it has been idle for `idle_hours`, and deploys; if none is idle it queues.

Listener-rule priorities of previews on the shared ALB are allocated here too (see
`components.naming.allocate_rule_priority`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from components import naming
from contracts.errors import UsageError
from contracts.outputs import PreviewOut
from preview.automation import StackNotFound, StackSummary
from preview.domain import Plan
from preview.live import describe, preview_stacks
from preview.locking import retry
from preview.ports import Deps
from preview.stackconfig import stack_config


def stack_name(pr: int) -> str:
    """`pr-<N>`, or a UsageError naming `--pr`."""
    try:
        return naming.stack_name(pr)
    except naming.NamingError as exc:
        raise UsageError(f"--pr: {exc.message}", hint=exc.hint) from None


def check_sha(sha: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{7,40}", sha or ""):
        raise UsageError(
            f"--sha {sha!r} is not a git commit sha",
            hint="pass the PR head commit: 7 to 40 lowercase hex characters",
        )
    return sha


def plan(deps: Deps, pr: int, sha: str, branch: str = "") -> Plan:
    s = deps.settings
    stack = stack_name(pr)
    sha = check_sha(sha)
    expires_at = deps.now().replace(microsecond=0) + timedelta(hours=s.ttl_hours)
    config = stack_config(s, pr, sha, branch or f"pr-{pr}", expires_at)
    stacks = preview_stacks(deps)
    live = [x for x in stacks if x.name != stack]
    common: dict[str, Any] = dict(
        pr=pr, sha=sha, branch=branch, stack=stack, config=config, expires_at=expires_at
    )
    if len(live) < len(stacks):
        _set_rule_priority(deps, config, stack, live)
        return Plan(action="update", live=len(live) + 1, **common)
    if len(live) < s.cap:
        _set_rule_priority(deps, config, stack, live)
        return Plan(action="create", live=len(live), **common)
    if s.eviction_policy == "evict-oldest-idle":
        idle_before = deps.now() - timedelta(hours=s.idle_hours)
        idle = [
            p
            for p in (describe(deps, x) for x in live)
            if p.updated_at is not None and p.updated_at <= idle_before
        ]
        if idle:
            victim = min(idle, key=lambda p: p.updated_at or deps.now())
            _set_rule_priority(deps, config, stack, [x for x in live if x.name != victim.stack])
            return Plan(action="evict", live=len(live), evict=victim, **common)
    return Plan(action="queue", live=len(live), **common)


def _rule_priority_of(deps: Deps, stack: str) -> int | None:
    """The bypass priority a stack was deployed with (its rulePriority output), else its PR's
    default. From outputs: a fresh CI runner has no stack config to read it from."""
    try:
        outputs = retry(deps, f"outputs {stack}", lambda: deps.automation.outputs(stack))
    except StackNotFound:
        return None
    value = outputs.get(PreviewOut.RULE_PRIORITY)
    if value not in (None, ""):
        return int(value)
    pr = naming.parse_stack(stack).pr
    return naming.rule_priorities(pr)[0] if pr else None


def _set_rule_priority(
    deps: Deps, config: dict[str, Any], stack: str, others: list[StackSummary]
) -> None:
    """Give a shared-ALB preview listener-rule priorities no other live preview holds.

    A preview keeps its pair across pushes; it moves only when another preview holds it (two
    PRs allocated concurrently), so a PriorityInUse failure heals on the next push.
    """
    if config.get("loadBalancing", "shared") != "shared" or "rulePriority" in config:
        return
    taken = [p for p in (_rule_priority_of(deps, s.name) for s in others) if p is not None]
    used = {(t - 1) // 2 for t in taken}
    mine = _rule_priority_of(deps, stack)
    if mine is None or (mine - 1) // 2 in used:
        mine = naming.allocate_rule_priority(config["pr"], taken)
    config["rulePriority"] = mine
