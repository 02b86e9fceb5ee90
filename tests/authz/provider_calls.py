"""What the Pulumi AWS provider asks AWS to authorize for each resource type it manages.

No test runs `pulumi up` against AWS, so this table stands in for the recording: per resource
type of the synthesized graphs, the actions of create (with tag-on-create), update and delete,
and the implicit ones (iam:PassRole, RDS option/parameter/subnet groups, ENIs). Sources:
* actions, their resource types and condition keys: the Service Authorization Reference
  (docs.aws.amazon.com/service-authorization/latest/reference/list_<service>.html);
* tag-on-create: IAM (id_tags_roles.html: CreateRole with Tags also needs iam:TagRole),
  EC2 (supported-iam-actions-tagging.html: CreateTags with ec2:CreateAction), ECS
  (supported-iam-actions-tagging.html: ecs:TagResource with ecs:CreateAction), ELB
  (tagging on create needs elasticloadbalancing:AddTags with CreateAction), CloudWatch Logs,
  Lambda and Step Functions (TagResource when tags are given on create), RDS (dependent action
  rds:AddTagsToResource);
* provider behaviour (terraform-provider-aws, which pulumi-aws wraps): aws_security_group
  revokes the default allow-all egress rule after create and authorizes inline rules one
  call per rule without tags; aws_rds_cluster with restore_to_point_in_time calls
  RestoreDBClusterToPointInTime (authorized on source and target cluster, the cluster
  parameter group, option group and subnet group); aws_rds_cluster_instance calls
  CreateDBInstance (db, cluster, og, pg, subgrp).
A resource type in a graph without a row fails tests/authz/test_provider_calls.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from preview.synth.harness import ACCOUNT, REGION, Resource

R = f"{REGION}:{ACCOUNT}"
# The default groups an Aurora MySQL 8.0 cluster/instance gets when none is named.
DEFAULT_OG = f"arn:aws:rds:{R}:og:default:aurora-mysql-8-0"
DEFAULT_PG = f"arn:aws:rds:{R}:pg:default.aurora-mysql8.0"
DEFAULT_CLUSTER_PG = f"arn:aws:rds:{R}:cluster-pg:default.aurora-mysql8.0"


@dataclass(frozen=True)
class ProviderCall:
    """One authorization: action on resource with context; `phase` create/update/delete."""

    phase: str
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)
    # A principal other than the deployer makes it: `role:<logical name>` is a role of the same
    # graph (Lambda and ECS act with the function's / task's role), else a principals() name.
    principal: str | None = None


@dataclass
class Graph:
    """Lookups a row needs into the rest of the synthesized graph."""

    resources: list[Resource]
    staging_groups: frozenset[str] = frozenset()
    staging_tags: Mapping[str, str] = field(default_factory=dict)

    def by_ref(self, type_: str, ref: Any) -> Resource:
        """The resource an input refers to (mocked id `<name>-id`, ARN or physical name)."""
        key = str(ref).rsplit(":", 1)[-1].rsplit("/", 1)[-1].removesuffix("-id")
        for r in self.resources:
            if r.type == type_ and key in (r.name, physical(r)):
                return r
        raise KeyError(f"no {type_} for {ref!r}")


def tags(r: Resource) -> dict[str, str]:
    return {k: str(v) for k, v in (r.inputs.get("tags") or {}).items()}


def physical(r: Resource, key: str = "name") -> str:
    return str(r.inputs.get(key) or f"{r.name}-1a2b3c")


def _req(r: Resource, **extra: Any) -> dict[str, Any]:
    t = tags(r)
    ctx: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in t.items()}
    if t:
        ctx["aws:TagKeys"] = list(t)
    return {**ctx, **extra}


def _res(t: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {**{f"aws:ResourceTag/{k}": v for k, v in t.items()}, **extra}


def _crud(
    r: Resource,
    arn: str,
    create: list[str],
    tag: str | None,
    update: list[str],
    delete: list[str],
    **create_ctx: Any,
) -> list[ProviderCall]:
    """The common shape: create with request tags, tag-on-create, changes and delete on the
    tagged resource."""
    out = [ProviderCall("create", a, arn, _req(r, **create_ctx)) for a in create]
    if tag and tags(r):
        out.append(ProviderCall("create", tag[0] if isinstance(tag, tuple) else tag, arn, _req(r)))
    out += [ProviderCall("update", a, arn, _res(tags(r))) for a in update]
    out += [ProviderCall("delete", a, arn, _res(tags(r))) for a in delete]
    return out


def _role_arn(r: Resource) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{physical(r)}"


def _role(g: Graph, ref: Any) -> Resource:
    return g.by_ref("aws:iam/role:Role", ref)


def _boundary(role: Resource) -> dict[str, Any]:
    b = role.inputs.get("permissionsBoundary")
    return {"iam:PermissionsBoundary": str(b)} if b else {}


def _pass(g: Graph, ref: Any, service: str) -> ProviderCall:
    role = _role(g, ref)
    return ProviderCall(
        "create",
        "iam:PassRole",
        _role_arn(role),
        _res(tags(role), **{"iam:PassedToService": service}),
    )


def _security_group(r: Resource, g: Graph) -> list[ProviderCall]:
    sg = f"arn:aws:ec2:{R}:security-group/sg-{r.name}"
    rule = f"arn:aws:ec2:{R}:security-group-rule/*"
    own = tags(r)
    out = [
        ProviderCall("create", "ec2:CreateSecurityGroup", sg, _req(r)),
        ProviderCall(
            "create", "ec2:CreateSecurityGroup", f"arn:aws:ec2:{R}:vpc/{r.inputs['vpcId']}"
        ),
        ProviderCall(
            "create", "ec2:CreateTags", sg, _req(r, **{"ec2:CreateAction": "CreateSecurityGroup"})
        ),
        # The provider removes AWS's default allow-all egress rule right after create.
        ProviderCall("create", "ec2:RevokeSecurityGroupEgress", sg, _res(own)),
        ProviderCall("delete", "ec2:DeleteSecurityGroup", sg, _res(own)),
    ]
    for direction, action in (("ingress", "Ingress"), ("egress", "Egress")):
        for _ in r.inputs.get(direction) or []:
            # Inline rules are authorized one by one, without tags.
            out.append(ProviderCall("create", f"ec2:AuthorizeSecurityGroup{action}", sg, _res(own)))
            out.append(ProviderCall("create", f"ec2:AuthorizeSecurityGroup{action}", rule))
            out.append(ProviderCall("update", f"ec2:RevokeSecurityGroup{action}", sg, _res(own)))
    return out


def _ingress_rule(r: Resource, g: Graph) -> list[ProviderCall]:
    group = str(r.inputs["securityGroupId"])
    if group in g.staging_groups:
        group_tags = dict(g.staging_tags)
    else:
        group_tags = tags(g.by_ref("aws:ec2/securityGroup:SecurityGroup", group))
    sg = f"arn:aws:ec2:{R}:security-group/{group}"
    rule = f"arn:aws:ec2:{R}:security-group-rule/*"
    action = "ec2:AuthorizeSecurityGroupIngress"
    return [
        ProviderCall("create", action, sg, _res(group_tags)),
        ProviderCall("create", action, rule, _req(r)),
        ProviderCall("create", "ec2:CreateTags", rule, _req(r, **{"ec2:CreateAction": action[4:]})),
        ProviderCall("delete", "ec2:RevokeSecurityGroupIngress", sg, _res(group_tags)),
    ]


def _ecs_cluster(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:ecs:{R}:cluster/{physical(r)}"
    tag = ProviderCall(
        "create", "ecs:TagResource", arn, _req(r, **{"ecs:CreateAction": "CreateCluster"})
    )
    crud = _crud(r, arn, ["ecs:CreateCluster"], None, ["ecs:UpdateCluster"], ["ecs:DeleteCluster"])
    return [*crud, tag]


def _capacity(r: Resource, g: Graph) -> list[ProviderCall]:
    cluster = g.by_ref("aws:ecs/cluster:Cluster", r.inputs["clusterName"])
    arn = f"arn:aws:ecs:{R}:cluster/{physical(cluster)}"
    return [ProviderCall("create", "ecs:PutClusterCapacityProviders", arn, _res(tags(cluster)))]


def _task_definition(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:ecs:{R}:task-definition/{r.inputs['family']}:1"
    out = [
        ProviderCall("create", "ecs:RegisterTaskDefinition", arn, _req(r)),
        ProviderCall(
            "create",
            "ecs:TagResource",
            arn,
            _req(r, **{"ecs:CreateAction": "RegisterTaskDefinition"}),
        ),
        ProviderCall("delete", "ecs:DeregisterTaskDefinition", "*"),
    ]
    for key in ("taskRoleArn", "executionRoleArn"):
        if r.inputs.get(key):
            out.append(_pass(g, r.inputs[key], "ecs-tasks.amazonaws.com"))
    if r.inputs.get("executionRoleArn"):
        out += _ecs_agent(r, g)
    return out


def _ecs_agent(r: Resource, g: Graph) -> list[ProviderCall]:
    """What ECS does with the task's execution role to start it
    (AmazonECS/latest/developerguide/task_execution_IAM_role.html): pull the image, create
    the awslogs stream, read each `secrets` valueFrom."""
    who = f"role:{_role(g, r.inputs['executionRoleArn']).name}"
    raw = r.inputs["containerDefinitions"]
    containers = json.loads(raw) if isinstance(raw, str) else raw
    out = [ProviderCall("run", "ecr:GetAuthorizationToken", "*", principal=who)]
    for c in containers:
        image = str(c["image"])
        if ".dkr.ecr." in image:
            host, _, path = image.partition("/")
            account, region = host.split(".")[0], host.split(".")[3]
            repo = f"arn:aws:ecr:{region}:{account}:repository/{path.split(':')[0].split('@')[0]}"
            for action in (
                "BatchCheckLayerAvailability",
                "GetDownloadUrlForLayer",
                "BatchGetImage",
            ):
                out.append(ProviderCall("run", f"ecr:{action}", repo, principal=who))
        options = (c.get("logConfiguration") or {}).get("options") or {}
        if options.get("awslogs-group"):
            stream = (
                f"{options['awslogs-group']}:log-stream:{options.get('awslogs-stream-prefix')}/*"
            )
            for action in ("CreateLogStream", "PutLogEvents"):
                arn = f"arn:aws:logs:{R}:log-group:{stream}"
                out.append(ProviderCall("run", f"logs:{action}", arn, principal=who))
        for secret in c.get("secrets") or []:
            ref = str(secret["valueFrom"])
            if ":secretsmanager:" in ref:
                # `<secret ARN>:<json key>:<stage>:<version>`: the secret is the first 7 parts.
                arn = ":".join(ref.split(":")[:7])
                out.append(ProviderCall("run", "secretsmanager:GetSecretValue", arn, principal=who))
            else:
                out.append(ProviderCall("run", "ssm:GetParameters", ref, principal=who))
    return out


def _ecs_service(r: Resource, g: Graph) -> list[ProviderCall]:
    cluster = str(r.inputs["cluster"])
    arn = f"arn:aws:ecs:{R}:service/{cluster.rsplit('/', 1)[-1]}/{physical(r)}"
    ctx = {"ecs:cluster": cluster}
    return [
        ProviderCall("create", "ecs:CreateService", arn, _req(r, **ctx)),
        ProviderCall(
            "create", "ecs:TagResource", arn, _req(r, **{"ecs:CreateAction": "CreateService"})
        ),
        ProviderCall("update", "ecs:UpdateService", arn, _res(tags(r), **ctx)),
        ProviderCall("delete", "ecs:DeleteService", arn, _res(tags(r), **ctx)),
    ]


def _role_row(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = _role_arn(r)
    b = _boundary(r)
    return [
        ProviderCall("create", "iam:CreateRole", arn, _req(r, **b)),
        ProviderCall("create", "iam:TagRole", arn, _req(r)),
        ProviderCall("update", "iam:GetRole", arn, _res(tags(r))),
        ProviderCall("delete", "iam:ListRolePolicies", arn, _res(tags(r))),
        ProviderCall("delete", "iam:ListAttachedRolePolicies", arn, _res(tags(r))),
        ProviderCall("delete", "iam:ListInstanceProfilesForRole", arn, _res(tags(r))),
        ProviderCall("delete", "iam:DeleteRole", arn, _res(tags(r))),
    ]


def _role_policy(r: Resource, g: Graph) -> list[ProviderCall]:
    role = _role(g, r.inputs["role"])
    ctx = _res(tags(role), **_boundary(role))
    arn = _role_arn(role)
    return [
        ProviderCall("create", "iam:PutRolePolicy", arn, ctx),
        ProviderCall("update", "iam:GetRolePolicy", arn, ctx),
        ProviderCall("delete", "iam:DeleteRolePolicy", arn, ctx),
    ]


def _attachment(r: Resource, g: Graph) -> list[ProviderCall]:
    role = _role(g, r.inputs["role"])
    ctx = _res(tags(role), **_boundary(role), **{"iam:PolicyARN": str(r.inputs["policyArn"])})
    arn = _role_arn(role)
    return [
        ProviderCall("create", "iam:AttachRolePolicy", arn, ctx),
        ProviderCall("update", "iam:ListAttachedRolePolicies", arn, _res(tags(role))),
        ProviderCall("delete", "iam:DetachRolePolicy", arn, ctx),
    ]


def _lambda(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:lambda:{R}:function:{physical(r)}"
    out = _crud(
        r,
        arn,
        ["lambda:CreateFunction"],
        "lambda:TagResource",
        ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:GetFunction"],
        ["lambda:DeleteFunction"],
    )
    out.append(_pass(g, r.inputs["role"], "lambda.amazonaws.com"))
    vpc = r.inputs.get("vpcConfig") or {}
    who = f"role:{_role(g, r.inputs['role']).name}"
    if vpc.get("subnetIds"):
        # CreateFunction in a VPC: Lambda checks the function's role may manage ENIs
        # (lambda/latest/dg/configuration-vpc.html), so it needs that policy already attached.
        for action in (
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DeleteNetworkInterface",
        ):
            out.append(ProviderCall("create", action, "*", principal=who))
    return out


def _state_machine(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:states:{R}:stateMachine:{physical(r)}"
    out = _crud(
        r,
        arn,
        ["states:CreateStateMachine"],
        "states:TagResource",
        ["states:UpdateStateMachine", "states:DescribeStateMachine"],
        ["states:DeleteStateMachine"],
    )
    out.append(_pass(g, r.inputs["roleArn"], "states.amazonaws.com"))
    return out


def _log_group(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:logs:{R}:log-group:{physical(r)}"
    return _crud(
        r,
        arn,
        ["logs:CreateLogGroup"],
        "logs:TagResource",
        ["logs:PutRetentionPolicy"],
        ["logs:DeleteLogGroup"],
    )


def _elb(kind: str, create: str) -> Callable[[Resource, Graph], list[ProviderCall]]:
    lb = f"arn:aws:elasticloadbalancing:{R}:loadbalancer/app/lb/0123456789abcdef"
    listener = f"arn:aws:elasticloadbalancing:{R}:listener/app/lb/0123456789abcdef/0fedcba987654321"

    def row(r: Resource, g: Graph) -> list[ProviderCall]:
        # (the ARN the create is authorized on, the ARN of what it creates, delete verb)
        on, made, verb = {
            "targetgroup": (
                f"arn:aws:elasticloadbalancing:{R}:targetgroup/{physical(r)[:32]}/0123456789abcdef",
                None,
                "DeleteTargetGroup",
            ),
            "loadbalancer": (
                f"arn:aws:elasticloadbalancing:{R}:loadbalancer/app/{physical(r)[:32]}/0123456789abcdef",
                None,
                "DeleteLoadBalancer",
            ),
            "listener": (lb, listener, "DeleteListener"),
            "listener-rule": (
                listener,
                listener.replace(":listener/", ":listener-rule/") + "/0a1b2c3d4e5f6a7b",
                "DeleteRule",
            ),
        }[kind]
        made = made or on
        return [
            ProviderCall("create", f"elasticloadbalancing:{create}", on, _req(r)),
            ProviderCall(
                "create",
                "elasticloadbalancing:AddTags",
                made,
                _req(r, **{"elasticloadbalancing:CreateAction": create}),
            ),
            ProviderCall("delete", f"elasticloadbalancing:{verb}", made, _res(tags(r))),
        ]

    return row


def _rds_cluster(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:rds:{R}:cluster:{physical(r, 'clusterIdentifier')}"
    subnet = f"arn:aws:rds:{R}:subgrp:{r.inputs.get('dbSubnetGroupName', 'default')}"
    restore = r.inputs.get("restoreToPointInTime")
    out: list[ProviderCall] = []
    if restore:
        action = "rds:RestoreDBClusterToPointInTime"
        source = str(restore["sourceClusterIdentifier"])
        src = source if source.startswith("arn:") else f"arn:aws:rds:{R}:cluster:{source}"
        out += [
            ProviderCall("create", action, arn, _req(r)),
            ProviderCall("create", action, src, dict(g.staging_tags and _res(g.staging_tags))),
            ProviderCall("create", action, subnet),
            ProviderCall("create", action, DEFAULT_CLUSTER_PG),
            ProviderCall("create", action, DEFAULT_OG),
        ]
    else:
        out += [
            ProviderCall("create", "rds:CreateDBCluster", arn, _req(r)),
            ProviderCall("create", "rds:CreateDBCluster", subnet),
            ProviderCall("create", "rds:CreateDBCluster", DEFAULT_CLUSTER_PG),
        ]
    out += [
        ProviderCall("create", "rds:AddTagsToResource", arn, _req(r)),
        ProviderCall("update", "rds:ModifyDBCluster", arn, _res(tags(r))),
        ProviderCall("delete", "rds:DeleteDBCluster", arn, _res(tags(r))),
    ]
    return out


def _rds_instance(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:rds:{R}:db:{physical(r, 'identifier')}"
    parent = g.by_ref("aws:rds/cluster:Cluster", r.inputs["clusterIdentifier"])
    cluster = f"arn:aws:rds:{R}:cluster:{physical(parent, 'clusterIdentifier')}"
    action = "rds:CreateDBInstance"
    return [
        ProviderCall("create", action, arn, _req(r)),
        ProviderCall("create", action, cluster, _res(tags(parent))),
        ProviderCall("create", action, DEFAULT_OG),
        ProviderCall("create", action, DEFAULT_PG),
        ProviderCall("create", "rds:AddTagsToResource", arn, _req(r)),
        ProviderCall("update", "rds:ModifyDBInstance", arn, _res(tags(r))),
        ProviderCall("delete", "rds:DeleteDBInstance", arn, _res(tags(r))),
    ]


def _record(r: Resource, g: Graph) -> list[ProviderCall]:
    zone = f"arn:aws:route53:::hostedzone/{r.inputs['zoneId']}"
    names = {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
            str(r.inputs["name"]).lower().rstrip(".")
        ]
    }
    return [
        ProviderCall("create", "route53:ChangeResourceRecordSets", zone, names),
        ProviderCall("create", "route53:GetChange", "*"),
        ProviderCall("update", "route53:ListResourceRecordSets", zone),
        ProviderCall("delete", "route53:ChangeResourceRecordSets", zone, names),
    ]


def _simple(
    service: str, rest: str, create: str, delete: str, tag: str | None = None
) -> Callable[[Resource, Graph], list[ProviderCall]]:
    """Resources only long-lived stacks have (deployed with PowerUserAccess + IAM inline)."""

    def row(r: Resource, g: Graph) -> list[ProviderCall]:
        arn = f"arn:aws:{service}:{R}:{rest.format(name=physical(r))}" if rest != "*" else "*"
        return _crud(r, arn, [create], tag, [], [delete])

    return row


ROWS: dict[str, Callable[[Resource, Graph], list[ProviderCall]]] = {
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ingress_rule,
    "aws:ecs/cluster:Cluster": _ecs_cluster,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _capacity,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _ecs_service,
    "aws:iam/role:Role": _role_row,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _attachment,
    "aws:lambda/function:Function": _lambda,
    "aws:sfn/stateMachine:StateMachine": _state_machine,
    "aws:lb/targetGroup:TargetGroup": _elb("targetgroup", "CreateTargetGroup"),
    "aws:lb/listenerRule:ListenerRule": _elb("listener-rule", "CreateRule"),
    "aws:lb/loadBalancer:LoadBalancer": _elb("loadbalancer", "CreateLoadBalancer"),
    "aws:lb/listener:Listener": _elb("listener", "CreateListener"),
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _rds_instance,
    "aws:route53/record:Record": _record,
    "aws:acm/certificate:Certificate": lambda r, g: [
        ProviderCall("create", "acm:RequestCertificate", "*", _req(r)),
        ProviderCall("create", "acm:AddTagsToCertificate", "*", _req(r)),
        ProviderCall(
            "delete", "acm:DeleteCertificate", f"arn:aws:acm:{R}:certificate/0a1b", _res(tags(r))
        ),
    ],
    "aws:acm/certificateValidation:CertificateValidation": lambda r, g: [
        ProviderCall("create", "acm:DescribeCertificate", f"arn:aws:acm:{R}:certificate/0a1b")
    ],
    "aws:opensearch/domain:Domain": lambda r, g: _crud(
        r,
        f"arn:aws:es:{R}:domain/{physical(r, 'domainName')}",
        ["es:CreateDomain"],
        "es:AddTags",
        ["es:UpdateDomainConfig"],
        ["es:DeleteDomain"],
    ),
    # The pool stack's claims table (Service Authorization Reference, Amazon DynamoDB: CreateTable
    # with tags is also authorized as dynamodb:TagResource).
    "aws:dynamodb/table:Table": lambda r, g: _crud(
        r,
        f"arn:aws:dynamodb:{R}:table/{physical(r)}",
        ["dynamodb:CreateTable", "dynamodb:DescribeTable"],
        "dynamodb:TagResource",
        ["dynamodb:UpdateTable"],
        ["dynamodb:DeleteTable"],
    ),
    # Long-lived stacks only.
    "aws:ec2/vpc:Vpc": _simple("ec2", "vpc/vpc-{name}", "ec2:CreateVpc", "ec2:DeleteVpc"),
    "aws:ec2/subnet:Subnet": _simple(
        "ec2", "subnet/subnet-{name}", "ec2:CreateSubnet", "ec2:DeleteSubnet"
    ),
    "aws:ec2/internetGateway:InternetGateway": _simple(
        "ec2",
        "internet-gateway/igw-{name}",
        "ec2:CreateInternetGateway",
        "ec2:DeleteInternetGateway",
    ),
    "aws:ec2/natGateway:NatGateway": _simple(
        "ec2", "natgateway/nat-{name}", "ec2:CreateNatGateway", "ec2:DeleteNatGateway"
    ),
    "aws:ec2/eip:Eip": _simple(
        "ec2", "elastic-ip/eipalloc-{name}", "ec2:AllocateAddress", "ec2:ReleaseAddress"
    ),
    "aws:ec2/routeTable:RouteTable": _simple(
        "ec2", "route-table/rtb-{name}", "ec2:CreateRouteTable", "ec2:DeleteRouteTable"
    ),
    "aws:ec2/route:Route": _simple(
        "ec2", "route-table/rtb-{name}", "ec2:CreateRoute", "ec2:DeleteRoute"
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _simple(
        "ec2", "route-table/rtb-{name}", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"
    ),
    "aws:ec2/flowLog:FlowLog": _simple(
        "ec2", "vpc-flow-log/fl-{name}", "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs"
    ),
    "aws:ecr/repository:Repository": _simple(
        "ecr",
        "repository/{name}",
        "ecr:CreateRepository",
        "ecr:DeleteRepository",
        "ecr:TagResource",
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _simple(
        "ecr", "repository/{name}", "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy"
    ),
    "aws:cloudwatch/dashboard:Dashboard": lambda r, g: [
        ProviderCall(
            "create",
            "cloudwatch:PutDashboard",
            f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{physical(r, 'dashboardName')}",
        ),
        ProviderCall(
            "delete",
            "cloudwatch:DeleteDashboards",
            f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{physical(r, 'dashboardName')}",
        ),
    ],
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": lambda r, g: [
        ProviderCall(
            "create",
            "logs:PutMetricFilter",
            f"arn:aws:logs:{R}:log-group:{r.inputs['logGroupName']}",
        ),
        ProviderCall(
            "delete",
            "logs:DeleteMetricFilter",
            f"arn:aws:logs:{R}:log-group:{r.inputs['logGroupName']}",
        ),
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": _simple(
        "cloudwatch",
        "alarm:{name}",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:TagResource",
    ),
    "aws:sns/topic:Topic": _simple(
        "sns", "{name}", "sns:CreateTopic", "sns:DeleteTopic", "sns:TagResource"
    ),
    "aws:sns/topicSubscription:TopicSubscription": lambda r, g: [
        ProviderCall("create", "sns:Subscribe", f"arn:aws:sns:{R}:topic"),
        ProviderCall("delete", "sns:Unsubscribe", "*"),
    ],
    "aws:route53/zone:Zone": lambda r, g: [
        ProviderCall("create", "route53:CreateHostedZone", "*"),
        ProviderCall("create", "route53:ChangeTagsForResource", "arn:aws:route53:::hostedzone/Z1"),
        ProviderCall("delete", "route53:DeleteHostedZone", "arn:aws:route53:::hostedzone/Z1"),
    ],
    "aws:rds/subnetGroup:SubnetGroup": _simple(
        "rds",
        "subgrp:{name}",
        "rds:CreateDBSubnetGroup",
        "rds:DeleteDBSubnetGroup",
        "rds:AddTagsToResource",
    ),
    "aws:appautoscaling/target:Target": lambda r, g: [
        ProviderCall("create", "application-autoscaling:RegisterScalableTarget", "*"),
        ProviderCall(
            "create",
            "iam:CreateServiceLinkedRole",
            f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
            {"iam:AWSServiceName": "ecs.application-autoscaling.amazonaws.com"},
        ),
        ProviderCall("delete", "application-autoscaling:DeregisterScalableTarget", "*"),
    ],
    "aws:appautoscaling/policy:Policy": lambda r, g: [
        ProviderCall("create", "application-autoscaling:PutScalingPolicy", "*"),
        ProviderCall("delete", "application-autoscaling:DeleteScalingPolicy", "*"),
    ],
    # Bootstrap (run by an account admin; rows so the table covers every type).
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda r, g: [
        ProviderCall(
            "create",
            "iam:CreateOpenIDConnectProvider",
            f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
            _req(r),
        ),
        ProviderCall(
            "create",
            "iam:TagOpenIDConnectProvider",
            f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
            _req(r),
        ),
    ],
    "aws:iam/policy:Policy": lambda r, g: [
        ProviderCall(
            "create", "iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/{physical(r)}", _req(r)
        ),
        ProviderCall(
            "create", "iam:TagPolicy", f"arn:aws:iam::{ACCOUNT}:policy/{physical(r)}", _req(r)
        ),
        ProviderCall("delete", "iam:DeletePolicy", f"arn:aws:iam::{ACCOUNT}:policy/{physical(r)}"),
    ],
    # Not an AWS call: a read of another stack's outputs from the state backend.
    "pulumi:pulumi:StackReference": lambda r, g: [],
}


def provider_calls(resources: list[Resource], graph: Graph) -> dict[str, list[ProviderCall]]:
    """`"<type> <name>"` -> its calls; KeyError names the first type without a row."""
    out: dict[str, list[ProviderCall]] = {}
    for r in resources:
        if not r.custom:
            continue
        if r.type not in ROWS:
            raise KeyError(f"{r.type} ({r.name}) has no row in tests/authz/provider_calls.py")
        out[f"{r.type} {r.name}"] = ROWS[r.type](r, graph)
    return out
