"""The rows of tests/authz/provider_calls.py for the resource types of the preview and pool
stacks that need more than the common create/tag/update/delete shape (sources: that module's
docstring)."""

from __future__ import annotations

import json
from collections.abc import Callable

from preview.synth.harness import Resource
from tests.authz.provider_model import (
    DEFAULT_CLUSTER_PG,
    DEFAULT_OG,
    DEFAULT_PG,
    Graph,
    ProviderCall,
    R,
    boundary,
    crud,
    pass_role,
    physical,
    req,
    res,
    role_arn,
    role_of,
    tags,
)


def security_group(r: Resource, g: Graph) -> list[ProviderCall]:
    sg = f"arn:aws:ec2:{R}:security-group/sg-{r.name}"
    rule = f"arn:aws:ec2:{R}:security-group-rule/*"
    own = tags(r)
    out = [
        ProviderCall("create", "ec2:CreateSecurityGroup", sg, req(r)),
        ProviderCall(
            "create", "ec2:CreateSecurityGroup", f"arn:aws:ec2:{R}:vpc/{r.inputs['vpcId']}"
        ),
        ProviderCall(
            "create", "ec2:CreateTags", sg, req(r, **{"ec2:CreateAction": "CreateSecurityGroup"})
        ),
        # The provider removes AWS's default allow-all egress rule right after create.
        ProviderCall("create", "ec2:RevokeSecurityGroupEgress", sg, res(own)),
        ProviderCall("delete", "ec2:DeleteSecurityGroup", sg, res(own)),
    ]
    for direction, action in (("ingress", "Ingress"), ("egress", "Egress")):
        for _ in r.inputs.get(direction) or []:
            # Inline rules are authorized one by one, without tags.
            out.append(ProviderCall("create", f"ec2:AuthorizeSecurityGroup{action}", sg, res(own)))
            out.append(ProviderCall("create", f"ec2:AuthorizeSecurityGroup{action}", rule))
            out.append(ProviderCall("update", f"ec2:RevokeSecurityGroup{action}", sg, res(own)))
    return out


def ingress_rule(r: Resource, g: Graph) -> list[ProviderCall]:
    group = str(r.inputs["securityGroupId"])
    if group in g.staging_groups:
        group_tags = dict(g.staging_tags)
    else:
        group_tags = tags(g.by_ref("aws:ec2/securityGroup:SecurityGroup", group))
    sg = f"arn:aws:ec2:{R}:security-group/{group}"
    rule = f"arn:aws:ec2:{R}:security-group-rule/*"
    action = "ec2:AuthorizeSecurityGroupIngress"
    return [
        ProviderCall("create", action, sg, res(group_tags)),
        ProviderCall("create", action, rule, req(r)),
        ProviderCall("create", "ec2:CreateTags", rule, req(r, **{"ec2:CreateAction": action[4:]})),
        ProviderCall("delete", "ec2:RevokeSecurityGroupIngress", sg, res(group_tags)),
    ]


def ecs_cluster(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:ecs:{R}:cluster/{physical(r)}"
    tag = ProviderCall(
        "create", "ecs:TagResource", arn, req(r, **{"ecs:CreateAction": "CreateCluster"})
    )
    calls = crud(r, arn, ["ecs:CreateCluster"], None, ["ecs:UpdateCluster"], ["ecs:DeleteCluster"])
    return [*calls, tag]


def capacity(r: Resource, g: Graph) -> list[ProviderCall]:
    cluster = g.by_ref("aws:ecs/cluster:Cluster", r.inputs["clusterName"])
    arn = f"arn:aws:ecs:{R}:cluster/{physical(cluster)}"
    return [ProviderCall("create", "ecs:PutClusterCapacityProviders", arn, res(tags(cluster)))]


def task_definition(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:ecs:{R}:task-definition/{r.inputs['family']}:1"
    out = [
        ProviderCall("create", "ecs:RegisterTaskDefinition", arn, req(r)),
        ProviderCall(
            "create",
            "ecs:TagResource",
            arn,
            req(r, **{"ecs:CreateAction": "RegisterTaskDefinition"}),
        ),
        ProviderCall("delete", "ecs:DeregisterTaskDefinition", "*"),
    ]
    for key in ("taskRoleArn", "executionRoleArn"):
        if r.inputs.get(key):
            out.append(pass_role(g, r.inputs[key], "ecs-tasks.amazonaws.com"))
    if r.inputs.get("executionRoleArn"):
        out += _ecs_agent(r, g)
    return out


def _ecs_agent(r: Resource, g: Graph) -> list[ProviderCall]:
    """What ECS does with the task's execution role to start it
    (AmazonECS/latest/developerguide/task_execution_IAM_role.html): pull the image, create
    the awslogs stream, read each `secrets` valueFrom."""
    who = f"role:{role_of(g, r.inputs['executionRoleArn']).name}"
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


def ecs_service(r: Resource, g: Graph) -> list[ProviderCall]:
    cluster = str(r.inputs["cluster"])
    arn = f"arn:aws:ecs:{R}:service/{cluster.rsplit('/', 1)[-1]}/{physical(r)}"
    ctx = {"ecs:cluster": cluster}
    return [
        ProviderCall("create", "ecs:CreateService", arn, req(r, **ctx)),
        ProviderCall(
            "create", "ecs:TagResource", arn, req(r, **{"ecs:CreateAction": "CreateService"})
        ),
        ProviderCall("update", "ecs:UpdateService", arn, res(tags(r), **ctx)),
        ProviderCall("delete", "ecs:DeleteService", arn, res(tags(r), **ctx)),
    ]


def role_row(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = role_arn(r)
    b = boundary(r)
    return [
        ProviderCall("create", "iam:CreateRole", arn, req(r, **b)),
        ProviderCall("create", "iam:TagRole", arn, req(r)),
        ProviderCall("update", "iam:GetRole", arn, res(tags(r))),
        ProviderCall("delete", "iam:ListRolePolicies", arn, res(tags(r))),
        ProviderCall("delete", "iam:ListAttachedRolePolicies", arn, res(tags(r))),
        ProviderCall("delete", "iam:ListInstanceProfilesForRole", arn, res(tags(r))),
        ProviderCall("delete", "iam:DeleteRole", arn, res(tags(r))),
    ]


def role_policy(r: Resource, g: Graph) -> list[ProviderCall]:
    role = role_of(g, r.inputs["role"])
    ctx = res(tags(role), **boundary(role))
    arn = role_arn(role)
    return [
        ProviderCall("create", "iam:PutRolePolicy", arn, ctx),
        ProviderCall("update", "iam:GetRolePolicy", arn, ctx),
        ProviderCall("delete", "iam:DeleteRolePolicy", arn, ctx),
    ]


def attachment(r: Resource, g: Graph) -> list[ProviderCall]:
    role = role_of(g, r.inputs["role"])
    ctx = res(tags(role), **boundary(role), **{"iam:PolicyARN": str(r.inputs["policyArn"])})
    arn = role_arn(role)
    return [
        ProviderCall("create", "iam:AttachRolePolicy", arn, ctx),
        ProviderCall("update", "iam:ListAttachedRolePolicies", arn, res(tags(role))),
        ProviderCall("delete", "iam:DetachRolePolicy", arn, ctx),
    ]


def lambda_function(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:lambda:{R}:function:{physical(r)}"
    out = crud(
        r,
        arn,
        ["lambda:CreateFunction"],
        "lambda:TagResource",
        ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:GetFunction"],
        ["lambda:DeleteFunction"],
    )
    out.append(pass_role(g, r.inputs["role"], "lambda.amazonaws.com"))
    vpc = r.inputs.get("vpcConfig") or {}
    who = f"role:{role_of(g, r.inputs['role']).name}"
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


def state_machine(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:states:{R}:stateMachine:{physical(r)}"
    out = crud(
        r,
        arn,
        ["states:CreateStateMachine"],
        "states:TagResource",
        ["states:UpdateStateMachine", "states:DescribeStateMachine"],
        ["states:DeleteStateMachine"],
    )
    out.append(pass_role(g, r.inputs["roleArn"], "states.amazonaws.com"))
    return out


def log_group(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:logs:{R}:log-group:{physical(r)}"
    return crud(
        r,
        arn,
        ["logs:CreateLogGroup"],
        "logs:TagResource",
        ["logs:PutRetentionPolicy"],
        ["logs:DeleteLogGroup"],
    )


def elb(kind: str, create: str) -> Callable[[Resource, Graph], list[ProviderCall]]:
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
            ProviderCall("create", f"elasticloadbalancing:{create}", on, req(r)),
            ProviderCall(
                "create",
                "elasticloadbalancing:AddTags",
                made,
                req(r, **{"elasticloadbalancing:CreateAction": create}),
            ),
            ProviderCall("delete", f"elasticloadbalancing:{verb}", made, res(tags(r))),
        ]

    return row


def rds_cluster(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:rds:{R}:cluster:{physical(r, 'clusterIdentifier')}"
    subnet = f"arn:aws:rds:{R}:subgrp:{r.inputs.get('dbSubnetGroupName', 'default')}"
    restore = r.inputs.get("restoreToPointInTime")
    out: list[ProviderCall] = []
    if restore:
        action = "rds:RestoreDBClusterToPointInTime"
        source = str(restore["sourceClusterIdentifier"])
        src = source if source.startswith("arn:") else f"arn:aws:rds:{R}:cluster:{source}"
        out += [
            ProviderCall("create", action, arn, req(r)),
            ProviderCall("create", action, src, dict(g.staging_tags and res(g.staging_tags))),
            ProviderCall("create", action, subnet),
            ProviderCall("create", action, DEFAULT_CLUSTER_PG),
            ProviderCall("create", action, DEFAULT_OG),
        ]
    else:
        out += [
            ProviderCall("create", "rds:CreateDBCluster", arn, req(r)),
            ProviderCall("create", "rds:CreateDBCluster", subnet),
            ProviderCall("create", "rds:CreateDBCluster", DEFAULT_CLUSTER_PG),
        ]
    out += [
        ProviderCall("create", "rds:AddTagsToResource", arn, req(r)),
        ProviderCall("update", "rds:ModifyDBCluster", arn, res(tags(r))),
        ProviderCall("delete", "rds:DeleteDBCluster", arn, res(tags(r))),
    ]
    return out


def rds_instance(r: Resource, g: Graph) -> list[ProviderCall]:
    arn = f"arn:aws:rds:{R}:db:{physical(r, 'identifier')}"
    parent = g.by_ref("aws:rds/cluster:Cluster", r.inputs["clusterIdentifier"])
    cluster = f"arn:aws:rds:{R}:cluster:{physical(parent, 'clusterIdentifier')}"
    action = "rds:CreateDBInstance"
    return [
        ProviderCall("create", action, arn, req(r)),
        ProviderCall("create", action, cluster, res(tags(parent))),
        ProviderCall("create", action, DEFAULT_OG),
        ProviderCall("create", action, DEFAULT_PG),
        ProviderCall("create", "rds:AddTagsToResource", arn, req(r)),
        ProviderCall("update", "rds:ModifyDBInstance", arn, res(tags(r))),
        ProviderCall("delete", "rds:DeleteDBInstance", arn, res(tags(r))),
    ]


def record(r: Resource, g: Graph) -> list[ProviderCall]:
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
