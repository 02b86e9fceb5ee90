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

from collections.abc import Callable

from preview.synth.harness import ACCOUNT, Resource
from tests.authz import provider_rows as rows
from tests.authz.provider_model import Graph, ProviderCall, R, crud, physical, req, res, tags

__all__ = ["ROWS", "Graph", "ProviderCall", "provider_calls"]


def _simple(
    service: str, rest: str, create: str, delete: str, tag: str | None = None
) -> Callable[[Resource, Graph], list[ProviderCall]]:
    """Resources only long-lived stacks have (deployed with PowerUserAccess + IAM inline)."""

    def row(r: Resource, g: Graph) -> list[ProviderCall]:
        arn = f"arn:aws:{service}:{R}:{rest.format(name=physical(r))}" if rest != "*" else "*"
        return crud(r, arn, [create], tag, [], [delete])

    return row


ROWS: dict[str, Callable[[Resource, Graph], list[ProviderCall]]] = {
    "aws:cloudwatch/logGroup:LogGroup": rows.log_group,
    "aws:ec2/securityGroup:SecurityGroup": rows.security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": rows.ingress_rule,
    "aws:ecs/cluster:Cluster": rows.ecs_cluster,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": rows.capacity,
    "aws:ecs/taskDefinition:TaskDefinition": rows.task_definition,
    "aws:ecs/service:Service": rows.ecs_service,
    "aws:iam/role:Role": rows.role_row,
    "aws:iam/rolePolicy:RolePolicy": rows.role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": rows.attachment,
    "aws:lambda/function:Function": rows.lambda_function,
    "aws:sfn/stateMachine:StateMachine": rows.state_machine,
    "aws:lb/targetGroup:TargetGroup": rows.elb("targetgroup", "CreateTargetGroup"),
    "aws:lb/listenerRule:ListenerRule": rows.elb("listener-rule", "CreateRule"),
    "aws:lb/loadBalancer:LoadBalancer": rows.elb("loadbalancer", "CreateLoadBalancer"),
    "aws:lb/listener:Listener": rows.elb("listener", "CreateListener"),
    "aws:rds/cluster:Cluster": rows.rds_cluster,
    "aws:rds/clusterInstance:ClusterInstance": rows.rds_instance,
    "aws:route53/record:Record": rows.record,
    "aws:acm/certificate:Certificate": lambda r, g: [
        ProviderCall("create", "acm:RequestCertificate", "*", req(r)),
        ProviderCall("create", "acm:AddTagsToCertificate", "*", req(r)),
        ProviderCall(
            "delete", "acm:DeleteCertificate", f"arn:aws:acm:{R}:certificate/0a1b", res(tags(r))
        ),
    ],
    "aws:acm/certificateValidation:CertificateValidation": lambda r, g: [
        ProviderCall("create", "acm:DescribeCertificate", f"arn:aws:acm:{R}:certificate/0a1b")
    ],
    "aws:opensearch/domain:Domain": lambda r, g: crud(
        r,
        f"arn:aws:es:{R}:domain/{physical(r, 'domainName')}",
        ["es:CreateDomain"],
        "es:AddTags",
        ["es:UpdateDomainConfig"],
        ["es:DeleteDomain"],
    ),
    # The pool stack's claims table (Service Authorization Reference, Amazon DynamoDB: CreateTable
    # with tags is also authorized as dynamodb:TagResource).
    "aws:dynamodb/table:Table": lambda r, g: crud(
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
            req(r),
        ),
        ProviderCall(
            "create",
            "iam:TagOpenIDConnectProvider",
            f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
            req(r),
        ),
    ],
    "aws:iam/policy:Policy": lambda r, g: [
        ProviderCall(
            "create", "iam:CreatePolicy", f"arn:aws:iam::{ACCOUNT}:policy/{physical(r)}", req(r)
        ),
        ProviderCall(
            "create", "iam:TagPolicy", f"arn:aws:iam::{ACCOUNT}:policy/{physical(r)}", req(r)
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
