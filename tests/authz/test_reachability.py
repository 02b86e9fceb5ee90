"""Every endpoint a caller contacts answers where that caller runs (tests/authz/reachability.py).

The runner side is recorded: `preview down` and `preview reap` run as the workflows run them
(the real CLI with the job's environment, PREVIEW_OPENSEARCH_URL included, Pulumi faked, GitHub
the loopback double, AWS moto) while every host the process resolves and every AWS endpoint
botocore calls is recorded. A host that answers only inside the VPC fails the resolution the
way it fails a GitHub-hosted runner, and fails the test. The in-VPC side is read from the
graphs: each ECS container's and the Lambda's configured endpoints, from where they run.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from moto import mock_aws

from preview.synth.harness import Synth, synthesize
from tests.authz.opensearch import domains, task_callers
from tests.authz.reachability import INTERNET, VPC, endpoint_zones, has_nat, unreachable
from tests.cli.fakes import Clock, FakeAutomation
from tests.cli.github_double import GitHubDouble
from tests.infra.conftest import preview_config, stack_file

pytestmark = pytest.mark.authz

REPO = Path(__file__).resolve().parents[2]
TOKEN = "ghp_reachREACHreachREACHreach0123456789"
SHA = "0123456789abcdef0123456789abcdef01234567"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def graphs() -> dict[str, Synth]:
    return {
        "staging": synthesize("staging", stack_file("Pulumi.staging.yaml")),
        "pr-12": synthesize("pr-12", preview_config(pr=12)),
        "pr-34": synthesize("pr-34", preview_config(pr=34, search="dedicated")),
    }


class Network:
    """What one process contacts: hosts it resolves, AWS endpoints botocore calls."""

    def __init__(self, blocked: set[str]) -> None:
        self.blocked = blocked
        self.hosts: list[str] = []

    def getaddrinfo(self, real: Any) -> Any:
        def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            self.hosts.append(name)
            if name in self.blocked:
                # On a runner it resolves to private addresses and the connect times out.
                raise socket.gaierror(f"{name}: VPC-only, unreachable from a GitHub-hosted runner")
            return real(host, *args, **kwargs)

        return resolve


@pytest.fixture
def runner(
    monkeypatch: pytest.MonkeyPatch, graphs: dict[str, Synth]
) -> Iterator[tuple[Network, Any, GitHubDouble]]:
    """The CLI as the workflow job runs it, with its network recorded."""
    import botocore.client

    zones = endpoint_zones(graphs)
    network = Network({h for h, z in zones.items() if INTERNET not in z})
    monkeypatch.setattr(socket, "getaddrinfo", network.getaddrinfo(socket.getaddrinfo))
    real_call = botocore.client.BaseClient._make_api_call

    def aws_call(self: Any, operation: str, params: Any) -> Any:
        network.hosts.append(urlsplit(self.meta.endpoint_url).hostname or "")
        return real_call(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", aws_call)
    (staging_domain,) = domains("staging", graphs["staging"])
    moto = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})  # runs the ASL
    with GitHubDouble(token=TOKEN) as gh, moto:
        gh.open_pr(12, SHA, state="closed")
        automation = FakeAutomation(Clock())
        stack = automation.add("pr-12", sha=SHA)
        stack.outputs.update(_moto_state_machine())
        monkeypatch.setattr("preview.automation.PulumiAutomation", lambda **kw: automation)
        monkeypatch.setattr("preview.wiring.synth_extras", lambda pr, cfg: _no_extras())
        env = {
            "GITHUB_TOKEN": TOKEN,
            "PREVIEW_REPOSITORY": "acme/shop",
            "GITHUB_API_URL": gh.url,
            "PREVIEW_CONFIG_TEMPLATE": str(REPO / "preview.yaml"),
            "PREVIEW_LOCK_WAIT_S": "0",
            "PREVIEW_BACKOFF_S": "0",
            "PREVIEW_RETRIES": "1",
            "PREVIEW_SMOKE_TIMEOUT_S": "60",
            # What .github/workflows/preview.yml and reaper.yml pass: the shared domain.
            "PREVIEW_OPENSEARCH_URL": f"https://{staging_domain.endpoint}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield network, zones, gh


def _no_extras() -> Any:
    from preview.domain import Extras

    return Extras()


def _moto_state_machine() -> dict[str, str]:
    """A stand-in for the preview's smoke machine (moto runs its ASL; it only passes)."""
    sfn = boto3.client("stepfunctions", REGION)
    iam = boto3.client("iam", REGION)
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(name="pp-pr-12-smoke", definition=json.dumps(definition),
                                   roleArn=role)["stateMachineArn"]  # fmt: skip
    boto3.client("logs", REGION).create_log_group(logGroupName="/preview-platform/pr-12/smoke")
    return {"stateMachineArn": arn, "smokeLogGroupName": "/preview-platform/pr-12/smoke"}


def _run(argv: list[str]) -> int:
    from preview.cli import main

    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize("argv", [["down", "--pr", "12"], ["reap"]])
def test_runner_side_commands_call_only_public_endpoints(
    runner: tuple[Network, Any, GitHubDouble], graphs: dict[str, Synth], argv: list[str]
) -> None:
    """A GitHub-hosted runner is on the public internet: `preview down`/`reap` must never call
    the VPC-only domain (they would time out after the stack is gone and never mark the
    deployment inactive); index cleanup runs inside the VPC instead."""
    network, zones, gh = runner
    code = _run(argv)
    github = {urlsplit(gh.url).hostname or ""}  # the loopback double stands in for GitHub's API
    bad = unreachable(INTERNET, network.hosts, zones, github, nat=False)
    assert not bad, f"`preview {' '.join(argv)}` on a runner calls:\n" + "\n".join(bad)
    assert network.hosts, "nothing recorded: the command did not run"
    assert code == 0
    # ... and it converged: the PR's comment ends on "removed".
    bodies = [str(c.get("body", "")) for c in gh.state.comments.values()]
    assert any("removed" in b.lower() for b in bodies), bodies


def _runs_in_vpc(synth: Synth, task: str, private: set[str]) -> bool:
    """The task definition is only started in private subnets without a public IP."""
    starts = []
    # The harness gives a task definition an ARN of its family (task-definition/<family>:1).
    families = [
        str(t.inputs.get("family"))
        for t in synth.of_type("aws:ecs/taskDefinition:TaskDefinition")
        if t.name == task
    ]
    for svc in synth.of_type("aws:ecs/service:Service"):
        if svc.inputs.get("taskDefinition", "").endswith(task) or task in str(svc.dependencies):
            net = svc.inputs.get("networkConfiguration") or {}
            starts.append((set(net.get("subnets", [])), bool(net.get("assignPublicIp"))))
    for machine in synth.of_type("aws:sfn/stateMachine:StateMachine"):
        for state in json.loads(machine.inputs["definition"])["States"].values():
            params = state.get("Parameters") or {}
            ref = str(params.get("TaskDefinition", ""))
            if ref.endswith(f":{task}") or any(f"task-definition/{f}:" in ref for f in families):
                vpc = params["NetworkConfiguration"]["AwsvpcConfiguration"]
                starts.append((set(vpc["Subnets"]), vpc["AssignPublicIp"] == "ENABLED"))
    return bool(starts) and all(subnets <= private and not public for subnets, public in starts)


_HOST_KEYS = {
    "SEARCH_URL": True,
    "PREVIEW_SYNC_OPENSEARCH_URL": True,
    "DB_HOST": False,
    "DB_READER_HOST": False,
    "PREVIEW_SYNC_DB_HOST": False,
}


def test_in_vpc_callers_reach_their_endpoints(graphs: dict[str, Synth]) -> None:
    """ECS tasks (private subnets, no public IP) reach the VPC-only domain and Aurora they are
    configured with; public AWS APIs only through the NAT gateway."""
    from preview.synth.harness import DEFAULT_STAGING_OUTPUTS

    zones = endpoint_zones(graphs)
    nat = has_nat(graphs.values())
    private = set(DEFAULT_STAGING_OUTPUTS["privateSubnetIds"])
    private |= {f"{s.name}-id" for s in graphs["staging"].of_type("aws:ec2/subnet:Subnet")
                if "private" in s.name}  # fmt: skip
    checked, bad = 0, []
    for stack, synth in graphs.items():
        for caller in task_callers(stack, synth):
            hosts = [
                (urlsplit(v).hostname if is_url else v) or ""
                for k, is_url in _HOST_KEYS.items()
                if (v := caller.env.get(k))
            ]
            if not hosts:
                continue
            if not _runs_in_vpc(synth, caller.task, private):
                bad.append(f"{stack} {caller.task}: not only in private subnets")
                continue
            checked += len(hosts)
            bad += [
                f"{stack} {caller.task}: {b}" for b in unreachable(VPC, hosts, zones, [], nat=nat)
            ]
    assert checked >= 8, f"only {checked} endpoints found in the graphs"
    assert not bad, "\n".join(bad)
