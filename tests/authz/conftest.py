"""Runs the code each principal runs, against moto, and records its AWS calls (once a session).

The scenarios are the real adapters of `preview up/down/reap` (Step Functions smoke gate, the
failed task's log, the tagging API, the stray deleter, the S3 state lock) and the smoke state
machine as moto's ASL interpreter runs it; what they call is recorded by botocore events
(tests/authz/recorder.py), not written down here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from unittest import mock

import boto3
import pytest

from tests.authz.calls import (
    PASSED_ROLES,
    Authorization,
    authorizations,
    passed_roles,
    resources_of,
)
from tests.authz.recorder import ApiCall, Recorder

if TYPE_CHECKING:
    from preview.ports import Deps
    from smoke.definition import SmokeTargets
    from tests.cli.fakes import Clock
    from tests.smoke.moto_gate import GateWorld

REGION = "us-east-1"
ORPHAN = 41
# The bucket of the example bootstrap config (Pulumi.bootstrap.yaml), which the policies name.
STATE_BUCKET = "example-pulumi-state"
BOUNDARY = "arn:aws:iam::123456789012:policy/pp-preview-boundary"

# The principals whose calls are recorded (names match tests/authz/principals.py).
PREVIEW, REAPER = "preview-role", "reaper-role"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/authz/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.authz)


def _tags_of(arn: str) -> dict[str, str]:
    """The condition keys of `arn` as moto holds it (aws:ResourceTag/*, a role's boundary)."""
    if ":iam::" in arn and ":role/" in arn:
        iam = boto3.client("iam", REGION)
        try:
            role = iam.get_role(RoleName=arn.rsplit("/", 1)[1])["Role"]
        except iam.exceptions.NoSuchEntityException:
            return {}
        # The boundary a role has is what iam:PermissionsBoundary sees for changes to it.
        ctx = {f"aws:ResourceTag/{t['Key']}": t["Value"] for t in role.get("Tags", [])}
        boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        return ctx | ({"iam:PermissionsBoundary": boundary} if boundary else {})
    if ":ec2:" in arn and ":security-group-rule/" in arn:
        ec2 = boto3.client("ec2", REGION)
        rules = ec2.describe_security_group_rules(SecurityGroupRuleIds=[arn.rsplit("/", 1)[1]])
        return {
            f"aws:ResourceTag/{t['Key']}": t["Value"]
            for r in rules["SecurityGroupRules"]
            for t in r.get("Tags", [])
        }
    tagging = boto3.client("resourcegroupstaggingapi", REGION)
    for page in tagging.get_paginator("get_resources").paginate():
        for item in page["ResourceTagMappingList"]:
            if item["ResourceARN"] == arn:
                return {f"aws:ResourceTag/{t['Key']}": t["Value"] for t in item.get("Tags", [])}
    return {}


class Recording:
    """The recorded calls and the authorizations AWS makes for each."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.recorder.on_call = self._read_tags
        self.authorizations: list[Authorization] = []
        self.unmapped: list[str] = []

    @staticmethod
    def _read_tags(call: ApiCall) -> None:
        try:
            arns = resources_of(call)
        except KeyError:
            return  # reported by map_all
        call.tags.update({arn: _tags_of(arn) for arn in arns if arn.startswith("arn:")})
        ecs = boto3.client("ecs", REGION)
        roles = passed_roles(
            call, lambda td: ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]
        )
        call.tags[PASSED_ROLES] = {role: _tags_of(role) for role in roles}

    def map_all(self) -> None:
        for call in self.recorder.calls:
            try:
                self.authorizations += authorizations(call)
            except KeyError as exc:
                self.unmapped.append(f"{call.principal}: {call.service}.{call.operation} ({exc})")

    @property
    def calls(self) -> list[ApiCall]:
        return self.recorder.calls


def _moto() -> Any:
    from moto import mock_aws

    config: Any = {
        "stepfunctions": {"execute_state_machine": True},
        "iam": {"load_aws_managed_policies": True},
        "lambda": {"use_docker": False},
    }
    return mock_aws(config=config)


def _reap_scenario(rec: Recorder) -> None:
    """`preview reap` of a closed PR whose stack is gone: every kind of stray, deleted."""
    with _moto():
        _reap(rec)


def _reap(rec: Recorder) -> None:
    from preview.domain import TaggedResource
    from preview.reap import reap
    from preview.strays import StrayDeleter
    from tests.cli.fakes import Clock

    _orphaned_preview()
    iam, ec2 = boto3.client("iam", REGION), boto3.client("ec2", REGION)
    clock = Clock()
    deps = _reap_deps(clock)
    role = iam.get_role(RoleName="app-task-1a2b")["Role"]["Arn"]
    rule = ec2.describe_security_group_rules(
        Filters=[{"Name": "tag:preview:pr", "Values": [str(ORPHAN)]}]
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    with rec.acting(REAPER):
        result = reap(deps)
        # The tagging API does not list IAM roles or security-group rules in moto; the
        # reaper's deleter gets them the same way from AWS's.
        outcomes = StrayDeleter(REGION).delete(
            [
                TaggedResource(role, ORPHAN, None),
                TaggedResource(
                    f"arn:aws:ec2:{REGION}:123456789012:security-group-rule/{rule}", ORPHAN, None
                ),
            ]
        )
    failed = [r for r in result.rows if r.action in ("failed", "manual")]
    failed += [o for o in outcomes if o.action != "deleted"]
    assert not failed, failed


def _orphaned_preview() -> None:
    """What closed PR ORPHAN's preview left behind: its tagged resources, a rule in staging's
    search group and a task role with a boundary, inline and managed policies."""
    from preview import aws
    from tests.cli.stray_world import kv, preview_resources, staging_group, tags_of

    preview_resources(ORPHAN)
    # A preview stack creates no SNS topic, secret, parameter or alarm (see the synthesized
    # pr-12 graph), so no preview role could have left one: those are the test's, not ours.
    for arn in [
        r.arn for r in aws.TaggingResources(aws.client("resourcegroupstaggingapi", REGION)).find()
    ]:
        if arn.split(":")[2] in ("sns", "secretsmanager", "ssm", "cloudwatch"):
            _delete_foreign(arn)
    boto3.client("ec2", REGION).authorize_security_group_ingress(
        GroupId=staging_group(),
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": []}
            | {"IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
        ],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": kv(tags_of(ORPHAN))}],
    )
    iam = boto3.client("iam", REGION)
    doc = json.dumps({"Version": "2012-10-17", "Statement": []})
    allow = {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}
    iam.create_policy(
        PolicyName="pp-preview-boundary",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    iam.create_role(
        RoleName="app-task-1a2b",
        AssumeRolePolicyDocument=doc,
        Tags=kv(tags_of(ORPHAN)),
        PermissionsBoundary=BOUNDARY,
    )
    iam.put_role_policy(
        RoleName="app-task-1a2b",
        PolicyName="inline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    iam.attach_role_policy(
        RoleName="app-task-1a2b",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    )


def _reap_deps(clock: Clock) -> Deps:
    """The reaper's ports over moto (the tagging API, the stray deleter) and fakes elsewhere."""
    from preview import aws
    from preview.ports import Deps
    from preview.settings import Settings
    from preview.strays import StrayDeleter
    from tests.cli.conftest import REPO_ROOT
    from tests.cli.fakes import FakeAutomation, FakeReporter

    settings = Settings(repository="acme/shop", config_template=REPO_ROOT / "preview.yaml")
    return Deps(
        settings=settings,
        automation=FakeAutomation(clock),
        reporter=FakeReporter(set()),
        tagged=aws.TaggingResources(aws.client("resourcegroupstaggingapi", REGION)),
        strays=StrayDeleter(REGION, sleep=clock.sleep),
        now=clock.now,
        sleep=clock.sleep,
        out=lambda line: None,
    )


def _delete_foreign(arn: str) -> None:
    service, name = arn.split(":")[2], arn.split(":", 5)[5]
    if service == "sns":
        boto3.client("sns", REGION).delete_topic(TopicArn=arn)
    elif service == "secretsmanager":
        boto3.client("secretsmanager", REGION).delete_secret(
            SecretId=arn, ForceDeleteWithoutRecovery=True
        )
    elif service == "ssm":
        boto3.client("ssm", REGION).delete_parameter(Name=name.removeprefix("parameter"))
    else:
        boto3.client("cloudwatch", REGION).delete_alarms(AlarmNames=[name.split(":", 1)[1]])


def _lock_scenario(rec: Recorder) -> None:
    """`preview up/down` finding and breaking a dead holder's lock in the S3 state backend."""
    from preview.automation import PulumiAutomation

    with _moto():
        s3 = boto3.client("s3", REGION)
        s3.create_bucket(Bucket=STATE_BUCKET)
        key = ".pulumi/locks/organization/preview-platform/pr-12/abc.json"
        body = {"pid": 7, "username": "ci", "hostname": "h", "timestamp": "2030-01-10T11:00:00Z"}
        s3.put_object(Bucket=STATE_BUCKET, Key=key, Body=json.dumps(body).encode())
        adapter = PulumiAutomation(
            work_dir=".", backend_url=f"s3://{STATE_BUCKET}", project="preview-platform"
        )
        with rec.acting(PREVIEW):
            lock = adapter.lock("pr-12")
            assert lock is not None
            adapter.break_lock("pr-12", lock)


def _smoke_scenario(rec: Recorder) -> None:
    """`preview up`'s gate: start the state machine, poll, read the failed task's log; the
    state machine runs the tools tasks and the health Lambda (moto's ASL interpreter). Names
    and tags are the synthesized pr-12 stack's, so the real policies judge real ARNs."""
    from smoke.health import handler as health_handler
    from tests.smoke.conftest import SHA, health_server
    from tests.smoke.moto_gate import tools_and_health
    from tests.smoke.moto_shims import (
        container_exit_codes,
        ecs_sync_casing,
        immediate_ecs_tasks,
        lambda_runtime,
    )

    world, machine_name = _pr12_gate_world()
    exit_codes: dict[str, int] = {}
    with (
        immediate_ecs_tasks(),
        health_server() as (url, _),
        _moto(),
        ecs_sync_casing(),
        container_exit_codes(lambda cmd, env, arn: exit_codes.get(cmd[0] if cmd else "", 0)),
        lambda_runtime(health_handler),
    ):
        targets, machine_role = tools_and_health(url, f"{url}/healthz", SHA, world)
        machine = _smoke_machine(machine_name, targets, machine_role, world.tags)
        _run_gate(rec, machine, world.log_group, exit_codes)


def _pr12_gate_world() -> tuple[GateWorld, str]:
    """The gate's resources as the synthesized pr-12 stack names and tags them, and the name of
    its state machine."""
    from tests.authz.principals import preview_stack
    from tests.smoke.moto_gate import GateWorld

    names = {r.name: r.inputs for r in preview_stack().resources if r.custom}
    tags = {k: str(v) for k, v in (names["cluster-ecs"].get("tags") or {}).items()}
    world = GateWorld(
        cluster=names["cluster-ecs"]["name"],
        tools_family=names["smoke-tools"]["family"],
        health_function=names["smoke-health"]["name"],
        log_group=names["smoke-logs"]["name"],
        tags=tags,
        task_role="app-task-1a2b3c",
        execution_role="smoke-tools-execution-1a2b3c",
        health_role="smoke-health-role-1a2b3c",
        machine_role="smoke-sfn-role-1a2b3c",
    )
    return world, names["smoke-machine"]["name"]


def _smoke_machine(name: str, targets: SmokeTargets, role: str, tags: dict[str, str]) -> str:
    from preview import aws
    from smoke.definition import build_definition

    arn: str = aws.client("stepfunctions", REGION).create_state_machine(
        name=name,
        definition=json.dumps(build_definition(targets)),
        roleArn=role,
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )["stateMachineArn"]
    return arn


def sfn_runner() -> Any:
    """The real Step Functions adapter against moto, polling fast."""
    from preview import aws

    return aws.StepFunctionsSmoke(
        aws.client("stepfunctions", REGION),
        timeout_s=120,
        logs=aws.client("logs", REGION),
        poll_s=0.1,
    )


def _run_gate(rec: Recorder, machine: str, log_group: str, exit_codes: dict[str, int]) -> None:
    """As the preview role: one run that passes, then one whose smoke task exits 1."""
    smoke = sfn_runner()
    with rec.acting(PREVIEW):
        ok = smoke.run(machine, "pr-12-ok", {}, log_group)
    assert ok.status == "SUCCEEDED", ok
    exit_codes["smoke"] = 1
    with rec.acting(PREVIEW):
        failed = smoke.run(machine, "pr-12-failed", {}, log_group)
    assert failed.status == "FAILED", failed


@pytest.fixture(scope="session")
def recording() -> Iterator[Recording]:
    """Every scenario, each in a fresh moto account, recorded once for the whole session."""
    out = Recording()
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    with mock.patch.dict(os.environ, env), out.recorder.installed():
        from tests.authz.pool_scenario import pool_scenario

        for scenario in (_reap_scenario, _lock_scenario, _smoke_scenario, pool_scenario):
            scenario(out.recorder)
    out.map_all()
    yield out
