"""Recorded API call -> the authorizations AWS makes for it (action, resource ARN, context).

One row per (service, operation) the code was seen to call; a call without a row is reported
by the authz tests, never skipped. Actions, resource types and condition keys are the Service
Authorization Reference's (https://docs.aws.amazon.com/service-authorization/latest/reference/
list_<service>.html; e.g. list_amazonelasticcontainerservice.html for ECS), the same data
tests/authz/iam_eval.py reads from parliament. Where one call is authorized as several
actions, the page says so under "Dependent actions" or the service's IAM guide does (cited on
the row).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.authz.recorder import STATE_MACHINE, ApiCall

ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"

# botocore service name -> IAM action prefix, where they differ.
PREFIX = {
    "stepfunctions": "states",
    "elbv2": "elasticloadbalancing",
    "resourcegroupstaggingapi": "tag",
}


@dataclass(frozen=True)
class Authorization:
    principal: str
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)
    call: str = ""  # "service.Operation" that caused it


def _arn(service: str, rest: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{rest}"


def _ecs_cluster(p: Mapping[str, Any]) -> str:
    c = str(p.get("cluster") or "default")
    return c if c.startswith("arn:") else _arn("ecs", f"cluster/{c}")


def _ecs_service(p: Mapping[str, Any]) -> str:
    s = str(p["service"])
    if s.startswith("arn:"):
        return s
    return _arn("ecs", f"service/{_ecs_cluster(p).rsplit('/', 1)[1]}/{s}")


def _task_definition(ref: str) -> str:
    return ref if ref.startswith("arn:") else _arn("ecs", f"task-definition/{ref}")


def _sg(group: str) -> str:
    return _arn("ec2", f"security-group/{group}")


def _function(name: str) -> str:
    return name if name.startswith("arn:") else _arn("lambda", f"function:{name}")


def _role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


# (action, resource, extra context) for one call's params.
Auth = tuple[str, str, dict[str, Any]]
Row = Callable[[Mapping[str, Any]], list[Auth]]

ROWS: dict[tuple[str, str], Row] = {
    # --- preview up: the smoke gate (list_awsstepfunctions.html, list_amazoncloudwatchlogs.html)
    ("stepfunctions", "StartExecution"): lambda p: [
        ("states:StartExecution", p["stateMachineArn"], {})
    ],
    ("stepfunctions", "DescribeExecution"): lambda p: [
        ("states:DescribeExecution", p["executionArn"], {})
    ],
    ("stepfunctions", "StopExecution"): lambda p: [("states:StopExecution", p["executionArn"], {})],
    ("stepfunctions", "DeleteStateMachine"): lambda p: [
        ("states:DeleteStateMachine", p["stateMachineArn"], {})
    ],
    ("logs", "GetLogEvents"): lambda p: [
        (
            "logs:GetLogEvents",
            _arn("logs", f"log-group:{p['logGroupName']}:log-stream:{p['logStreamName']}"),
            {},
        )
    ],
    ("logs", "DeleteLogGroup"): lambda p: [
        ("logs:DeleteLogGroup", _arn("logs", f"log-group:{p['logGroupName']}"), {})
    ],
    # --- the warm pool's claims table (list_amazondynamodb.html: each item call is authorized
    # on the table; Scan with ConsistentRead is still dynamodb:Scan)
    **{
        ("dynamodb", op): (
            lambda p, op=op: [(f"dynamodb:{op}", _arn("dynamodb", f"table/{p['TableName']}"), {})]
        )
        for op in ("Scan", "PutItem", "UpdateItem", "DeleteItem")
    },
    # --- the S3 state backend's lock (list_amazons3.html: ListObjectsV2 is s3:ListBucket)
    ("s3", "ListObjectsV2"): lambda p: [
        ("s3:ListBucket", f"arn:aws:s3:::{p['Bucket']}", {"s3:prefix": p.get("Prefix", "")})
    ],
    ("s3", "GetObject"): lambda p: [("s3:GetObject", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}", {})],
    ("s3", "DeleteObject"): lambda p: [
        ("s3:DeleteObject", f"arn:aws:s3:::{p['Bucket']}/{p['Key']}", {})
    ],
    # --- preview reap: find and delete strays
    ("resourcegroupstaggingapi", "GetResources"): lambda p: [("tag:GetResources", "*", {})],
    ("ecs", "UpdateService"): lambda p: [
        ("ecs:UpdateService", _ecs_service(p), {"ecs:cluster": _ecs_cluster(p)})
    ],
    ("ecs", "DeleteService"): lambda p: [
        ("ecs:DeleteService", _ecs_service(p), {"ecs:cluster": _ecs_cluster(p)})
    ],
    ("ecs", "DeleteCluster"): lambda p: [("ecs:DeleteCluster", _ecs_cluster(p), {})],
    ("ecs", "UntagResource"): lambda p: [
        ("ecs:UntagResource", p["resourceArn"], {"aws:TagKeys": list(p["tagKeys"])})
    ],
    ("ecs", "DescribeTaskDefinition"): lambda p: [("ecs:DescribeTaskDefinition", "*", {})],
    ("ecs", "DeregisterTaskDefinition"): lambda p: [("ecs:DeregisterTaskDefinition", "*", {})],
    ("ecs", "DeleteTaskDefinitions"): lambda p: [
        ("ecs:DeleteTaskDefinitions", _task_definition(t), {}) for t in p["taskDefinitions"]
    ],
    ("ecs", "StopTask"): lambda p: [
        ("ecs:StopTask", p["task"] if str(p["task"]).startswith("arn:") else "*", {})
    ],
    ("elbv2", "DeleteLoadBalancer"): lambda p: [
        ("elasticloadbalancing:DeleteLoadBalancer", p["LoadBalancerArn"], {})
    ],
    ("elbv2", "DeleteTargetGroup"): lambda p: [
        ("elasticloadbalancing:DeleteTargetGroup", p["TargetGroupArn"], {})
    ],
    ("elbv2", "DeleteListener"): lambda p: [
        ("elasticloadbalancing:DeleteListener", p["ListenerArn"], {})
    ],
    ("elbv2", "DeleteRule"): lambda p: [("elasticloadbalancing:DeleteRule", p["RuleArn"], {})],
    ("rds", "DescribeDBClusters"): lambda p: [
        ("rds:DescribeDBClusters", _arn("rds", f"cluster:{p['DBClusterIdentifier']}"), {})
    ],
    ("rds", "DescribeDBInstances"): lambda p: [
        ("rds:DescribeDBInstances", _arn("rds", f"db:{p['DBInstanceIdentifier']}"), {})
    ],
    ("rds", "DeleteDBCluster"): lambda p: [
        ("rds:DeleteDBCluster", _arn("rds", f"cluster:{p['DBClusterIdentifier']}"), {})
    ],
    ("rds", "DeleteDBInstance"): lambda p: [
        ("rds:DeleteDBInstance", _arn("rds", f"db:{p['DBInstanceIdentifier']}"), {})
    ],
    ("lambda", "DeleteFunction"): lambda p: [
        ("lambda:DeleteFunction", _function(p["FunctionName"]), {})
    ],
    ("ec2", "DeleteSecurityGroup"): lambda p: [("ec2:DeleteSecurityGroup", _sg(p["GroupId"]), {})],
    ("ec2", "DescribeSecurityGroupRules"): lambda p: [("ec2:DescribeSecurityGroupRules", "*", {})],
    # Revoking by rule id authorizes the group (list_amazonec2.html: security-group*).
    ("ec2", "RevokeSecurityGroupIngress"): lambda p: [
        ("ec2:RevokeSecurityGroupIngress", _sg(p["GroupId"]), {})
    ],
    ("ec2", "RevokeSecurityGroupEgress"): lambda p: [
        ("ec2:RevokeSecurityGroupEgress", _sg(p["GroupId"]), {})
    ],
    ("iam", "ListRolePolicies"): lambda p: [("iam:ListRolePolicies", _role(p["RoleName"]), {})],
    ("iam", "DeleteRolePolicy"): lambda p: [("iam:DeleteRolePolicy", _role(p["RoleName"]), {})],
    ("iam", "ListAttachedRolePolicies"): lambda p: [
        ("iam:ListAttachedRolePolicies", _role(p["RoleName"]), {})
    ],
    ("iam", "DetachRolePolicy"): lambda p: [
        ("iam:DetachRolePolicy", _role(p["RoleName"]), {"iam:PolicyARN": p["PolicyArn"]})
    ],
    ("iam", "ListInstanceProfilesForRole"): lambda p: [
        ("iam:ListInstanceProfilesForRole", _role(p["RoleName"]), {})
    ],
    ("iam", "DeleteRole"): lambda p: [("iam:DeleteRole", _role(p["RoleName"]), {})],
    # --- the smoke state machine's role. ECS .sync also has Step Functions manage an
    # EventBridge rule as the role (step-functions/latest/dg/ecs-iam.html); RunTask passes the
    # task definition's roles (list_amazonelasticcontainerservice.html: iam:PassRole).
    ("ecs", "RunTask"): lambda p: [
        (
            "ecs:RunTask",
            _task_definition(p["taskDefinition"]),
            {"ecs:cluster": _ecs_cluster(p)},
        ),
        *(
            (
                action,
                _arn("events", "rule/StepFunctionsGetEventsForECSTaskRule"),
                {},
            )
            for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule")
        ),
    ],
    ("ecs", "DescribeTasks"): lambda p: [
        ("ecs:DescribeTasks", t, {"ecs:cluster": _ecs_cluster(p)}) for t in p["tasks"]
    ],
    ("lambda", "Invoke"): lambda p: [("lambda:InvokeFunction", _function(p["FunctionName"]), {})],
}

# Roles a call passes (iam:PassRole, with the service it is passed to).
PASSES: dict[tuple[str, str], str] = {("ecs", "RunTask"): "ecs-tasks.amazonaws.com"}
PASSED_ROLES = "__passed_roles__"


def resources_of(call: ApiCall) -> list[str]:
    """The ARNs whose tags the call's authorization may depend on (read before it runs)."""
    row = ROWS[(call.service, call.operation)]
    return [arn for _, arn, _ in row(call.params) if arn.startswith("arn:")]


def authorizations(call: ApiCall) -> list[Authorization]:
    key = (call.service, call.operation)
    if key not in ROWS:
        raise KeyError(f"no row for {call.service}.{call.operation} in tests/authz/calls.py")
    out: list[Authorization] = []
    name = f"{call.service}.{call.operation}"
    for action, arn, extra in ROWS[key](call.params):
        ctx = dict(extra)
        ctx.update(call.tags.get(arn, {}))
        out.append(Authorization(call.principal, action, arn, ctx, name))
    for role, tags in call.tags.get(PASSED_ROLES, {}).items():
        ctx = {"iam:PassedToService": PASSES[key]}
        ctx.update(dict(tags))
        out.append(Authorization(call.principal, "iam:PassRole", role, ctx, name))
    return out


def passed_roles(call: ApiCall, describe_task_definition: Callable[[str], Any]) -> list[str]:
    """The roles a RunTask passes: its overrides', else the task definition's."""
    if (call.service, call.operation) not in PASSES:
        return []
    overrides = call.params.get("overrides") or {}
    td = describe_task_definition(call.params["taskDefinition"])
    roles = [
        overrides.get("taskRoleArn") or td.get("taskRoleArn"),
        overrides.get("executionRoleArn") or td.get("executionRoleArn"),
    ]
    return [r for r in roles if r]


__all__ = ["STATE_MACHINE", "Authorization", "authorizations", "passed_roles", "resources_of"]
