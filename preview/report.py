"""The Markdown of the one sticky PR comment (and of the job summary): what a reviewer sees.

The hidden `MARKER` on the first line is how the reporter finds its comment again, so the PR
never collects more than one. A queued PR's comment also carries a hidden `QUEUE_TAG` line with
when it was queued and which workflow run asked: GitHub is the queue's only store, because the
CLI is a stateless process in Actions. No setting is rendered; error texts may quote tool
output, so the pipeline masks registered secrets (`preview.console.redact`) in the body before
it is posted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from contracts.constants import PROJECT

MARKER = f"<!-- {PROJECT}:sticky-comment -->"
QUEUE_TAG = f"{PROJECT}:queue"
_QUEUE_RE = re.compile(r"<!-- " + re.escape(QUEUE_TAG) + r" (\{.*?\}) -->")

Status = Literal[
    "planned", "deploying", "ready", "smoke-failed", "failed", "queued", "removing", "removed"
]

_BADGE: dict[str, str] = {
    "planned": "🕓 planned",
    "deploying": "🚧 deploying",
    "ready": "✅ ready",
    "smoke-failed": "❌ smoke tests failed",
    "failed": "❌ deploy failed",
    "queued": "⏳ queued (live-preview cap reached)",
    "removing": "🧹 removing",
    "removed": "🗑️ removed",
}


@dataclass(frozen=True)
class SmokeResult:
    """Outcome of the smoke state machine: status is SUCCEEDED, FAILED, TIMED_OUT or ABORTED."""

    status: str
    failed_tests: tuple[str, ...] = ()
    detail: str = ""
    execution_arn: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "SUCCEEDED"


@dataclass(frozen=True)
class QueueEntry:
    """The hidden queue record of a queued PR's comment."""

    queued_at: datetime
    run_id: int | None = None


@dataclass(frozen=True)
class QueuedPR:
    """A PR carrying the queue label; `entry` is None when its comment lost the record."""

    pr: int
    open: bool
    entry: QueueEntry | None = None


def queue_entry(body: str) -> QueueEntry | None:
    """The queue record hidden in a comment body, if any (a malformed one counts as none)."""
    m = _QUEUE_RE.search(body or "")
    if not m:
        return None
    try:
        data = json.loads(m.group(1))
        at = datetime.fromisoformat(str(data["queued_at"]).replace("Z", "+00:00"))
        run_id = int(data["run_id"]) if data.get("run_id") else None
        return QueueEntry(at if at.tzinfo else at.replace(tzinfo=UTC), run_id)
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class ReportState:
    pr: int
    status: Status
    sha: str = ""
    url: str = ""
    smoke: SmokeResult | None = None
    cost_per_day_usd: float | None = None
    expires_at: datetime | None = None
    logs_url: str = ""
    mermaid: str = ""
    error: str = ""
    hint: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    queue: QueueEntry | None = None


def render(state: ReportState) -> str:
    """The whole comment body; deterministic for a given state."""
    lines = [MARKER]
    if state.queue is not None:
        data = {
            "queued_at": state.queue.queued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "run_id": state.queue.run_id,
        }
        lines.append(f"<!-- {QUEUE_TAG} {json.dumps(data, sort_keys=True)} -->")
    lines += [f"### Preview `pr-{state.pr}` — {_BADGE[state.status]}", ""]
    rows: list[tuple[str, str]] = []
    if state.url:
        rows.append(("URL", state.url if state.status == "removed" else f"<{state.url}>"))
    if state.sha:
        rows.append(("Commit", f"`{state.sha[:12]}`"))
    if state.smoke is not None:
        rows.append(("Smoke", _smoke(state.smoke)))
    if state.cost_per_day_usd is not None:
        rows.append(("Est. cost", f"${state.cost_per_day_usd:.2f}/day"))
    if state.expires_at is not None:
        rows.append(("Expires", state.expires_at.strftime("%Y-%m-%d %H:%M UTC")))
    if state.logs_url:
        rows.append(("Logs", f"[CI run]({state.logs_url})"))
    if state.smoke is not None and state.smoke.execution_arn.startswith("arn:aws:states:"):
        region = state.smoke.execution_arn.split(":")[3]
        console = (
            f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{state.smoke.execution_arn}"
        )
        rows.append(("Smoke run", f"[Step Functions execution]({console})"))
    if rows:
        lines += ["| | |", "| --- | --- |"] + [f"| {k} | {_cell(v)} |" for k, v in rows]
        lines.append("")
    if state.error:
        lines += [f"**Error:** {_cell(state.error)}", ""]
        if state.hint:
            lines += [f"**What to do:** {_cell(state.hint)}", ""]
    if state.smoke is not None and state.smoke.failed_tests:
        lines.append("<details><summary>Failing smoke tests</summary>\n")
        lines += [f"- `{name}`" for name in state.smoke.failed_tests]
        lines += ["", "</details>", ""]
    lines += [f"> {note}" for note in state.notes]
    if state.notes:
        lines.append("")
    if state.mermaid:
        lines += ["<details><summary>Topology</summary>", "", "```mermaid"]
        lines += [state.mermaid.strip(), "```", "", "</details>", ""]
    return "\n".join(lines).rstrip() + "\n"


def _smoke(result: SmokeResult) -> str:
    if result.passed:
        return "passed"
    text = result.status.lower().replace("_", " ")
    if result.failed_tests:
        text += f" ({len(result.failed_tests)} failing)"
    if result.detail:
        text += f": {result.detail[:200]}"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
