"""The GitHub reporter: one sticky PR comment, one Deployment environment per PR, open PRs.

Over PyGithub. Rate-limit answers (403 with the rate-limit message or `Retry-After`, 429) and 5xx
answers are retried by PyGithub's `GithubRetry` (urllib3 underneath), honouring `Retry-After` and
`X-RateLimit-Reset`. The comment is found by `report.MARKER` and edited in place; should a retried
POST ever have created a second one, the extras are deleted, so the PR converges on one comment.

Deployment statuses: `in_progress` when up starts, `success`/`failure` with `environment_url`
when it ends, `inactive` when the preview is removed. The token is only ever handed to PyGithub.

The queue: label `QUEUE_LABEL` on a PR plus the hidden record in its comment. A freed slot
re-runs the PR's recorded `pull_request` run rather than dispatching a new one: a re-run keeps
the original event and its permissions (read-only for forks), whereas `workflow_dispatch` would
run with the default branch's workflow and a write token.
"""

from __future__ import annotations

from typing import Any

from github import Auth, Github, GithubException
from github.GithubException import RateLimitExceededException
from github.GithubRetry import GithubRetry

from contracts.errors import UnavailableError, UsageError
from preview.report import MARKER, QueuedPR, QueueEntry, queue_entry

QUEUE_LABEL = "preview:queued"

_STATES = {"in_progress", "success", "failure", "error", "inactive", "queued", "pending"}


def _sticky_comments(issue: Any) -> list[Any]:
    """Our comments on the PR, oldest first: the first is the one kept, the rest are extras."""
    return sorted((c for c in issue.get_comments() if MARKER in (c.body or "")), key=lambda c: c.id)


def _sticky_body(issue: Any) -> str:
    ours = _sticky_comments(issue)
    return str(ours[0].body) if ours else ""


class GitHubReporter:
    def __init__(
        self,
        *,
        token: str,
        repository: str,
        base_url: str = "https://api.github.com",
        retries: int = 6,
        backoff_s: float = 1.0,
        throttle: bool = True,
        max_rate_limit_wait_s: float = 300.0,
    ) -> None:
        if not repository:
            raise UsageError(
                "the GitHub repository is not set",
                hint="set PREVIEW_REPOSITORY to 'owner/name' (CI: ${{ github.repository }})",
            )
        self.repository = repository
        retry = GithubRetry(
            total=retries,
            backoff_factor=backoff_s,
            status_forcelist=[429, *range(500, 600)],
            secondary_rate_wait=max(backoff_s, 0.0),
            # A primary limit can reset an hour away: fail the job rather than sleep that long.
            max_rate_limit_wait=max_rate_limit_wait_s,
            raise_on_status=False,
        )
        self._gh = Github(
            auth=Auth.Token(token) if token else None,
            base_url=base_url.rstrip("/"),
            retry=retry,
            # PyGithub's own pacing protects api.github.com; a test double does not need it.
            seconds_between_requests=0.25 if throttle else None,
            seconds_between_writes=1.0 if throttle else None,
            lazy=True,
        )
        self._repo = self._gh.get_repo(repository)

    def _call(self, what: str, fn: Any) -> Any:
        try:
            return fn()
        except GithubException as exc:
            if exc.status == 401:
                raise UsageError(
                    f"GitHub refused the token while trying to {what} (401)",
                    hint="set GITHUB_TOKEN to a token with pull-requests and deployments write",
                ) from None
            if isinstance(exc, RateLimitExceededException) or _is_rate_limit(exc):
                raise UnavailableError(
                    f"GitHub rate limit while trying to {what}",
                    hint="the token's API quota is used up; re-run after it resets (see "
                    "X-RateLimit-Reset) or use a token with a larger quota",
                ) from None
            if exc.status in (403, 404):
                raise UsageError(
                    f"GitHub answered {exc.status} to {what} in {self.repository}",
                    hint="check PREVIEW_REPOSITORY and that the token may write pull requests "
                    "and deployments (workflow permissions)",
                ) from None
            raise UnavailableError(
                f"GitHub failed to {what}: HTTP {exc.status}",
                hint="GitHub is rate-limiting or failing; re-run the job in a few minutes",
            ) from None

    # --- the sticky comment -----------------------------------------------------------------

    def comment(self, pr: int, body: str) -> None:
        if MARKER not in body:
            body = f"{MARKER}\n{body}"

        def run() -> None:
            issue = self._repo.get_issue(pr)
            ours = _sticky_comments(issue)
            if not ours:
                issue.create_comment(body)
                return
            keep, *extra = ours
            if keep.body != body:
                keep.edit(body)
            for c in extra:
                c.delete()

        self._call(f"update the comment on PR #{pr}", run)

    # --- the queue ----------------------------------------------------------------------------

    def queue_entry(self, pr: int) -> QueueEntry | None:
        result: QueueEntry | None = self._call(
            f"read the comment on PR #{pr}",
            lambda: queue_entry(_sticky_body(self._repo.get_issue(pr))),
        )
        return result

    def queued(self) -> list[QueuedPR]:
        def run() -> list[QueuedPR]:
            # state=all: a PR closed while queued is listed too, so its label can be dropped.
            issues = self._repo.get_issues(state="all", labels=[QUEUE_LABEL])
            return [
                QueuedPR(i.number, i.state == "open", queue_entry(_sticky_body(i)))
                for i in issues
                if i.pull_request is not None
            ]

        result: list[QueuedPR] = self._call("list queued pull requests", run)
        return result

    def set_queued(self, pr: int, queued: bool) -> None:
        def run() -> None:
            issue = self._repo.get_issue(pr)
            if not queued:
                try:
                    issue.remove_from_labels(QUEUE_LABEL)
                except GithubException as exc:
                    if exc.status != 404:  # not labelled: nothing to drop
                        raise
                return
            try:
                self._repo.get_label(QUEUE_LABEL)
            except GithubException as exc:
                if exc.status != 404:
                    raise
                self._repo.create_label(
                    QUEUE_LABEL, "fbca04", "waiting for a free preview slot (preview-platform)"
                )
            issue.add_to_labels(QUEUE_LABEL)

        what = "label" if queued else "unlabel"
        self._call(f"{what} PR #{pr} {QUEUE_LABEL}", run)

    def rerun(self, pr: int, run_id: int | None, workflow: str) -> int:
        """Re-run the recorded run, else the latest `workflow` run of the PR's head commit."""

        def latest() -> Any:
            sha = self._repo.get_pull(pr).head.sha
            runs = self._repo.get_workflow_runs(head_sha=sha, event="pull_request")
            return next((r for r in runs if str(r.path).endswith(f"/{workflow}")), None)

        def run() -> int:
            if run_id:
                try:
                    if self._repo.get_workflow_run(run_id).rerun():
                        return run_id
                except GithubException as exc:
                    if exc.status != 404:  # a deleted run: fall back to the latest one
                        raise
            fallback = latest()
            if fallback is not None and fallback.id != run_id and fallback.rerun():
                return int(fallback.id)
            raise UnavailableError(
                f"GitHub refused to re-run the {workflow} run of PR #{pr} "
                f"(recorded run: {run_id or 'none'})",
                hint="give the job `actions: write` (see README, Queued); a run still in "
                "progress cannot be re-run, so the next freed slot retries",
            )

        result: int = self._call(f"re-run the preview workflow of PR #{pr}", run)
        return result

    # --- deployments --------------------------------------------------------------------------

    def deployment(self, pr: int, sha: str, state: str, url: str = "", logs_url: str = "") -> None:
        if state not in _STATES:
            raise ValueError(f"unknown deployment state {state!r}")
        env = f"pr-{pr}"

        def run() -> None:
            latest = next(iter(self._repo.get_deployments(environment=env)), None)
            if state == "inactive":
                for dep in self._repo.get_deployments(environment=env):
                    dep.create_status("inactive", description="preview removed")
                return
            if state == "in_progress" or latest is None or (sha and latest.sha != sha):
                latest = self._repo.create_deployment(
                    ref=sha,
                    environment=env,
                    task="deploy:preview",
                    auto_merge=False,
                    required_contexts=[],
                    transient_environment=True,
                    production_environment=False,
                    description=f"preview of PR #{pr}",
                )
            kwargs: dict[str, Any] = {}
            if url:
                kwargs["environment_url"] = url
            if logs_url:
                kwargs["target_url"] = logs_url
            latest.create_status(state, description=f"preview {state}", **kwargs)

        self._call(f"record deployment status {state} of {env}", run)

    def smoke_state(self, pr: int) -> str:
        def run() -> str:
            latest = next(iter(self._repo.get_deployments(environment=f"pr-{pr}")), None)
            if latest is None:
                return ""
            status = next(iter(latest.get_statuses()), None)
            return str(status.state) if status is not None else ""

        result: str = self._call(f"read the deployment of PR #{pr}", run)
        return result

    # --- pull requests ------------------------------------------------------------------------

    def open_prs(self) -> set[int]:
        result: set[int] = self._call(
            "list open pull requests",
            lambda: {p.number for p in self._repo.get_pulls(state="open")},
        )
        return result

    def head_sha(self, pr: int) -> str | None:
        def run() -> str | None:
            pull = self._repo.get_pull(pr)
            return None if pull.state != "open" else str(pull.head.sha)

        result: str | None = self._call(f"read PR #{pr}", run)
        return result


def _is_rate_limit(exc: GithubException) -> bool:
    data = exc.data if isinstance(exc.data, dict) else {}
    return "rate limit" in str(data.get("message", "")).lower()
