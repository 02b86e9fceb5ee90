"""What the stray-deletion tests build on moto: a preview's tagged resources without their
stack, staging's search group, and a client factory that records (and fails) AWS calls."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
from botocore.exceptions import ClientError

from preview import aws
from tests.cli.conftest import REGION

ORPHAN, LIVE = 41, 42  # PR 41 is closed, PR 42 open


def tags_of(pr: int) -> dict[str, str]:
    return {
        "preview:pr": str(pr),
        "preview:sha": "abcdef1",
        "preview:expires-at": "2030-01-11T12:00:00Z",
        "managed-by": "preview-platform",
    }


def kv(tags: dict[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


def _lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 200\n")
    return buf.getvalue()


def preview_resources(pr: int) -> None:
    """What a preview stack creates, tagged like one, without the stack."""
    tags, name = tags_of(pr), f"pp-pr-{pr}"
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    sg = ec2.create_security_group(
        GroupName=f"{name}-svc",
        Description="preview",
        VpcId=vpc["VpcId"],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": kv(tags)}],
    )["GroupId"]
    _load_balancer(name, tags, vpc["VpcId"], subnets, sg)
    _database(name, tags)
    _serverless(pr, name, tags)
    _containers(name, tags)
    _alerting(name, tags)


def _load_balancer(name: str, tags: dict[str, str], vpc: str, subnets: list[str], sg: str) -> None:
    elb = boto3.client("elbv2", region_name=REGION)
    lb = elb.create_load_balancer(
        Name=f"{name}-alb", Subnets=subnets, SecurityGroups=[sg], Tags=kv(tags)
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(
        Name=f"{name}-tg",
        Protocol="HTTP",
        Port=8000,
        VpcId=vpc,
        TargetType="ip",
        Tags=kv(tags),
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        Tags=kv(tags),
    )


def _database(name: str, tags: dict[str, str]) -> None:
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_cluster(
        DBClusterIdentifier=f"{name}-db",
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        Tags=kv(tags),
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-db-1",
        DBClusterIdentifier=f"{name}-db",
        Engine="aurora-postgresql",
        DBInstanceClass="db.t4g.medium",
        Tags=kv(tags),
    )


def _serverless(pr: int, name: str, tags: dict[str, str]) -> None:
    """The smoke gate's parts: a role, the health Lambda, the state machine, a log group."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(
        RoleName=f"{name}-fn",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        Tags=kv(tags),
    )["Role"]["Arn"]
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=f"{name}-health",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": _lambda_zip()},
        Tags=tags,
    )
    boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=f"{name}-smoke",
        definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
        roleArn=role,
        tags=kv(tags, "key", "value"),
    )
    boto3.client("logs", region_name=REGION).create_log_group(
        logGroupName=f"/preview-platform/pr-{pr}/app", tags=tags
    )


def _containers(name: str, tags: dict[str, str]) -> None:
    ecs = boto3.client("ecs", region_name=REGION)
    cluster = ecs.create_cluster(clusterName=name, tags=kv(tags, "key", "value"))["cluster"]
    taskdef = ecs.register_task_definition(
        family=f"{name}-app",
        containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}],
        tags=kv(tags, "key", "value"),
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=cluster["clusterArn"],
        serviceName=f"{name}-app",
        taskDefinition=taskdef,
        desiredCount=1,
        tags=kv(tags, "key", "value"),
    )


def _alerting(name: str, tags: dict[str, str]) -> None:
    """The alarm topic, the DB secret, the URL parameter and a 5xx alarm."""
    boto3.client("sns", region_name=REGION).create_topic(Name=f"{name}-alarms", Tags=kv(tags))
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=f"{name}/db", SecretString="x", Tags=kv(tags)
    )
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=f"/{name}/url", Value="https://x", Type="String", Tags=kv(tags)
    )
    boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName=f"{name}-5xx",
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Tags=kv(tags),
    )


def staging_group() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    return str(
        ec2.create_security_group(
            GroupName="pp-staging-search",
            Description="staging",
            VpcId=vpc,
            TagSpecifications=[
                {"ResourceType": "security-group", "Tags": kv({"environment": "staging"})}
            ],
        )["GroupId"]
    )


class Recorder:
    """A client factory that records every API operation, in order, across services."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.faults: dict[str, list[str]] = {}  # operation -> error codes to raise, in turn

    def __call__(self, service: str, region: str) -> Any:
        c = aws.client(service, region)
        c.meta.events.register("before-call.*.*", self._record)
        return c

    def _record(self, model: Any, **_: Any) -> None:
        self.ops.append(model.name)
        if self.faults.get(model.name):
            code = self.faults[model.name].pop(0)
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, model.name)


def tagged_arns(pr: int) -> set[str]:
    found = aws.TaggingResources(aws.client("resourcegroupstaggingapi", REGION)).find()
    return {r.arn for r in found if r.pr == pr}
