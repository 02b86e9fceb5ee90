"""The preview role can create every AWS resource the real program puts in a preview stack.

The program is synthesized for `pr-12` (shared design, and the naive design with a dedicated ALB
and search domain), and each resource is turned into the AWS call that creates it, with its real
physical name and tags. A new resource type in a preview fails here until the role covers it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.bootstrap import GithubIdentityArgs, preview_policy
from preview.synth.configfile import naive_config, pr_config
from preview.synth.harness import ACCOUNT, DEFAULT_STAGING_OUTPUTS, REGION, Resource, synthesize
from tests.bootstrap.iam_eval import allowed

BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/pp-preview-boundary"
ARN = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
STAGING_GROUP = {"environment": "staging", "managed-by": "preview-platform"}
STAGING_IDS = {str(v) for v in DEFAULT_STAGING_OUTPUTS.values()}

# One AWS create call per resource: (action, resource ARN, condition context).
Call = tuple[str, str, dict[str, Any]]


def _tags(r: Resource) -> dict[str, str]:
    return dict(r.inputs.get("tags") or {})


def _role_arn(r: Resource) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{r.inputs.get('name') or r.name + '-1a2b3c'}"


def _calls(r: Resource, roles: dict[str, Resource]) -> list[Call]:
    t, i, tags = r.type, r.inputs, _tags(r)
    created = {"request_tags": tags}
    table: dict[str, Callable[[], list[Call]]] = {
        "aws:cloudwatch/logGroup:LogGroup": lambda: [
            ("logs:CreateLogGroup", ARN.format("logs", f"log-group:{i['name']}"), {})
        ],
        "aws:ec2/securityGroup:SecurityGroup": lambda: [
            ("ec2:CreateSecurityGroup", ARN.format("ec2", "security-group/*"), created)
        ],
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": lambda: [
            (
                "ec2:AuthorizeSecurityGroupIngress",
                ARN.format("ec2", "security-group-rule/*"),
                created,
            ),
            (
                "ec2:AuthorizeSecurityGroupIngress",
                ARN.format("ec2", f"security-group/{i['securityGroupId']}"),
                # Staging's groups (from its outputs) carry staging tags, this stack's its own.
                {"resource_tags": STAGING_GROUP if i["securityGroupId"] in STAGING_IDS else tags},
            ),
        ],
        "aws:ecs/cluster:Cluster": lambda: [("ecs:CreateCluster", "*", created)],
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": lambda: [
            (
                "ecs:PutClusterCapacityProviders",
                ARN.format("ecs", "cluster/x"),
                {"resource_tags": {"preview:pr": "12"}},
            )
        ],
        "aws:ecs/taskDefinition:TaskDefinition": lambda: [
            ("ecs:RegisterTaskDefinition", "*", created)
        ],
        "aws:ecs/service:Service": lambda: [("ecs:CreateService", "*", created)],
        "aws:iam/role:Role": lambda: [("iam:CreateRole", _role_arn(r), created)],
        "aws:iam/rolePolicy:RolePolicy": lambda: [
            (
                "iam:PutRolePolicy",
                _role_arn(roles[i["role"]]),
                {"resource_tags": _tags(roles[i["role"]])},
            )
        ],
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda: [
            (
                "iam:AttachRolePolicy",
                _role_arn(roles[i["role"]]),
                {"resource_tags": _tags(roles[i["role"]]), "iam__PolicyARN": i["policyArn"]},
            )
        ],
        "aws:lambda/function:Function": lambda: [
            ("lambda:CreateFunction", ARN.format("lambda", f"function:{i['name']}"), created)
        ],
        "aws:sfn/stateMachine:StateMachine": lambda: [
            (
                "states:CreateStateMachine",
                ARN.format("states", f"stateMachine:{i['name']}"),
                created,
            )
        ],
        "aws:lb/targetGroup:TargetGroup": lambda: [
            ("elasticloadbalancing:CreateTargetGroup", "*", created)
        ],
        "aws:lb/listenerRule:ListenerRule": lambda: [
            ("elasticloadbalancing:CreateRule", "*", created)
        ],
        "aws:lb/loadBalancer:LoadBalancer": lambda: [
            ("elasticloadbalancing:CreateLoadBalancer", "*", created)
        ],
        "aws:lb/listener:Listener": lambda: [("elasticloadbalancing:CreateListener", "*", created)],
        "aws:rds/cluster:Cluster": lambda: [
            (
                "rds:RestoreDBClusterToPointInTime",
                ARN.format("rds", f"cluster:{i['clusterIdentifier']}"),
                created,
            ),
            (
                "rds:RestoreDBClusterToPointInTime",
                str(DEFAULT_STAGING_OUTPUTS["dbClusterArn"]),
                {},
            ),
        ],
        "aws:rds/clusterInstance:ClusterInstance": lambda: [
            ("rds:CreateDBInstance", ARN.format("rds", f"db:{i['identifier']}"), created)
        ],
        "aws:route53/record:Record": lambda: [
            (
                "route53:ChangeResourceRecordSets",
                f"arn:aws:route53:::hostedzone/{i['zoneId']}",
                {
                    "route53__ChangeResourceRecordSetsNormalizedRecordNames": [
                        str(i["name"]).lower().rstrip(".")
                    ]
                },
            )
        ],
        "aws:acm/certificate:Certificate": lambda: [("acm:RequestCertificate", "*", created)],
        "aws:acm/certificateValidation:CertificateValidation": lambda: [
            ("acm:DescribeCertificate", "*", {})
        ],
        "aws:opensearch/domain:Domain": lambda: [
            ("es:CreateDomain", ARN.format("es", f"domain/{i['domainName']}"), created)
        ],
    }
    if t not in table:
        pytest.fail(f"{t} ({r.name}) appears in a preview: give the preview role a permission")
    return table[t]()


def _preview_resources(naive: bool) -> list[Resource]:
    config = pr_config(12)
    synth = synthesize("pr-12", naive_config(config) if naive else config)
    return [r for r in synth.resources if r.custom and r.type.startswith("aws:")]


@pytest.mark.parametrize("naive", [False, True], ids=["shared", "dedicated"])
def test_preview_role_can_create_every_preview_resource(naive: bool) -> None:
    """Every create call of a real preview stack is allowed (IAM with the boundary set)."""
    zone = str(DEFAULT_STAGING_OUTPUTS["previewZoneName"])
    policy = preview_policy(
        GithubIdentityArgs(github_org="acme", github_repo="shop", preview_zone=zone), BOUNDARY
    )
    resources = _preview_resources(naive)
    roles = {r.name: r for r in resources if r.type == "aws:iam/role:Role"}
    # RolePolicy inputs name the role by its id; the mocks harness makes ids from names.
    roles |= {f"{name}-id": role for name, role in roles.items()}
    refused = []
    for r in resources:
        for action, arn, ctx in _calls(r, roles):
            if action.startswith("iam:") and action != "iam:PassRole":
                ctx = {**ctx, "iam__PermissionsBoundary": BOUNDARY}
            if not allowed(policy, action, arn, **ctx):
                refused.append(f"{r.type} {r.name}: {action} on {arn}")
    assert refused == []


def test_every_preview_role_carries_the_boundary() -> None:
    """The preview role may create IAM roles only with the boundary, so the program must set it."""
    roles = [r for r in _preview_resources(False) if r.type == "aws:iam/role:Role"]
    missing = [
        r.name
        for r in roles
        if not str(r.inputs.get("permissionsBoundary", "")).endswith(":policy/pp-preview-boundary")
    ]
    assert missing == []
