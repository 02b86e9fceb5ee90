"""`preview up`: plan, admit (deploy, evict or queue), deploy, run the smoke gate, report.

Pushes racing each other. Before deploying and again once it holds the way to the stack, `up`
asks GitHub for the PR's head sha. A run whose sha is no longer the head is superseded: it
deploys nothing and exits 0, so a newer push always wins and an older run that happens to get
the lock later can never roll the preview back.

Every failure after the flags are validated is also shown in the PR: the comment gets the error
and the fix, and a started deployment is marked failure.

Secrets. A `secure:` value is encrypted with one stack's key, so the template cannot carry one
for stacks that do not exist yet. A secret the design needs (`oidcClientSecret` for
`urlProtection: oidc`) comes from the environment (PREVIEW_OIDC_CLIENT_SECRET) at `up` time
and goes to Pulumi as a secret config value: it is stored encrypted and masked in all output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from components.config import SECRET_KEY
from contracts.constants import SEEDED_INPUT
from contracts.errors import CappedError, PreviewError, SmokeFailedError, UsageError
from contracts.outputs import PreviewOut
from preview import notify, warm
from preview.automation import Secret
from preview.domain import Plan, UpResult
from preview.live import zone_url
from preview.locking import retry, wait_for_lock
from preview.planning import check_sha, plan, stack_name
from preview.ports import Deps
from preview.queue import enqueue, unqueue
from preview.report import ReportState, SmokeResult
from preview.teardown import teardown

T = TypeVar("T")


def up(deps: Deps, pr: int, sha: str, branch: str = "") -> UpResult:
    """Raises the PreviewError of a failure, after showing it in the PR."""
    stack = stack_name(pr)
    sha = check_sha(sha)
    if notify.superseded(deps, pr, sha):
        return UpResult(stack, "superseded")
    p, base = _reported(deps, pr, sha, lambda: _admit(deps, pr, sha, branch))
    return _reported(deps, pr, sha, lambda: _deploy(deps, p, base), started=True)


def _reported(deps: Deps, pr: int, sha: str, step: Callable[[], T], *, started: bool = False) -> T:
    """Run `step`; show any failure in the PR (capped and smoke-failed report themselves)."""
    try:
        return step()
    except (CappedError, SmokeFailedError):
        raise
    except Exception as exc:
        if isinstance(exc, PreviewError):
            error, hint = exc.message, exc.hint
        else:
            error = f"internal error: {type(exc).__name__}: {exc}"
            hint = "this is a bug in the preview CLI: re-run, and report it with the job log"
        state = ReportState(
            pr=pr, status="failed", sha=sha, logs_url=deps.settings.run_url, error=error, hint=hint
        )
        notify.post(deps, state)
        if started:
            notify.deployment(deps, pr, sha, "failure")
        raise


def _admit(deps: Deps, pr: int, sha: str, branch: str) -> tuple[Plan, ReportState]:
    """Plan the push; queue it at the cap (raises CappedError) or make room; mark it deploying."""
    p = plan(deps, pr, sha, branch)
    extras = deps.extras(pr, p.config)
    base = ReportState(
        pr=pr,
        status="deploying",
        sha=sha,
        expires_at=p.expires_at,
        logs_url=deps.settings.run_url,
        cost_per_day_usd=extras.cost_per_day_usd,
        mermaid=extras.mermaid,
    )
    if p.action == "queue":
        _queue(deps, p, base)
    if p.action == "evict" and p.evict is not None:
        deps.out(f"cap reached: evicting idle preview {p.evict.stack} to make room")
        teardown(deps, p.evict.pr, reason=f"evicted to make room for pr-{pr} (idle preview)")
    if p.action != "update":
        unqueue(deps, pr)  # a new preview may have waited in the queue
    notify.post(deps, base)
    notify.deployment(deps, pr, sha, "in_progress")
    return p, base


def _queue(deps: Deps, p: Plan, base: ReportState) -> None:
    s = deps.settings
    note = (
        f"{p.live} previews are live and the cap is {s.cap} (policy: {s.eviction_policy}). "
        "Nothing was deployed for this push. "
        "It deploys automatically when a preview slot frees (oldest queued PR first)."
    )
    notify.post(deps, replace(base, status="queued", notes=(note,), queue=enqueue(deps, p.pr)))
    raise CappedError(
        f"the live-preview cap ({s.cap}) is reached; pr-{p.pr} is queued",
        hint="close a preview's PR, raise PREVIEW_CAP, or use "
        "PREVIEW_EVICTION_POLICY=evict-oldest-idle; then re-run",
    )


def _deploy(deps: Deps, p: Plan, base: ReportState) -> UpResult:
    """Take the stack, deploy unless superseded meanwhile, gate on smoke, report the result."""
    pr, sha = p.pr, p.sha
    secrets = _secrets(deps, p.config)  # refused before anything is locked or claimed
    wait_for_lock(deps, p.stack)
    if notify.superseded(deps, pr, sha):
        notify.deployment(deps, pr, sha, "inactive")
        return UpResult(p.stack, "superseded", p)
    t0 = deps.now()
    path = warm.choose(deps, p)  # sets p.config[warmSlot] on the warm path
    config = {**p.config, **secrets}
    t1 = deps.now()
    outputs = retry(
        deps, f"up {p.stack}", lambda: deps.automation.up(p.stack, config, deps.out), p.stack
    )
    t2 = deps.now()
    warm.confirm(deps, p, path)
    url = str(outputs.get(PreviewOut.URL, "")) or zone_url(deps, pr)
    smoke = _run_smoke(deps, p, outputs, first_warm=path.kind == "warm" and p.action != "update")
    steps = [("stack up", t2 - t1), ("smoke gate", deps.now() - t2)]
    if path.kind == "warm":
        steps.insert(0, ("claim", t1 - t0))
    passed = smoke is None or smoke.passed
    state = replace(
        base,
        status="ready" if passed else "smoke-failed",
        url=url,
        smoke=smoke,
        notes=(*base.notes, warm.note(path, steps)),
    )
    body = notify.post(deps, state)
    notify.deployment(deps, pr, sha, "success" if passed else "failure", url)
    if not passed:
        raise SmokeFailedError(
            f"pr-{pr} deployed at {url} but its smoke gate {smoke.status if smoke else ''}",
            hint="open the PR comment for the failing tests and the state machine execution, "
            "fix them and push",
        )
    return UpResult(p.stack, "deployed", p, url=url, smoke=smoke, report=body)


def _secrets(deps: Deps, config: Mapping[str, Any]) -> dict[str, Secret]:
    """The secret config values the design needs, from the settings (see the module docstring)."""
    protection = config.get("urlProtection")
    if not (isinstance(protection, Mapping) and protection.get("mode") == "oidc"):
        return {}
    value = deps.settings.oidc_client_secret.get_secret_value()
    if not value:
        raise UsageError(
            f"urlProtection mode oidc needs the OIDC client secret ({SECRET_KEY}), and "
            "PREVIEW_OIDC_CLIENT_SECRET is unset",
            hint="pass it from a repository secret: PREVIEW_OIDC_CLIENT_SECRET: "
            "${{ secrets.PREVIEW_OIDC_CLIENT_SECRET }} in the `preview up` step",
        )
    return {SECRET_KEY: Secret(value)}


def _run_smoke(
    deps: Deps, p: Plan, outputs: Mapping[str, Any], *, first_warm: bool = False
) -> SmokeResult | None:
    """Run the gate. A new warm preview's indices were seeded by the pool: it skips SeedSearch
    (every later push seeds again, with what the PR changed)."""
    arn = str(outputs.get(PreviewOut.STATE_MACHINE, ""))
    if deps.smoke is None or not arn:
        deps.out("no smoke state machine in the stack outputs; skipping the smoke gate")
        return None
    ts = deps.now().strftime("%Y%m%dT%H%M%S")
    name = f"{p.stack}-{p.sha[:12]}-{ts}"
    payload: dict[str, Any] = {
        "pr": p.pr,
        "sha": p.sha,
        "url": str(outputs.get(PreviewOut.URL, "")),
    }
    if first_warm and outputs.get(PreviewOut.PRE_SEEDED) is True:
        payload[SEEDED_INPUT] = True
    return deps.smoke.run(arn, name, payload, str(outputs.get(PreviewOut.SMOKE_LOGS, "")))
