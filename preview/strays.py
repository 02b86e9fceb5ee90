"""Deletes the tagged resources of a reaped PR that no stack owns any more, by ARN (boto3).

A stack removed by hand, a destroy that stopped half-way after the state was lost, or a crashed
first `up` leave resources tagged `preview:pr=<N>` that `pulumi destroy` can no longer reach.
The reaper hands them here. Rules:

* Order. Resources go in dependency order (services before the load balancer and target group
  they use, DB instances before their cluster, security groups last among EC2, IAM roles last),
  and a delete refused because a dependant is still going away is retried with backoff.
* Idempotence. A resource already gone (any NotFound code) counts as deleted, so a re-run after
  a partial failure converges.
* Never guess. An ARN of a type this module does not know is reported `manual`; a database with
  deletion protection is reported, never unprotected.

Which ARNs may go is decided by the caller (`preview.reap.reap`); this module refuses any
resource without a `preview:pr` tag as a last line of defence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from contracts.errors import PreviewError, UsageError
from preview import aws
from preview.domain import DeleteOutcome, TaggedResource

# Codes meaning "this resource no longer exists": deleting it again is done, not failed.
NOT_FOUND = frozenset(
    {
        "ResourceNotFoundException",
        "ResourceNotFound",
        "NotFoundException",
        "NotFound",
        "NoSuchEntity",
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "ServiceNotActiveException",
        "LoadBalancerNotFound",
        "TargetGroupNotFound",
        "ListenerNotFound",
        "RuleNotFound",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBClusterNotFoundFault",
        "DBSubnetGroupNotFoundFault",
        "InvalidGroup.NotFound",
        "InvalidSecurityGroupRuleId.NotFound",
        "ParameterNotFound",
        "StateMachineDoesNotExist",
    }
)
# Codes meaning "something that depends on it is still going away": wait and try again.
BUSY = frozenset(
    {
        "DependencyViolation",
        "ResourceInUse",
        "ResourceInUseException",
        "InvalidDBClusterStateFault",
        "InvalidDBInstanceState",
        "InvalidDBSubnetGroupStateFault",
        "ClusterContainsServicesException",
        "ClusterContainsTasksException",
    }
)
BUSY_ATTEMPTS = 5
BUSY_DELAY_S = 10.0


class AlreadyGone(Exception):
    """Raised by a handler that finds its resource gone without a NotFound code."""


@dataclass(frozen=True)
class Arn:
    """arn:partition:service:region:account:<type><sep><name>, split once."""

    text: str
    service: str
    region: str
    kind: str  # "cluster", "security-group", "loadbalancer", ...; "" for SNS topics
    name: str  # what follows the type (may itself contain "/" or ":")

    @classmethod
    def parse(cls, text: str) -> Arn:
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            return cls(text, "", "", "", text)
        resource = parts[5]
        seps = [i for i in (resource.find("/"), resource.find(":")) if i >= 0]
        if not seps:  # sns:<topic>
            return cls(text, parts[2], parts[3], "", resource)
        cut = min(seps)
        return cls(text, parts[2], parts[3], resource[:cut], resource[cut + 1 :])


class StrayDeleter:
    """Deletes tagged resources by ARN; one client per (service, region), made on first use."""

    def __init__(
        self,
        region: str,
        *,
        client: Callable[[str, str], Any] = aws.client,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.region = region  # for global ARNs (IAM) that carry no region
        self.make_client = client
        self.sleep = sleep
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = self.make_client(*key)
        return self._clients[key]

    def delete(
        self, resources: Iterable[TaggedResource], *, dry_run: bool = False
    ) -> list[DeleteOutcome]:
        outcomes: list[DeleteOutcome] = []
        planned: list[tuple[int, TaggedResource, Arn, Handler]] = []
        for r in resources:
            if r.pr is None:
                raise ValueError(f"refusing to delete {r.arn}: it has no preview:pr tag")
            arn = Arn.parse(r.arn)
            known = HANDLERS.get((arn.service, arn.kind))
            if known is None:
                outcomes.append(DeleteOutcome(r, "manual", "no automatic delete for this type"))
            else:
                planned.append((known[0], r, arn, known[1]))
        for _, r, arn, handler in sorted(planned, key=lambda p: (p[0], p[1].arn)):
            outcomes.append(
                DeleteOutcome(r, "would delete") if dry_run else self._run(r, arn, handler)
            )
        return outcomes

    def _run(self, r: TaggedResource, arn: Arn, handler: Handler) -> DeleteOutcome:
        from botocore.exceptions import BotoCoreError, ClientError

        attempt = 1
        while True:
            try:
                handler(self, arn)
                return DeleteOutcome(r, "deleted")
            except AlreadyGone:
                return DeleteOutcome(r, "deleted", "already gone")
            except ClientError as exc:
                code = aws.error_code(exc)
                if code in NOT_FOUND:
                    return DeleteOutcome(r, "deleted", "already gone")
                if code in BUSY and attempt < BUSY_ATTEMPTS:
                    self.sleep(BUSY_DELAY_S * 2 ** (attempt - 1))
                    attempt += 1
                    continue
                message = exc.response.get("Error", {}).get("Message", "")
                return DeleteOutcome(r, "failed", f"{code}: {message}".rstrip(": "))
            except BotoCoreError as exc:
                return DeleteOutcome(r, "failed", str(exc))
            except PreviewError as exc:
                return DeleteOutcome(r, "failed", exc.message)


Handler = Callable[[StrayDeleter, Arn], None]


def _ecs_service(d: StrayDeleter, a: Arn) -> None:
    ecs = d.client("ecs", a.region)
    cluster, _, service = a.name.rpartition("/")  # service/<cluster>/<name>
    # Scaling to 0 first lets the tasks drain instead of being cut off by the forced delete.
    ecs.update_service(cluster=cluster or "default", service=service, desiredCount=0)
    ecs.delete_service(cluster=cluster or "default", service=service, force=True)
    _untag_inactive(ecs, a)


def _ecs_cluster(d: StrayDeleter, a: Arn) -> None:
    ecs = d.client("ecs", a.region)
    ecs.delete_cluster(cluster=a.text)
    _untag_inactive(ecs, a)


def _untag_inactive(ecs: Any, a: Arn) -> None:
    """A deleted ECS service or cluster stays INACTIVE, and tagged, for a while; without its
    preview:pr tag the verification sees it gone. Only ever after the delete succeeded: an
    untagged live resource would be invisible to the reaper. Best effort: if ECS refuses, the
    resource is listed as a leftover until AWS drops it."""
    from botocore.exceptions import ClientError

    with suppress(ClientError):
        ecs.untag_resource(resourceArn=a.text, tagKeys=[aws.TAG_PR])


def _ecs_task(d: StrayDeleter, a: Arn) -> None:
    cluster, _, task = a.name.rpartition("/")
    d.client("ecs", a.region).stop_task(cluster=cluster or "default", task=task)


def _ecs_task_definition(d: StrayDeleter, a: Arn) -> None:
    from botocore.exceptions import ClientError

    ecs = d.client("ecs", a.region)
    try:
        status = ecs.describe_task_definition(taskDefinition=a.text)["taskDefinition"]["status"]
    except ClientError as exc:
        # ECS has no NotFound code for task definitions, only this generic ClientException.
        if "Unable to describe task definition" in str(exc):
            raise AlreadyGone from None
        raise
    if status == "DELETE_IN_PROGRESS":
        raise AlreadyGone
    if status == "ACTIVE":
        ecs.deregister_task_definition(taskDefinition=a.text)
    # A deregistered (INACTIVE) revision keeps its tags and stays listed until it is deleted.
    failures = ecs.delete_task_definitions(taskDefinitions=[a.text]).get("failures") or []
    if failures:
        raise UsageError(
            f"ECS refused to delete {a.text}: {failures[0].get('reason', '?')}",
            hint="re-run `preview reap`",
        )


def _rds_unprotected(desc: Mapping[str, Any], what: str) -> bool:
    """False when the resource is already being deleted; raises when it is protected."""
    if desc.get("DeletionProtection"):
        raise UsageError(
            f"{what} has deletion protection on; the reaper never turns it off",
            hint="check that it really belongs to a preview, then delete it by hand",
        )
    return desc.get("DBInstanceStatus", desc.get("Status")) != "deleting"


def _rds_instance(d: StrayDeleter, a: Arn) -> None:
    rds = d.client("rds", a.region)
    desc = rds.describe_db_instances(DBInstanceIdentifier=a.name)["DBInstances"][0]
    if _rds_unprotected(desc, f"DB instance {a.name}"):
        rds.delete_db_instance(DBInstanceIdentifier=a.name, SkipFinalSnapshot=True)


def _rds_cluster(d: StrayDeleter, a: Arn) -> None:
    rds = d.client("rds", a.region)
    desc = rds.describe_db_clusters(DBClusterIdentifier=a.name)["DBClusters"][0]
    if _rds_unprotected(desc, f"DB cluster {a.name}"):
        rds.delete_db_cluster(DBClusterIdentifier=a.name, SkipFinalSnapshot=True)


def _sg_rule(d: StrayDeleter, a: Arn) -> None:
    ec2 = d.client("ec2", a.region)
    found = ec2.describe_security_group_rules(SecurityGroupRuleIds=[a.name])["SecurityGroupRules"]
    for rule in found:  # often on a staging backend's group: only this PR's rule goes
        revoke = (
            ec2.revoke_security_group_egress
            if rule.get("IsEgress")
            else ec2.revoke_security_group_ingress
        )
        revoke(GroupId=rule["GroupId"], SecurityGroupRuleIds=[a.name])


def _iam_role(d: StrayDeleter, a: Arn) -> None:
    iam = d.client("iam", a.region)
    role = a.name.rsplit("/", 1)[-1]  # role/<path>/<name>
    # IAM refuses to delete a role that still has policies.
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        for policy in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        for name in page["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=name)
    iam.delete_role(RoleName=role)


def _call(service: str, action: str, **params: Callable[[Arn], Any] | bool) -> Handler:
    """A handler that is one API call; callables get the parsed ARN, other values pass as is."""

    def run(d: StrayDeleter, a: Arn) -> None:
        kwargs = {k: v(a) if callable(v) else v for k, v in params.items()}
        getattr(d.client(service, a.region), action)(**kwargs)

    return run


def _arn(a: Arn) -> str:
    return a.text


def _name(a: Arn) -> str:
    return a.name


def _ssm_name(a: Arn) -> str:
    return f"/{a.name}" if "/" in a.name else a.name  # parameter/a/b is "/a/b", parameter/x "x"


# (service, resource type) -> (rank, handler). Lower ranks go first: whatever uses a resource
# goes before it (listeners before their load balancer, instances before their cluster, and
# security groups and roles once nothing that references them is left).
HANDLERS: dict[tuple[str, str], tuple[int, Handler]] = {
    ("ecs", "service"): (10, _ecs_service),
    ("ecs", "task"): (10, _ecs_task),
    ("elasticloadbalancing", "listener-rule"): (20, _call("elbv2", "delete_rule", RuleArn=_arn)),
    ("elasticloadbalancing", "listener"): (21, _call("elbv2", "delete_listener", ListenerArn=_arn)),
    ("elasticloadbalancing", "loadbalancer"): (
        22,
        _call("elbv2", "delete_load_balancer", LoadBalancerArn=_arn),
    ),
    ("elasticloadbalancing", "targetgroup"): (
        23,
        _call("elbv2", "delete_target_group", TargetGroupArn=_arn),
    ),
    ("acm", "certificate"): (25, _call("acm", "delete_certificate", CertificateArn=_arn)),
    ("ecs", "task-definition"): (30, _ecs_task_definition),
    ("ecs", "cluster"): (31, _ecs_cluster),
    ("states", "stateMachine"): (
        40,
        _call("stepfunctions", "delete_state_machine", stateMachineArn=_arn),
    ),
    ("lambda", "function"): (
        40,
        _call("lambda", "delete_function", FunctionName=lambda a: a.name.split(":")[0]),
    ),
    ("cloudwatch", "alarm"): (
        40,
        _call("cloudwatch", "delete_alarms", AlarmNames=lambda a: [a.name]),
    ),
    ("cloudwatch", "dashboard"): (
        40,
        _call("cloudwatch", "delete_dashboards", DashboardNames=lambda a: [a.name]),
    ),
    ("logs", "log-group"): (
        40,
        _call("logs", "delete_log_group", logGroupName=lambda a: a.name.removesuffix(":*")),
    ),
    ("sns", ""): (40, _call("sns", "delete_topic", TopicArn=_arn)),
    ("secretsmanager", "secret"): (
        40,
        _call("secretsmanager", "delete_secret", SecretId=_arn, ForceDeleteWithoutRecovery=True),
    ),
    ("ssm", "parameter"): (40, _call("ssm", "delete_parameter", Name=_ssm_name)),
    ("es", "domain"): (50, _call("opensearch", "delete_domain", DomainName=_name)),
    ("rds", "db"): (60, _rds_instance),
    ("rds", "cluster"): (61, _rds_cluster),
    ("rds", "subgrp"): (62, _call("rds", "delete_db_subnet_group", DBSubnetGroupName=_name)),
    ("ec2", "security-group-rule"): (70, _sg_rule),
    ("ec2", "security-group"): (71, _call("ec2", "delete_security_group", GroupId=_name)),
    ("iam", "role"): (80, _iam_role),
}
