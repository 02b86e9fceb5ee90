"""In-memory doubles of the lifecycle's outside world, with fault injection.

`FakeAutomation` behaves like a Pulumi backend: stacks with config, resources and outputs, one
lock per stack that makes every mutating operation fail like ConcurrentUpdateError, and faults:
transient errors k times per (operation, stack), and a destroy that removes half the resources
before failing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.errors import UnavailableError
from preview.automation import (
    CommandFailed,
    LockInfo,
    StackLocked,
    StackNotFound,
    StackSummary,
    TransientError,
)
from preview.automation.workspace import config_text
from preview.domain import DeleteOutcome, TaggedResource
from preview.report import QueuedPR, QueueEntry, SmokeResult, queue_entry

T0 = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)


class Clock:
    """Virtual time: `sleep` advances it, so waiting and backoff cost no wall time."""

    def __init__(self, start: datetime = T0) -> None:
        self.t = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=seconds)


@dataclass
class FakeStack:
    name: str
    config: dict[str, str] = field(default_factory=dict)
    resources: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    last_update: datetime | None = None
    updates: int = 0


@dataclass
class HeldLock:
    info: LockInfo
    release_after_polls: int | None = None  # None: held until broken


class FakeAutomation:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.stacks: dict[str, FakeStack] = {}
        self.locks: dict[str, HeldLock] = {}
        self.transient: Counter[tuple[str, str]] = Counter()  # (op, stack) -> failures left
        self.halfway: Counter[str] = Counter()  # stack -> destroys that fail half-way
        self.permanent: Counter[tuple[str, str]] = Counter()  # (op, stack) -> hard failures left
        self.calls: list[tuple[str, str]] = []
        self.broken: list[str] = []
        self.lines: list[str] = []

    # --- scenario helpers ---------------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        sha: str = "abcdef1",
        expires: datetime | None = None,
        updated: datetime | None = None,
        resources: int = 4,
        config: bool = True,
    ) -> FakeStack:
        pr = name.removeprefix("pr-")
        cfg = {}
        if config:
            cfg = {"pr": pr, "sha": sha, "branch": f"b{pr}"}
            if expires is not None:
                cfg["expiresAt"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        st = FakeStack(
            name,
            cfg,
            [f"arn:aws:fake:::{name}/r{i}" for i in range(resources)],
            {"url": f"https://{name}.preview.example.com"},
            updated or self.clock.now(),
        )
        self.stacks[name] = st
        return st

    def hold_lock(
        self,
        stack: str,
        *,
        host: str = "runner-a",
        pid: int = 4242,
        age: timedelta = timedelta(minutes=1),
        release_after_polls: int | None = None,
    ) -> None:
        info = LockInfo(f"ci@{host}", host, pid, self.clock.now() - age, key=f"{stack}.json")
        self.locks[stack] = HeldLock(info, release_after_polls)

    def tagged(self) -> list[TaggedResource]:
        out = []
        for st in self.stacks.values():
            if not st.name.startswith("pr-"):
                continue
            exp = st.config.get("expiresAt")
            for arn in st.resources:
                out.append(
                    TaggedResource(
                        arn,
                        int(st.name[3:]),
                        datetime.fromisoformat(exp.replace("Z", "+00:00")) if exp else None,
                    )
                )
        return out

    # --- the protocol ---------------------------------------------------------------------------

    def _enter(self, op: str, stack: str, *, mutating: bool = True) -> FakeStack:
        self.calls.append((op, stack))
        if stack not in self.stacks:
            raise StackNotFound(f"stack {stack} does not exist")
        if mutating and stack in self.locks:
            raise StackLocked(f"stack {stack} is locked")
        if self.transient[(op, stack)] > 0:
            self.transient[(op, stack)] -= 1
            raise TransientError(f"{op} {stack}: 503 Service Unavailable")
        if self.permanent[(op, stack)] > 0:
            self.permanent[(op, stack)] -= 1
            raise CommandFailed(f"{op} {stack}: DependencyViolation")
        return self.stacks[stack]

    def list_stacks(self) -> list[StackSummary]:
        self.calls.append(("list", "*"))
        return [
            StackSummary(s.name, s.last_update, s.name in self.locks, len(s.resources))
            for s in self.stacks.values()
        ]

    def up(self, stack: str, config: Mapping[str, Any], on_output: Any) -> dict[str, Any]:
        if stack not in self.stacks:
            self.stacks[stack] = FakeStack(stack)
        st = self._enter("up", stack)
        # Stored as Pulumi stores config: strings, structured values JSON-encoded.
        st.config = {k: config_text(v) for k, v in config.items()}
        st.resources = [f"arn:aws:fake:::{stack}/r{i}" for i in range(4)]
        st.outputs = {
            "url": f"https://{stack}.preview.example.com",
            "stateMachineArn": f"arn:aws:states:us-east-1:123456789012:stateMachine:{stack}",
            "smokeLogGroupName": f"/preview-platform/{stack}/smoke",
            # The facts the program exports (stacks/preview.py): the CLI reads them back.
            **{k: config[k] for k in ("pr", "sha", "branch", "expiresAt") if k in config},
        }
        if "rulePriority" in config:
            st.outputs["rulePriority"] = int(config["rulePriority"])
        if "warmSlot" in config:
            # The program's own answer (stacks/preview.py), from the config it would get.
            from components.config import load
            from stacks.preview import index_prefix, pre_seeded

            cfg: Any = load(stack, config)
            st.outputs["searchPreSeeded"] = pre_seeded(cfg)
            st.outputs["indexPrefix"] = index_prefix(cfg)
        st.last_update = self.clock.now()
        st.updates += 1
        on_output(f"Updating ({stack}): sha {st.config.get('sha')}")
        return dict(st.outputs)

    def refresh(self, stack: str, on_output: Any) -> None:
        self._enter("refresh", stack)
        on_output(f"Refreshing ({stack})")

    def destroy(self, stack: str, on_output: Any) -> None:
        st = self._enter("destroy", stack)
        if self.halfway[stack] > 0:
            self.halfway[stack] -= 1
            st.resources = st.resources[: len(st.resources) // 2]
            raise CommandFailed(f"destroy {stack}: InvalidDBClusterStateFault half-way")
        st.resources = []
        on_output(f"Destroying ({stack})")

    def remove(self, stack: str) -> None:
        st = self._enter("remove", stack)
        if st.resources:
            raise CommandFailed(f"stack {stack} still has resources")
        del self.stacks[stack]

    def outputs(self, stack: str) -> dict[str, Any]:
        return dict(self._enter("outputs", stack, mutating=False).outputs)

    def get_config(self, stack: str) -> dict[str, str]:
        return dict(self._enter("config", stack, mutating=False).config)

    def lock(self, stack: str) -> LockInfo | None:
        held = self.locks.get(stack)
        if held is None:
            return None
        if held.release_after_polls is not None:
            if held.release_after_polls <= 0:
                del self.locks[stack]
                return None
            held.release_after_polls -= 1
        return held.info

    def break_lock(self, stack: str, lock: LockInfo) -> None:
        self.broken.append(stack)
        self.locks.pop(stack, None)


class FakeReporter:
    """In-memory GitHub: comments by PR, deployment states, open PRs and their head shas, the
    queue label and workflow re-runs (`refuse` holds PRs whose re-run GitHub refuses)."""

    def __init__(self, open_prs: set[int] | None = None) -> None:
        self.open: dict[int, str] = {pr: "" for pr in (open_prs or set())}
        self.comments: dict[int, list[str]] = {}
        self.states: dict[int, list[str]] = {}
        self.labelled: set[int] = set()
        self.reruns: list[tuple[int, int | None]] = []
        self.refuse: set[int] = set()

    def comment(self, pr: int, body: str) -> None:
        self.comments.setdefault(pr, []).append(body)

    def deployment(self, pr: int, sha: str, state: str, url: str = "", logs_url: str = "") -> None:
        self.states.setdefault(pr, []).append(state)

    def open_prs(self) -> set[int]:
        return set(self.open)

    def head_sha(self, pr: int) -> str | None:
        return self.open.get(pr) or None

    def smoke_state(self, pr: int) -> str:
        return (self.states.get(pr) or [""])[-1]

    def queue_entry(self, pr: int) -> QueueEntry | None:
        return queue_entry((self.comments.get(pr) or [""])[-1])

    def queued(self) -> list[QueuedPR]:
        return [QueuedPR(pr, pr in self.open, self.queue_entry(pr)) for pr in self.labelled]

    def set_queued(self, pr: int, queued: bool) -> None:
        if queued:
            self.labelled.add(pr)
        else:
            self.labelled.discard(pr)

    def rerun(self, pr: int, run_id: int | None, workflow: str) -> int:
        if pr in self.refuse:
            raise UnavailableError(f"GitHub refused to re-run the {workflow} run of PR #{pr}")
        self.reruns.append((pr, run_id))
        return run_id or 1000 + pr


class FakeSmoke:
    def __init__(self, result: SmokeResult | None = None) -> None:
        self.result = result or SmokeResult("SUCCEEDED")
        self.runs: list[tuple[str, str, dict[str, Any]]] = []
        self.log_groups: list[str] = []

    def run(
        self, arn: str, name: str, payload: Mapping[str, Any], log_group: str = ""
    ) -> SmokeResult:
        self.runs.append((arn, name, dict(payload)))
        self.log_groups.append(log_group)
        return self.result


class FakeTagged:
    """The tagging index over the fake stacks plus stack-less strays, and a stray deleter.

    `delete` really removes strays (so the reaper's verification sees them gone); an ARN of
    service `unknown` is `manual`, and `fail[arn]` hard failures are injected per ARN.
    """

    def __init__(self, automation: FakeAutomation, strays: list[TaggedResource] | None = None):
        self.automation = automation
        self.strays = list(strays or [])
        self.fail: Counter[str] = Counter()
        self.deleted: list[str] = []

    def find(self) -> list[TaggedResource]:
        return self.automation.tagged() + self.strays

    def delete(
        self, resources: Iterable[TaggedResource], *, dry_run: bool = False
    ) -> list[DeleteOutcome]:
        out = []
        for r in resources:
            if r.arn.split(":")[2] == "unknown":
                out.append(DeleteOutcome(r, "manual", "no automatic delete for this type"))
            elif dry_run:
                out.append(DeleteOutcome(r, "would delete"))
            elif self.fail[r.arn] > 0:
                self.fail[r.arn] -= 1
                out.append(DeleteOutcome(r, "failed", "DependencyViolation: in use"))
            else:
                self.strays = [s for s in self.strays if s.arn != r.arn]
                self.deleted.append(r.arn)
                out.append(DeleteOutcome(r, "deleted"))
        return out


class FakeIndices:
    """The in-VPC cleanup: records (pr, the stack's outputs); `fail` makes it raise."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.deleted: list[int] = []
        self.outputs: list[dict[str, Any]] = []
        self.fail = fail

    def delete(self, pr: int, outputs: Mapping[str, Any]) -> int | None:
        if self.fail is not None:
            raise self.fail
        self.deleted.append(pr)
        self.outputs.append(dict(outputs))
        return 2
