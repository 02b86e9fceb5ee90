"""boto3 adapters: the smoke state machine, the tagging API, and the PR's search indices.

Each takes its client in the constructor so tests hand in clients bound to moto.
Throttling and 5xx are retried by botocore's `standard` retry mode; anything botocore still
raises becomes a PreviewError naming the call and the fix.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from contracts.constants import CLEANUP_INPUT, CLEANUP_STEP, tools_log_stream
from contracts.errors import UnavailableError, UsageError
from preview.domain import TaggedResource, parse_time
from preview.report import SmokeResult

TAG_PR = "preview:pr"
TAG_EXPIRES = "preview:expires-at"
_TEST_NAME = re.compile(r"(?:[\w/.-]+\.py::)?test_\w+(?:\[[^\]]*\])?")
_TASK_ARN = re.compile(r"arn:aws[\w-]*:ecs:[^\s\\\"',]+:task/[^\s\\\"',]+")


def client(service: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    make: Any = boto3.client  # the stubs' overloads want a literal service name
    return make(
        service, region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 8})
    )


def error_code(exc: Any) -> str:
    """The AWS error code of a botocore ClientError ("?" when the response has none)."""
    return str(exc.response.get("Error", {}).get("Code", "?"))


def _aws_call(what: str, fn: Callable[[], Any]) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return fn()
    except NoCredentialsError:
        raise UsageError(
            f"no AWS credentials to {what}",
            hint="configure credentials (CI: aws-actions/configure-aws-credentials with OIDC)",
        ) from None
    except ClientError as exc:
        code = error_code(exc)
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            raise UsageError(
                f"AWS denied {what} ({code})",
                hint="grant the preview role this permission (bootstrap stack)",
            ) from None
        raise UnavailableError(f"AWS failed to {what}: {code}", hint="re-run later") from None
    except BotoCoreError as exc:
        raise UnavailableError(f"AWS failed to {what}: {exc}", hint="re-run later") from None


class _StateMachine:
    """Runs one execution of a state machine to its end, and reads its tools task's log."""

    def __init__(
        self,
        sfn: Any,
        *,
        timeout_s: float = 900.0,
        logs: Any = None,
        poll_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sfn = sfn
        self.logs = logs
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.sleep = sleep
        self.clock = clock

    def _execute(
        self, machine: str, name: str, payload: Mapping[str, Any], what: Mapping[str, str]
    ) -> tuple[str, Mapping[str, Any] | None]:
        """(execution ARN, its final description); None when the wait timed out, after stopping
        the execution. `what` words each call for its error: `start`, `run`, `stopper`."""
        started = _aws_call(
            f"start the {what['start']}",
            lambda: self.sfn.start_execution(
                stateMachineArn=machine, name=name, input=json.dumps(dict(payload))
            ),
        )
        arn = started["executionArn"]
        deadline = self.clock() + self.timeout_s
        while True:
            desc = _aws_call(
                f"describe the {what['run']}", lambda: self.sfn.describe_execution(executionArn=arn)
            )
            if desc["status"] != "RUNNING":
                return arn, desc
            if self.clock() >= deadline:
                _aws_call(
                    f"stop the {what['run']}",
                    lambda: self.sfn.stop_execution(
                        executionArn=arn, error="Timeout", cause=what["stopper"]
                    ),
                )
                return arn, None
            self.sleep(self.poll_s)

    def _log_events(self, log_group: str, task_arn: str, **extra: Any) -> list[Any] | None:
        """The latest events of the tools task's stream; None when there is none to read."""
        if self.logs is None or not log_group:
            return None
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            events: list[Any] = self.logs.get_log_events(
                logGroupName=log_group,
                logStreamName=tools_log_stream(task_arn),
                startFromHead=False,
                **extra,
            )["events"]
        except (BotoCoreError, ClientError):
            return None
        return events


class StepFunctionsSmoke(_StateMachine):
    """Start the smoke state machine of a preview and wait for its verdict."""

    _WHAT = {
        "start": "smoke state machine",
        "run": "smoke execution",
        "stopper": "preview up stopped waiting",
    }

    def run(
        self, state_machine_arn: str, name: str, payload: Mapping[str, Any], log_group: str = ""
    ) -> SmokeResult:
        """Run the gate; on failure, name the failing tests from the failed task's log."""
        arn, desc = self._execute(state_machine_arn, execution_name(name), payload, self._WHAT)
        if desc is None:
            return SmokeResult(
                "TIMED_OUT", detail=f"no verdict after {self.timeout_s:.0f}s", execution_arn=arn
            )
        return _verdict(desc, self._task_log(log_group, str(desc.get("cause") or "")))

    def _task_log(self, log_group: str, cause: str) -> list[str]:
        """The log lines of the tools task a failed step names (Step Functions keeps only its
        exit code); empty when there is none or it cannot be read: the verdict stands without."""
        task = _TASK_ARN.search(cause)
        events = self._log_events(log_group, task.group(0), limit=200) if task else None
        return [str(e["message"]) for e in events or []]


def execution_name(name: str) -> str:
    """Step Functions execution names: 1-80 chars of [A-Za-z0-9-_], unique per machine."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)[:80] or "run"


def _verdict(desc: Mapping[str, Any], task_log: Sequence[str] = ()) -> SmokeResult:
    status = str(desc["status"])
    arn = str(desc.get("executionArn", ""))
    if status == "SUCCEEDED":
        return SmokeResult(status, execution_arn=arn)
    error = str(desc.get("error") or "")
    cause = str(desc.get("cause") or "")
    # The runner's last line says it all (`smoke FAILED against URL: ... (test_a, test_b)`);
    # otherwise the last line the task printed (a sync error) explains the exit code.
    said = [line.strip() for line in task_log if line.strip()]
    summary = next((line for line in reversed(said) if line.startswith("smoke FAILED")), "")
    last = summary or (said[-1] if said else "")
    tests = tuple(dict.fromkeys(_TEST_NAME.findall(summary or cause)))
    # The PR shows the start of the detail: the task's own words beat its exit code.
    detail = ": ".join(x for x in (error, last or (cause.splitlines()[0] if cause else "")) if x)
    return SmokeResult(status, failed_tests=tests, detail=detail, execution_arn=arn)


class TaggingResources:
    """Every AWS resource tagged `preview:pr`, via the Resource Groups Tagging API."""

    def __init__(self, tagging: Any) -> None:
        self.tagging = tagging

    def find(self) -> list[TaggedResource]:
        def run() -> list[TaggedResource]:
            found: list[TaggedResource] = []
            pages = self.tagging.get_paginator("get_resources").paginate(
                TagFilters=[{"Key": TAG_PR}], ResourcesPerPage=100
            )
            for page in pages:
                for item in page.get("ResourceTagMappingList", []):
                    tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                    if TAG_PR not in tags:
                        continue  # deleted resources can linger untagged in the index
                    pr = tags[TAG_PR]
                    found.append(
                        TaggedResource(
                            arn=item["ResourceARN"],
                            pr=int(pr) if pr.isdigit() else None,
                            expires_at=parse_time(tags.get(TAG_EXPIRES)),
                        )
                    )
            return found

        result: list[TaggedResource] = _aws_call("list resources tagged preview:pr", run)
        return result


class StateMachineIndexCleanup(_StateMachine):
    """Deletes a preview's search indices from inside its VPC.

    The domain is VPC-only and `preview down` runs on a GitHub-hosted runner (public internet),
    so the runner never calls it: it starts the preview's own state machine with
    `CLEANUP_INPUT` (`{"action": "cleanup"}`, contracts/constants.py), which runs
    `preview sync --delete-prefix` in the tools task as the task role that owns the indices, and
    waits for the verdict. The runner calls only Step Functions and CloudWatch Logs (public AWS
    APIs). Returns how many indices the task says it deleted (None: its log was unreadable).
    """

    _WHAT = {
        "start": "index cleanup",
        "run": "index cleanup",
        "stopper": "preview down stopped waiting",
    }

    def delete(self, pr: int, outputs: Mapping[str, Any]) -> int | None:
        machine = str(outputs.get("stateMachineArn") or "")
        if not machine:
            raise UnavailableError(
                f"pr-{pr} exports no stateMachineArn, so nothing in its VPC can delete its indices",
                hint="delete the indices pr-<N>-* from inside the VPC by hand",
            )
        name = execution_name(f"cleanup-pr-{pr}-{time.time_ns()}")
        arn, desc = self._execute(machine, name, CLEANUP_INPUT, self._WHAT)
        if desc is None:
            raise UnavailableError(
                f"deleting the search indices of pr-{pr} gave no verdict in {self.timeout_s:.0f}s",
                hint=f"see execution {arn}",
            )
        if desc["status"] != "SUCCEEDED":
            verdict = _verdict(desc)
            raise UnavailableError(
                f"deleting the search indices of pr-{pr} failed in its tools task: "
                f"{verdict.detail or desc['status']}",
                hint=f"see execution {arn} and the log group {outputs.get('smokeLogGroupName')}",
            )
        return self._deleted(str(outputs.get("smokeLogGroupName") or ""), desc)

    def _deleted(self, log_group: str, desc: Mapping[str, Any]) -> int | None:
        """The count from the task's last stdout line (`preview sync` prints a JSON summary)."""
        try:
            task = json.loads(desc.get("output") or "{}")[CLEANUP_STEP]["TaskArn"]
        except (KeyError, TypeError, ValueError):
            return None
        for event in reversed(self._log_events(log_group, task) or []):
            try:
                summary = json.loads(str(event["message"]))
            except ValueError:
                continue
            if isinstance(summary, dict) and isinstance(summary.get("deleted"), list):
                return len(summary["deleted"])
        return None
