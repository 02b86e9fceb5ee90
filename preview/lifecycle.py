"""The preview lifecycle as plain functions over dataclasses: plan, up, down, reap, ls.

Every outside system comes in through `Deps` (Pulumi via `preview.automation.Automation`, GitHub
via `Reporter`, AWS via `SmokeRunner`/`TaggedResources`/`StrayDeleter`/`IndexCleaner`), so the
whole pipeline runs in tests against fakes and the commands only wire the real adapters.

Rules this module implements (and tests/cli/ proves):

Cap. A PR that already has a stack is always updated. A new PR is deployed only while fewer than
`cap` previews are live. At the cap the policy decides: `queue` deploys nothing, says so in the PR
comment and exits 6; `evict-oldest-idle` tears down the live preview whose last update is oldest,
provided it has been idle for `idle_hours`, and deploys; if none is idle it queues.

Queue. GitHub holds it (the CLI keeps no state between runs): a queued PR gets the label
`preview:queued` and its comment records when it was first queued and the workflow run that
asked. Whenever a slot may have freed (`down`, `reap` after destroying), `dequeue` re-runs the
recorded runs of the oldest open queued PRs, one per free slot; the re-run `up` deploys and drops
the label. Dequeuing never fails the command that freed the slot: a refusal is a warning and the
PR stays labelled, so the next freed slot retries it.

Pushes racing each other. Before deploying and again once it holds the way to the stack, `up`
asks GitHub for the PR's head sha. A run whose sha is no longer the head is superseded: it
deploys nothing and exits 0, so a newer push always wins and an older run that happens to get
the lock later can never roll the preview back.

Locks (the rule for breaking one). A held lock is waited for, polling up to `lock_wait_s`. It is
broken only when the holder is provably gone, which is one of:
  1. the lock was taken on this host and its pid no longer exists; or
  2. the lock is older than `lock_stale_s`, which is set above the CI job timeout, so the job
     that took it has been killed by the runner.
A lock that is held and fresh is never broken: after `lock_wait_s` the command exits 4 (LOCKED).
Backends that do not expose their lock (Pulumi Cloud) are only ever waited for.

Convergence. `down` and the reaper's teardown are idempotent steps (refresh, destroy, remove,
delete indices, deactivate deployment, update comment); a missing stack counts as destroyed, and
transient failures are retried with exponential backoff. Re-running after any partial failure
finishes the job. The reaper only tears down stacks whose PR is closed or whose `expiresAt` has
passed, so it never touches a live PR's preview.

Strays. Resources tagged `preview:pr=<N>` for which no `pr-<N>` stack exists (stack removed by
hand, crashed first deploy) are deleted by ARN through `StrayDeleter`, and only when PR N is an
orphan by the same rule; resources of live PRs and untagged ones are never handed to it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from components import naming
from preview.automation import (
    Automation,
    LockInfo,
    StackLocked,
    StackNotFound,
    StackSummary,
    TransientError,
    this_host,
)
from preview.errors import CappedError, PreviewError, SmokeFailedError, UsageError, redact
from preview.report import QueuedPR, QueueEntry, ReportState, SmokeResult, render
from preview.settings import Settings

T = TypeVar("T")

# Stack outputs of a pr-<N> stack the CLI reads (exported by __main__.py).
OUT_URL = "url"
OUT_STATE_MACHINE = "stateMachineArn"
OUT_SMOKE_LOGS = "smokeLogGroupName"


class Reporter(Protocol):
    """What the pipeline tells GitHub (implemented by preview.github.GitHubReporter)."""

    def comment(self, pr: int, body: str) -> None: ...

    def deployment(self, pr: int, sha: str, state: str, url: str = "", logs_url: str = "") -> None:
        """Record a status of environment pr-<N>: in_progress|success|failure|inactive."""
        ...

    def open_prs(self) -> set[int]: ...

    def head_sha(self, pr: int) -> str | None: ...

    def smoke_state(self, pr: int) -> str: ...

    def queue_entry(self, pr: int) -> QueueEntry | None:
        """The queue record in the PR's comment, if it has one."""
        ...

    def queued(self) -> list[QueuedPR]:
        """Every PR (open or closed) carrying the queue label."""
        ...

    def set_queued(self, pr: int, queued: bool) -> None:
        """Add or drop the queue label (dropping an absent label is fine)."""
        ...

    def rerun(self, pr: int, run_id: int | None, workflow: str) -> int:
        """Re-run the PR's preview workflow run; returns the run id. Raises when refused."""
        ...


class SmokeRunner(Protocol):
    def run(
        self, state_machine_arn: str, name: str, payload: Mapping[str, Any], log_group: str = ""
    ) -> SmokeResult: ...


@dataclass(frozen=True)
class TaggedResource:
    arn: str
    pr: int | None
    expires_at: datetime | None


class TaggedResources(Protocol):
    def find(self) -> list[TaggedResource]: ...


@dataclass(frozen=True)
class DeleteOutcome:
    resource: TaggedResource
    action: str  # deleted | would delete | manual | failed
    detail: str = ""


class StrayDeleter(Protocol):
    """Deletes tagged resources no stack owns, by ARN (implemented by preview.strays)."""

    def delete(
        self, resources: Iterable[TaggedResource], *, dry_run: bool = False
    ) -> list[DeleteOutcome]: ...


class IndexCleaner(Protocol):
    def delete(self, prefix: str) -> int: ...


@dataclass(frozen=True)
class Extras:
    """Figures from `preview.synth` for the comment; absent when synth is unavailable."""

    cost_per_day_usd: float | None = None
    mermaid: str = ""


@dataclass
class Deps:
    settings: Settings
    automation: Automation
    reporter: Reporter | None = None
    smoke: SmokeRunner | None = None
    tagged: TaggedResources | None = None
    strays: StrayDeleter | None = None
    indices: IndexCleaner | None = None
    extras: Callable[[int, Mapping[str, Any]], Extras] | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = lambda s: None
    out: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
    pid_alive: Callable[[int], bool] = lambda pid: _pid_alive(pid)
    host: str = field(default_factory=this_host)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the live set ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """One live preview, as `ls` shows it."""

    pr: int
    stack: str
    sha: str
    branch: str
    updated_at: datetime | None
    expires_at: datetime | None
    url: str = ""
    smoke: str = ""
    cost_per_day_usd: float | None = None


def preview_stacks(deps: Deps) -> list[StackSummary]:
    """All `pr-<N>` stacks of the backend (staging, prod, bootstrap and strangers excluded)."""
    out = []
    for s in _retry(deps, "list stacks", deps.automation.list_stacks):
        try:
            if naming.parse_stack(s.name).is_preview:
                out.append(s)
        except naming.NamingError:
            continue
    return sorted(out, key=lambda s: naming.parse_stack(s.name).pr or 0)


def _preview(deps: Deps, summary: StackSummary, *, details: bool = False) -> Preview:
    pr = naming.parse_stack(summary.name).pr or 0
    try:
        cfg = deps.automation.get_config(summary.name)
    except StackNotFound:
        cfg = {}
    url, smoke, cost = "", "", None
    if details:
        try:
            url = str(deps.automation.outputs(summary.name).get(OUT_URL, ""))
        except (StackNotFound, TransientError):
            url = ""
        url = url or _zone_url(deps, pr)
        if deps.reporter is not None:
            smoke = deps.reporter.smoke_state(pr)
        if deps.extras is not None:
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
    return [_preview(deps, s, details=True) for s in preview_stacks(deps)]


# --- plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    pr: int
    sha: str
    branch: str
    stack: str
    config: dict[str, Any]
    expires_at: datetime
    action: Literal["create", "update", "queue", "evict"]
    live: int
    evict: Preview | None = None


def stack_config(
    settings: Settings, pr: int, sha: str, branch: str, expires_at: datetime
) -> dict[str, Any]:
    """The `preview.yaml` template with the CLI's keys merged over it, validated."""
    template = load_template(settings.config_template)
    cfg: dict[str, Any] = {**template}
    if settings.app_image and isinstance(cfg.get("app"), dict):
        app = dict(cfg["app"])
        app["services"] = [
            {**svc, "image": svc.get("image") or settings.app_image}
            for svc in app.get("services", [])
        ]
        cfg["app"] = app
    cfg.update(
        pr=pr,
        sha=sha,
        branch=branch,
        expiresAt=expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    if settings.staging_stack:
        cfg["stagingStack"] = settings.staging_stack
    cfg.setdefault("aws:region", settings.aws_region)
    from components import config as stack_cfg

    try:
        stack_cfg.load(naming.stack_name(pr), cfg)
    except stack_cfg.ConfigError as exc:
        raise UsageError(
            f"{settings.config_template}: {exc.key} {exc.message}", hint=exc.hint
        ) from None
    return cfg


def load_template(path: Path) -> dict[str, Any]:
    """Config of a Pulumi stack file; `preview-platform:` stripped, other namespaces kept."""
    import yaml

    if not path.is_file():
        raise UsageError(
            f"config template {path} does not exist",
            hint="create preview.yaml (see docs) or set PREVIEW_CONFIG_TEMPLATE to its path",
        )
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UsageError(
            f"config template {path} is not valid YAML: {exc}", hint="fix the YAML"
        ) from None
    raw = doc.get("config", {}) if isinstance(doc, dict) else None
    if not isinstance(raw, dict):
        raise UsageError(
            f"config template {path} has no 'config:' mapping",
            hint="use the Pulumi stack-file format: a top-level 'config:' mapping",
        )
    out: dict[str, Any] = {}
    for key, value in raw.items():
        ns, sep, short = str(key).partition(":")
        # Our namespace is implied (bare keys); others such as aws:region stay qualified.
        out[short if sep and ns == naming.PROJECT else str(key)] = value
    return out


def plan(deps: Deps, pr: int, sha: str, branch: str = "") -> Plan:
    s = deps.settings
    stack = _stack_name(pr)
    sha = _check_sha(sha)
    expires_at = deps.now().replace(microsecond=0) + timedelta(hours=s.ttl_hours)
    config = stack_config(s, pr, sha, branch or f"pr-{pr}", expires_at)
    stacks = preview_stacks(deps)
    live = [x for x in stacks if x.name != stack]
    common = dict(pr=pr, sha=sha, branch=branch, stack=stack, config=config, expires_at=expires_at)
    if len(live) < len(stacks):
        _set_rule_priority(deps, config, stack, live)
        return Plan(action="update", live=len(live) + 1, **common)  # type: ignore[arg-type]
    if len(live) < s.cap:
        _set_rule_priority(deps, config, stack, live)
        return Plan(action="create", live=len(live), **common)  # type: ignore[arg-type]
    if s.eviction_policy == "evict-oldest-idle":
        idle_before = deps.now() - timedelta(hours=s.idle_hours)
        idle = [
            p
            for p in (_preview(deps, x) for x in live)
            if p.updated_at is not None and p.updated_at <= idle_before
        ]
        if idle:
            victim = min(idle, key=lambda p: p.updated_at or deps.now())
            _set_rule_priority(deps, config, stack, [x for x in live if x.name != victim.stack])
            return Plan(action="evict", live=len(live), evict=victim, **common)  # type: ignore[arg-type]
    return Plan(action="queue", live=len(live), **common)  # type: ignore[arg-type]


def _rule_priority_of(deps: Deps, stack: str) -> int | None:
    """The bypass priority a stack was deployed with: its rulePriority, else its PR's default."""
    try:
        cfg = _retry(deps, f"config {stack}", lambda: deps.automation.get_config(stack))
    except StackNotFound:
        return None
    value = cfg.get("rulePriority")
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


def _stack_name(pr: int) -> str:
    try:
        return naming.stack_name(pr)
    except naming.NamingError as exc:
        raise UsageError(f"--pr: {exc.message}", hint=exc.hint) from None


def _check_sha(sha: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{7,40}", sha or ""):
        raise UsageError(
            f"--sha {sha!r} is not a git commit sha",
            hint="pass the PR head commit: 7 to 40 lowercase hex characters",
        )
    return sha


# --- up -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpResult:
    stack: str
    outcome: Literal["deployed", "superseded"]
    plan: Plan | None = None
    url: str = ""
    smoke: SmokeResult | None = None
    report: str = ""


def up(deps: Deps, pr: int, sha: str, branch: str = "") -> UpResult:
    """Plan, deploy or queue, run the smoke gate, report. Raises the PreviewError of a failure.

    Every failure after the flags are validated is also shown in the PR: the comment gets the
    error and the fix, and a started deployment is marked failure.
    """
    stack = _stack_name(pr)
    sha = _check_sha(sha)
    if _superseded(deps, pr, sha):
        return UpResult(stack, "superseded")
    started: list[bool] = []
    try:
        return _up(deps, pr, sha, branch, started)
    except (CappedError, SmokeFailedError):
        raise  # reported with their own status
    except Exception as exc:
        if isinstance(exc, PreviewError):
            error, hint = exc.message, exc.hint
        else:
            error = f"internal error: {type(exc).__name__}: {exc}"
            hint = "this is a bug in the preview CLI: re-run, and report it with the job log"
        _report(
            deps,
            ReportState(
                pr=pr,
                status="failed",
                sha=sha,
                logs_url=deps.settings.run_url,
                error=error,
                hint=hint,
            ),
        )
        if started:
            _deployment(deps, pr, sha, "failure")
        raise


def _up(deps: Deps, pr: int, sha: str, branch: str, started: list[bool]) -> UpResult:
    p = plan(deps, pr, sha, branch)
    extras = deps.extras(pr, p.config) if deps.extras else Extras()
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
        state = replace(
            base,
            status="queued",
            notes=(
                f"{p.live} previews are live and the cap is {deps.settings.cap} "
                f"(policy: {deps.settings.eviction_policy}). Nothing was deployed for this push. "
                "It deploys automatically when a preview slot frees (oldest queued PR first).",
            ),
            queue=_enqueue(deps, pr),
        )
        _report(deps, state)
        raise CappedError(
            f"the live-preview cap ({deps.settings.cap}) is reached; pr-{pr} is queued",
            hint="close a preview's PR, raise PREVIEW_CAP, or use "
            "PREVIEW_EVICTION_POLICY=evict-oldest-idle; then re-run",
        )
    if p.action == "evict" and p.evict is not None:
        deps.out(f"cap reached: evicting idle preview {p.evict.stack} to make room")
        teardown(deps, p.evict.pr, reason=f"evicted to make room for pr-{pr} (idle preview)")
    if p.action != "update":
        _unqueue(deps, pr)  # a new preview may have waited in the queue
    _report(deps, base)
    _deployment(deps, pr, sha, "in_progress")
    started.append(True)
    _wait_for_lock(deps, p.stack)
    if _superseded(deps, pr, sha):
        _deployment(deps, pr, sha, "inactive")
        return UpResult(p.stack, "superseded", p)
    outputs = _retry(
        deps, f"up {p.stack}", lambda: deps.automation.up(p.stack, p.config, deps.out), p.stack
    )
    url = str(outputs.get(OUT_URL, "")) or _zone_url(deps, pr)
    smoke = _run_smoke(deps, p, outputs)
    passed = smoke is None or smoke.passed
    state = replace(base, status="ready" if passed else "smoke-failed", url=url, smoke=smoke)
    body = _report(deps, state)
    _deployment(deps, pr, sha, "success" if passed else "failure", url)
    if not passed:
        raise SmokeFailedError(
            f"pr-{pr} deployed at {url} but its smoke gate {smoke.status if smoke else ''}",
            hint="open the PR comment for the failing tests and the state machine execution, "
            "fix them and push",
        )
    return UpResult(p.stack, "deployed", p, url=url, smoke=smoke, report=body)


def _enqueue(deps: Deps, pr: int) -> QueueEntry:
    """Label the PR and make its queue record; a PR queued before keeps its place."""
    prior = None
    if deps.reporter is not None:
        prior = deps.reporter.queue_entry(pr)
        deps.reporter.set_queued(pr, True)
    queued_at = prior.queued_at if prior else deps.now().replace(microsecond=0)
    # The newest push's run is the one worth re-running: an older one would be superseded.
    return QueueEntry(queued_at, deps.settings.run_id or (prior.run_id if prior else None))


def _unqueue(deps: Deps, pr: int) -> None:
    """Drop the queue label; a stale label only costs a needless re-run, so it never fails."""
    if deps.reporter is None:
        return
    try:
        deps.reporter.set_queued(pr, False)
    except PreviewError as exc:
        deps.out(f"warning: could not drop the queue label of pr-{pr}: {exc.message}")


@dataclass(frozen=True)
class Dequeued:
    pr: int
    run_id: int
    queued_at: datetime | None


def dequeue(deps: Deps) -> list[Dequeued]:
    """Re-run the workflows of the oldest open queued PRs, one per free slot. Never raises."""
    if deps.reporter is None:
        return []
    reporter = deps.reporter
    try:
        queued = reporter.queued()
        free = deps.settings.cap - len(preview_stacks(deps)) if queued else 0
    except PreviewError as exc:
        deps.out(f"warning: could not read the preview queue: {exc.message}")
        return []
    oldest = datetime.max.replace(tzinfo=UTC)
    started: list[Dequeued] = []
    for q in sorted(queued, key=lambda q: (q.entry.queued_at if q.entry else oldest, q.pr)):
        try:
            if not q.open:
                reporter.set_queued(q.pr, False)  # closed while waiting: no longer wanted
                continue
            if len(started) >= free:
                break
            recorded = q.entry.run_id if q.entry else None
            run_id = reporter.rerun(q.pr, recorded, deps.settings.workflow)
        except PreviewError as exc:
            deps.out(f"warning: pr-{q.pr} stays queued: {exc.message} ({exc.hint})")
            continue
        deps.out(f"pr-{q.pr}: a preview slot is free; re-running workflow run {run_id}")
        started.append(Dequeued(q.pr, run_id, q.entry.queued_at if q.entry else None))
    return started


def _run_smoke(deps: Deps, p: Plan, outputs: Mapping[str, Any]) -> SmokeResult | None:
    arn = str(outputs.get(OUT_STATE_MACHINE, ""))
    if deps.smoke is None or not arn:
        deps.out("no smoke state machine in the stack outputs; skipping the smoke gate")
        return None
    ts = deps.now().strftime("%Y%m%dT%H%M%S")
    name = f"{p.stack}-{p.sha[:12]}-{ts}"
    payload = {"pr": p.pr, "sha": p.sha, "url": str(outputs.get(OUT_URL, ""))}
    return deps.smoke.run(arn, name, payload, str(outputs.get(OUT_SMOKE_LOGS, "")))


def _zone_url(deps: Deps, pr: int) -> str:
    """Where a preview lives when its stack has no `url` output (yet): https://pr-<N>.<zone>."""
    if not deps.settings.zone:
        return ""
    try:
        return f"https://{naming.hostname(pr, deps.settings.zone)}"
    except naming.NamingError:
        return ""


def _superseded(deps: Deps, pr: int, sha: str) -> bool:
    if deps.reporter is None:
        return False
    head = deps.reporter.head_sha(pr)
    if head and not head.startswith(sha) and not sha.startswith(head):
        deps.out(f"pr-{pr}: {sha[:12]} is superseded by the newer push {head[:12]}; not deploying")
        return True
    return False


def _report(deps: Deps, state: ReportState) -> str:
    # Error text can quote anything a tool printed, tokens included: mask before it leaves.
    body = redact(render(state))
    if deps.reporter is not None:
        deps.reporter.comment(state.pr, body)
    summary = deps.settings.step_summary
    if summary is not None and state.status not in ("deploying", "removing"):
        with summary.open("a", encoding="utf-8") as fh:
            fh.write(body + "\n")
    return body


def _deployment(deps: Deps, pr: int, sha: str, state: str, url: str = "") -> None:
    if deps.reporter is not None:
        deps.reporter.deployment(pr, sha, state, url=url, logs_url=deps.settings.run_url)


# --- locks and retries ----------------------------------------------------------------------


def holder_gone(deps: Deps, lock: LockInfo) -> bool:
    """The lock-breaking rule of the module docstring."""
    if lock.hostname == deps.host and not deps.pid_alive(lock.pid):
        return True
    age = (deps.now() - lock.acquired_at).total_seconds()
    return age > deps.settings.lock_stale_s


def _wait_for_lock(deps: Deps, stack: str, deadline: datetime | None = None) -> None:
    deadline = deadline or deps.now() + timedelta(seconds=deps.settings.lock_wait_s)
    delay = max(deps.settings.backoff_s, 1.0)
    while True:
        lock = deps.automation.lock(stack)
        if lock is None:
            return
        if holder_gone(deps, lock):
            deps.out(
                f"{stack}: breaking the lock of {lock.holder} pid {lock.pid} taken "
                f"{lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC: its holder is gone"
            )
            deps.automation.break_lock(stack, lock)
            return
        if deps.now() >= deadline:
            raise StackLocked(
                f"{stack} is locked by a live update of {lock.holder} (pid {lock.pid}, since "
                f"{lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC)",
                hint="wait for that update to finish and re-run; the lock is broken automatically "
                "only when its holder is gone or it is older than "
                f"{deps.settings.lock_stale_s:.0f}s",
            )
        deps.out(f"{stack}: waiting for the lock held by {lock.holder}")
        deps.sleep(delay)
        delay = min(delay * 2, 60.0)


def _retry(deps: Deps, what: str, fn: Callable[[], T], stack: str = "") -> T:
    """Run `fn`, retrying transient failures with exponential backoff and waiting out locks."""
    s = deps.settings
    deadline = deps.now() + timedelta(seconds=s.lock_wait_s)
    attempt = 0
    while True:
        try:
            return fn()
        except TransientError as exc:
            if attempt >= s.retries:
                raise
            delay = s.backoff_s * 2**attempt
            attempt += 1
            deps.out(f"{what}: {exc.message}; retry {attempt}/{s.retries} in {delay:.0f}s")
            deps.sleep(delay)
        except StackLocked:
            if not stack or deps.now() >= deadline:
                raise
            deps.sleep(max(s.backoff_s, 1.0))
            _wait_for_lock(deps, stack, deadline)


# --- down -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownResult:
    pr: int
    destroyed: bool  # a stack existed and is now gone
    indices_deleted: int
    dequeued: tuple[Dequeued, ...] = ()


def down(deps: Deps, pr: int) -> DownResult:
    stack = _stack_name(pr)
    result = teardown(deps, pr, reason="the pull request was closed", stack=stack)
    _unqueue(deps, pr)
    return replace(result, dequeued=tuple(dequeue(deps)))


def teardown(deps: Deps, pr: int, *, reason: str, stack: str | None = None) -> DownResult:
    """Idempotent teardown of one preview: every step tolerates having been done already."""
    stack = stack or naming.stack_name(pr)
    sha = ""
    exists = any(s.name == stack for s in preview_stacks(deps))
    if exists:
        try:
            sha = deps.automation.get_config(stack).get("sha", "")
        except StackNotFound:
            exists = False
    if exists:
        _report(deps, ReportState(pr=pr, status="removing", sha=sha, notes=(reason,)))
        try:
            _wait_for_lock(deps, stack)
            _retry(
                deps, f"refresh {stack}", lambda: deps.automation.refresh(stack, deps.out), stack
            )
            _retry(
                deps, f"destroy {stack}", lambda: deps.automation.destroy(stack, deps.out), stack
            )
            _retry(deps, f"remove {stack}", lambda: deps.automation.remove(stack), stack)
        except StackNotFound:
            pass  # removed by someone else meanwhile: that is the goal
        except PreviewError as exc:
            rerun = f"re-running `preview down --pr {pr}` finishes the job"
            exc.hint = f"{exc.hint}; {rerun}" if exc.hint else rerun
            _report(
                deps,
                ReportState(
                    pr=pr,
                    status="failed",
                    sha=sha,
                    error=f"teardown stopped: {exc.message}",
                    hint=exc.hint,
                ),
            )
            raise
    deleted = 0
    if deps.indices is not None:
        deleted = _retry(
            deps,
            f"delete indices of {stack}",
            lambda: deps.indices.delete(naming.index_prefix(pr)),  # type: ignore[union-attr]
        )
    _deployment(deps, pr, sha, "inactive")
    _report(deps, ReportState(pr=pr, status="removed", sha=sha, notes=(reason,)))
    return DownResult(pr=pr, destroyed=exists, indices_deleted=deleted)


# --- reap -----------------------------------------------------------------------------------


VERIFY_ATTEMPTS = 4
VERIFY_DELAY_S = 15.0


@dataclass(frozen=True)
class ReapRow:
    pr: int
    stack: str
    reason: str  # why it is (not) an orphan
    # keep | destroyed | would destroy | deleted | would delete | manual | stray | failed | re-run
    action: str
    detail: str = ""


@dataclass(frozen=True)
class ReapResult:
    rows: list[ReapRow]
    leftovers: list[TaggedResource]

    @property
    def orphans(self) -> set[int]:
        return {r.pr for r in self.rows if r.action not in ("keep", "re-run")}


def _orphan_reason(pr: int, open_prs: set[int], expires_at: datetime | None, now: datetime) -> str:
    if pr not in open_prs:
        return "PR closed"
    if expires_at is not None and expires_at <= now:
        return f"expired {expires_at:%Y-%m-%d %H:%M}"
    return ""


def reap(deps: Deps, *, dry_run: bool = False) -> ReapResult:
    if deps.reporter is None:
        raise UsageError(
            "the reaper needs GitHub to know which PRs are open",
            hint="set GITHUB_TOKEN and PREVIEW_REPOSITORY",
        )
    now = deps.now()
    open_prs = deps.reporter.open_prs()
    rows: list[ReapRow] = []
    stacks = {naming.parse_stack(s.name).pr or 0: s for s in preview_stacks(deps)}
    tagged = deps.tagged.find() if deps.tagged is not None else []
    tagged_expiry: dict[int, datetime] = {}
    for r in tagged:
        if r.pr is not None and r.expires_at is not None:
            tagged_expiry[r.pr] = min(r.expires_at, tagged_expiry.get(r.pr, r.expires_at))
    targets: list[tuple[int, str]] = []
    for pr, summary in sorted(stacks.items()):
        p = _preview(deps, summary)
        expires = p.expires_at or tagged_expiry.get(pr)
        reason = _orphan_reason(pr, open_prs, expires, now)
        if not reason:
            rows.append(ReapRow(pr, summary.name, "PR open, not expired", "keep"))
        else:
            targets.append((pr, reason))
    stray = sorted({r.pr for r in tagged if r.pr is not None and r.pr not in stacks})
    for pr in stray:
        reason = _orphan_reason(pr, open_prs, tagged_expiry.get(pr), now)
        if reason:
            targets.append((pr, f"{reason}; resources without a stack"))
    failed: set[int] = set()
    for pr, reason in targets:
        stack = naming.stack_name(pr)
        if dry_run:
            rows.append(ReapRow(pr, stack, reason, "would destroy"))
            continue
        try:
            teardown(deps, pr, reason=f"removed by the reaper: {reason}")
            rows.append(ReapRow(pr, stack, reason, "destroyed"))
        except PreviewError as exc:
            failed.add(pr)
            rows.append(ReapRow(pr, stack, reason, "failed", exc.message))
    # Only PRs without a stack: a stack's own resources go with its destroy, and a failed
    # teardown is left for the re-run rather than deleting from under Pulumi's state.
    stray_targets = {pr for pr, _ in targets if pr in stray} - failed
    reported: set[str] = set()
    if deps.strays is not None and stray_targets:
        doomed = [r for r in tagged if r.pr in stray_targets]
        for o in deps.strays.delete(doomed, dry_run=dry_run):
            detail = f"{o.resource.arn}: {o.detail}" if o.detail else o.resource.arn
            rows.append(
                ReapRow(o.resource.pr or 0, "-", "resource without a stack", o.action, detail)
            )
            if o.action in ("manual", "failed"):
                reported.add(o.resource.arn)
    leftovers: list[TaggedResource] = []
    if not dry_run and deps.tagged is not None and targets:
        reaped = {pr for pr, _ in targets}
        # The tagging index trails deletions by a little: look again before calling it a leftover.
        for attempt in range(VERIFY_ATTEMPTS):
            leftovers = [r for r in deps.tagged.find() if r.pr in reaped]
            if not leftovers or attempt == VERIFY_ATTEMPTS - 1:
                break
            deps.sleep(VERIFY_DELAY_S)
        for r in leftovers:
            if r.arn not in reported:  # already listed as manual or failed, with the reason
                rows.append(ReapRow(r.pr or 0, "-", "still tagged after teardown", "stray", r.arn))
    if not dry_run and targets:
        for d in dequeue(deps):
            rows.append(ReapRow(d.pr, "-", "queued, a slot freed", "re-run", f"run {d.run_id}"))
    return ReapResult(rows=sorted(rows, key=lambda r: (r.pr, r.action)), leftovers=leftovers)


# --- parsing --------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A plain, aligned text table."""
    head = [str(h) for h in headers]
    body = [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


def _age(delta: timedelta) -> str:
    secs = int(delta.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    if secs >= 86400:
        return f"{sign}{secs // 86400}d{(secs % 86400) // 3600}h"
    if secs >= 3600:
        return f"{sign}{secs // 3600}h{(secs % 3600) // 60}m"
    return f"{sign}{secs // 60}m"


def ls_table(rows: list[Preview], now: datetime) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of `preview ls`: age since the last update, time left until expiry."""
    headers = ["PR", "SHA", "AGE", "EXPIRES IN", "URL", "SMOKE", "COST/DAY"]
    cells = [
        [
            str(p.pr),
            p.sha[:12],
            _age(now - p.updated_at) if p.updated_at else "?",
            _age(p.expires_at - now) if p.expires_at else "?",
            p.url or "-",
            p.smoke or "-",
            f"${p.cost_per_day_usd:.2f}" if p.cost_per_day_usd is not None else "-",
        ]
        for p in rows
    ]
    return headers, cells
