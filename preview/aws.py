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

from contracts.constants import tools_log_stream
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


class StepFunctionsSmoke:
    """Start the smoke state machine of a preview and wait for its verdict."""

    def __init__(
        self,
        sfn: Any,
        *,
        timeout_s: float,
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

    def run(
        self, state_machine_arn: str, name: str, payload: Mapping[str, Any], log_group: str = ""
    ) -> SmokeResult:
        """Run the gate; on failure, name the failing tests from the failed task's log."""
        safe = execution_name(name)
        started = _aws_call(
            "start the smoke state machine",
            lambda: self.sfn.start_execution(
                stateMachineArn=state_machine_arn, name=safe, input=json.dumps(dict(payload))
            ),
        )
        arn = started["executionArn"]
        deadline = self.clock() + self.timeout_s
        while True:
            desc = _aws_call(
                "describe the smoke execution",
                lambda: self.sfn.describe_execution(executionArn=arn),
            )
            if desc["status"] != "RUNNING":
                return _verdict(desc, self._task_log(log_group, str(desc.get("cause") or "")))
            if self.clock() >= deadline:
                _aws_call(
                    "stop the smoke execution",
                    lambda: self.sfn.stop_execution(
                        executionArn=arn, error="Timeout", cause="preview up stopped waiting"
                    ),
                )
                return SmokeResult(
                    "TIMED_OUT",
                    detail=f"no verdict after {self.timeout_s:.0f}s",
                    execution_arn=arn,
                )
            self.sleep(self.poll_s)

    def _task_log(self, log_group: str, cause: str) -> list[str]:
        """The log lines of the tools task a failed step names (Step Functions keeps only its
        exit code); empty when there is none or it cannot be read: the verdict stands without."""
        task = _TASK_ARN.search(cause)
        if self.logs is None or not log_group or task is None:
            return []
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            events = self.logs.get_log_events(
                logGroupName=log_group,
                logStreamName=tools_log_stream(task.group(0)),
                startFromHead=False,
                limit=200,
            )["events"]
        except (BotoCoreError, ClientError):
            return []
        return [str(e["message"]) for e in events]


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


class OpenSearchIndices:
    """Deletes a preview's indices `pr-<N>-*` on the shared domain (by name, never wildcard)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str, region: str) -> OpenSearchIndices:
        from urllib.parse import urlparse

        from opensearchpy import OpenSearch, RequestsAWSV4SignerAuth, RequestsHttpConnection

        if (urlparse(url).hostname or "").endswith(".amazonaws.com"):
            import boto3

            auth = RequestsAWSV4SignerAuth(boto3.Session().get_credentials(), region, "es")
            return cls(
                OpenSearch(hosts=[url], http_auth=auth, connection_class=RequestsHttpConnection)
            )
        return cls(OpenSearch(hosts=[url]))

    def delete(self, prefix: str) -> int:
        if not re.fullmatch(r"pr-[1-9][0-9]*-", prefix):
            raise ValueError(f"refusing to delete indices under prefix {prefix!r}")
        from opensearchpy.exceptions import NotFoundError, TransportError

        try:
            found = self.client.indices.get(index=f"{prefix}*", expand_wildcards="all")
            names = sorted(n for n in found if n.startswith(prefix))
            for name in names:
                try:
                    self.client.indices.delete(index=name)
                except NotFoundError:
                    continue  # deleted concurrently: that is the goal
        except NotFoundError:
            return 0
        except TransportError as exc:
            raise UnavailableError(
                f"OpenSearch failed while deleting indices {prefix}*: {exc}",
                hint="re-run `preview down`; deleting indices is idempotent",
            ) from None
        return len(names)
