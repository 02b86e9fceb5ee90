"""Fixtures of the smoke-gate tests: moto's Step Functions interpreter and small HTTP servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from smoke.definition import SmokeTargets, build_definition
from smoke.health import handler as health_handler
from tests.smoke.moto_shims import container_exit_codes, ecs_sync_casing, lambda_runtime

REGION = "us-east-1"
REPO = Path(__file__).resolve().parents[2]
SEARCH_SPEC = REPO / "examples" / "app" / "search-spec.yaml"
SHA = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HealthState:
    """What the stand-in app's /healthz answers; tests flip it."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"status": "ok", "sha": SHA})
    location: str | None = None
    # Answer 503 to this many requests first, like an app still starting.
    unhealthy_first: int = 0
    requests: int = 0

    def reset(self) -> None:
        self.__dict__.update(HealthState().__dict__)


@contextmanager
def loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on a free loopback port from a daemon thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def health_server() -> Iterator[tuple[str, HealthState]]:
    """A loopback server answering every GET from a HealthState (healthy until a test flips it);
    yields its base URL and the state."""
    state = HealthState()

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            state.requests += 1
            starting = state.requests <= state.unhealthy_first
            body = json.dumps(state.body).encode()
            self.send_response(503 if starting else state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with loopback(Handler) as url:
        yield url, state


@contextmanager
def redirector(status: int, to: str) -> Iterator[str]:
    """A loopback listener answering every GET with `status` to `to` + the request's path (an
    ALB's port-80 listener); yields its URL."""

    class Redirect(_QuietHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Location", f"{to}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    with loopback(Redirect) as url:
        yield url


@pytest.fixture(scope="module")
def _health_server() -> Iterator[tuple[str, HealthState]]:
    with health_server() as served:
        yield served


@pytest.fixture
def health_app(_health_server: tuple[str, HealthState]) -> tuple[str, HealthState]:
    """A loopback server answering /healthz from a HealthState (healthy at the start of a test)."""
    _health_server[1].reset()
    return _health_server


@dataclass
class Gate:
    """A smoke gate deployed into moto, with the knobs the tests turn."""

    targets: SmokeTargets
    role_arn: str
    exit_codes: dict[str, int]
    # Commands of the ECS tasks the state machine started, in start order.
    commands: list[list[str]]
    lambda_events: list[dict[str, Any]]
    sfn: Any
    ecs: Any

    def machine(self, **overrides: Any) -> str:
        """Create the state machine of these targets; returns its ARN."""
        targets = replace(self.targets, **overrides)
        name = f"smoke-{len(self.sfn.list_state_machines()['stateMachines'])}"
        arn: str = self.sfn.create_state_machine(
            name=name, definition=json.dumps(build_definition(targets)), roleArn=self.role_arn
        )["stateMachineArn"]
        return arn

    def run(self, payload: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        """Create the state machine, run it on `payload` to the end, return describe_execution."""
        machine = self.machine(**overrides)
        execution = self.sfn.start_execution(
            stateMachineArn=machine, input=json.dumps(payload or {})
        )["executionArn"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            result: dict[str, Any] = self.sfn.describe_execution(executionArn=execution)
            if result["status"] != "RUNNING":
                return result
            time.sleep(0.1)
        raise AssertionError(f"execution {execution} still running after 120 s")


# (command, environment, task ARN) -> exit code.
ContainerRun = Callable[[list[str], dict[str, str], str], int]
# Where the tools tasks log, as the preview stack's awslogs configuration has it.
LOG_GROUP = "/preview-platform/pr-12/smoke"


@dataclass(frozen=True)
class GateWorld:
    """Names, tags and roles of what the gate runs over. The defaults are the smoke tests' own
    (one untagged role for everything); tests/authz passes the synthesized pr-12 stack's, so the
    real policies judge real ARNs."""

    cluster: str = "pr-12"
    tools_family: str = "pr-12-tools"
    health_function: str = "pr-12-health"
    log_group: str = LOG_GROUP
    tags: dict[str, str] = field(default_factory=dict)
    task_role: str = "smoke"
    execution_role: str = "smoke"
    health_role: str = "smoke"
    machine_role: str = "smoke"


def tools_and_health(
    base_url: str, health_url: str, expected_sha: str, world: GateWorld | None = None
) -> tuple[SmokeTargets, str]:
    """In the current moto account: the VPC, ECS cluster and tools task definition, the health
    Lambda and the log group; returns the gate's targets over them and the state machine's role."""
    world = world or GateWorld()
    ec2 = boto3.client("ec2", REGION)
    ecs = boto3.client("ecs", REGION)
    iam = boto3.client("iam", REGION)
    lam = boto3.client("lambda", REGION)
    ecs_tags = [{"key": k, "value": v} for k, v in world.tags.items()]
    boto3.client("logs", REGION).create_log_group(logGroupName=world.log_group, tags=world.tags)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc run_task needs DNS hostnames on the VPC, as Fargate does.
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tools", Description="tools", VpcId=vpc)
    cluster = ecs.create_cluster(clusterName=world.cluster, tags=ecs_tags)["cluster"]["clusterArn"]
    uses = (world.task_role, world.execution_role, world.health_role, world.machine_role)
    role = {
        name: iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument="{}",
            Tags=[{"Key": k, "Value": v} for k, v in world.tags.items()],
        )["Role"]["Arn"]
        for name in dict.fromkeys(uses)
    }
    task_definition = ecs.register_task_definition(
        family=world.tools_family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        taskRoleArn=role[world.task_role],
        executionRoleArn=role[world.execution_role],
        containerDefinitions=[{"name": "tools", "image": "tools:1", "cpu": 256, "memory": 512}],
        tags=ecs_tags,
    )["taskDefinition"]["taskDefinitionArn"]
    function = lam.create_function(
        FunctionName=world.health_function,
        Runtime="python3.12",
        Role=role[world.health_role],
        Handler="health.handler",
        Code={"ZipFile": b"stand-in: tests run smoke.health.handler in-process"},
        Tags=world.tags,
    )["FunctionArn"]
    targets = SmokeTargets(
        cluster_arn=cluster,
        tools_task_definition_arn=task_definition,
        tools_container_name="tools",
        subnets=[subnet],
        security_groups=[group["GroupId"]],
        health_function_arn=function,
        base_url=base_url,
        health_url=health_url,
        expected_sha=expected_sha,
        execution_role_arn=role[world.execution_role],
        task_role_arn=role[world.task_role],
        # The shortest schedule ASL allows: two retries one second apart.
        health_deadline_seconds=2,
        health_interval_seconds=1,
        health_backoff_rate=1.0,
        health_max_delay_seconds=1,
        health_request_timeout_seconds=2,
    )
    return targets, role[world.machine_role]


@contextmanager
def deployed_gate(
    base_url: str, health_url: str, expected_sha: str, execute: ContainerRun | None = None
) -> Iterator[Gate]:
    """A moto account with a VPC, ECS cluster, tools task definition and health Lambda.

    The health Lambda runs smoke.health.handler in-process. A tools task exits with the code the
    test set in `Gate.exit_codes` for its subcommand, else `execute(command, environment)` runs
    it for real (None: exits 0).
    """
    exit_codes: dict[str, int] = {}
    commands: list[list[str]] = []

    def container(command: list[str], environment: dict[str, str], task_arn: str) -> int:
        commands.append(command)
        # The image's entrypoint is `preview`: the first word is the subcommand.
        verb = command[0] if command else ""
        if verb in exit_codes:
            return exit_codes[verb]
        return execute(command, environment, task_arn) if execute else 0

    config: Any = {
        "stepfunctions": {"execute_state_machine": True},
        "lambda": {"use_docker": False},
    }
    # Tasks stop on the first DescribeTasks instead of walking four states, 0.5 s per poll.
    state_manager.set_transition("ecs::task", {"progression": "immediate"})
    try:
        with (
            mock_aws(config=config),
            ecs_sync_casing(),
            container_exit_codes(container),
            lambda_runtime(health_handler) as events,
        ):
            targets, role = tools_and_health(base_url, health_url, expected_sha)
            sfn, ecs = boto3.client("stepfunctions", REGION), boto3.client("ecs", REGION)
            yield Gate(targets, role, exit_codes, commands, events, sfn, ecs)
    finally:
        state_manager.unset_transition("ecs::task")


@pytest.fixture
def gate(_moto_gate: Gate, health_app: tuple[str, HealthState]) -> Gate:
    """The smoke gate in moto in front of the stand-in health server.

    One account serves the module (building it takes seconds); each test starts from all tasks
    exiting 0 and no recorded commands or Lambda events.
    """
    _moto_gate.exit_codes.clear()
    _moto_gate.commands.clear()
    _moto_gate.lambda_events.clear()
    return _moto_gate


@pytest.fixture(scope="module")
def _moto_gate(_health_server: tuple[str, HealthState]) -> Iterator[Gate]:
    base_url, _ = _health_server
    with deployed_gate(base_url, f"{base_url}/healthz", SHA) as gate:
        yield gate


# --- the reference app on a loopback port, with real MariaDB and OpenSearch behind it ---

APP_SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


@pytest.fixture(scope="session")
def survey_db(mariadb_server: Any) -> Iterator[str]:
    """A fresh MariaDB database with a small survey dataset (examples/seed.py)."""
    import sqlalchemy as sa

    from examples.seed import populate

    url: str = mariadb_server.create_database()
    engine = sa.create_engine(url)
    populate(engine, rows=300, seed=7)
    engine.dispose()
    yield url
    mariadb_server.drop_database(url.rsplit("/", 1)[1].split("?", 1)[0])


@pytest.fixture(scope="session")
def survey_index(opensearch_url: str, survey_db: str) -> Iterator[str]:
    """`survey_db` seeded into OpenSearch by the real `preview sync` with the app's search spec.

    Yields the index prefix; the indices are deleted afterwards.
    """
    import uuid

    prefix = f"smoke-{uuid.uuid4().hex[:8]}-"
    env = {
        **os.environ,
        "PREVIEW_SYNC_DATABASE_URL": survey_db,
        "PREVIEW_SYNC_OPENSEARCH_URL": opensearch_url,
        "PREVIEW_SYNC_INDEX_PREFIX": prefix,
    }
    sync = [sys.executable, "-m", "preview.cli", "sync", "--spec", str(SEARCH_SPEC)]
    result = subprocess.run(
        sync, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"preview sync failed:\n{result.stdout}\n{result.stderr}"
    yield prefix
    subprocess.run(
        [*sync, "--delete-prefix"], cwd=REPO, env=env, capture_output=True, timeout=120, check=False
    )


@pytest.fixture(scope="session")
def reference_app(
    survey_db: str, survey_index: str, opensearch_url: str
) -> Iterator[tuple[str, Any]]:
    """examples/app served on a loopback port; yields (base URL, App)."""
    from examples.app.app import App, Settings, serve

    app = App(
        Settings(
            database_url=survey_db,
            search_url=opensearch_url,
            index_prefix=survey_index,
            sha=APP_SHA,
            slow_seconds=0.6,
        )
    )
    server, thread = serve(app)
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    app.engine.dispose()


@pytest.fixture
def app(reference_app: tuple[str, Any]) -> Iterator[tuple[str, Any]]:
    """The reference app, healthy at the start and the end of each test."""
    url, instance = reference_app
    instance.faults.clear()
    yield url, instance
    instance.faults.clear()


def run_smoke(base_url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `preview smoke`; returns (exit code, its summary line).

    The budget is generous unless a test sets one: on a loaded CI machine a healthy query may
    take seconds, and only test_slow_app_breaks_the_budget is about time.
    """
    budget = [] if "--budget-ms" in args else ["--budget-ms", "20000"]
    sha = [] if "--expected-sha" in args else ["--expected-sha", APP_SHA]
    command = [
        *(sys.executable, "-m", "preview.cli", "smoke", "--base-url", base_url),
        *budget,
        *sha,
        *args,
    ]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("smoke ")]
    assert lines, f"no summary line:\n{result.stdout}\n{result.stderr}"
    return result.returncode, lines[-1]


def failure(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(failed step, its error object) from a failed execution's cause."""
    step, separator, error = result["cause"].partition(" failed: ")
    assert separator, f"cause does not name a step: {result['cause']!r}"
    return step, json.loads(error)
