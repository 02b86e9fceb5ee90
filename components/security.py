"""AppSecurity: the security group of an environment's app tasks.

Creates: aws.ec2.SecurityGroup for the tasks (ingress only from the ALB's group on the app
ports, egress anywhere via NAT) and, for each shared backend group (e.g. staging's OpenSearch
group), an aws.vpc.SecurityGroupIngressRule letting these tasks in on 443. Those rules live in
this stack, so they disappear with a preview.

`mysql_security_group` is the group of an Aurora MySQL cluster (Database and DatabaseClone):
3306 only from the app tasks' group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import tags as tagging

MYSQL_PORT = 3306
HTTPS_PORT = 443
# Out to anywhere: image pulls, secrets and logs leave through the NAT gateway.
ANY_EGRESS: list[aws.ec2.SecurityGroupEgressArgsDict] = [
    {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}
]


def https_from(
    name: str,
    security_group_id: pulumi.Input[str],
    client_group_id: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    description: str | None = None,
) -> aws.vpc.SecurityGroupIngressRule:
    """A standalone rule letting `client_group_id` into `security_group_id` on 443. Standalone,
    not inline: inline rules are authoritative, and the group's own stack would delete the
    rules other stacks add (OpenSearch groups admit previews and pool seeders this way)."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=security_group_id,
        referenced_security_group_id=client_group_id,
        ip_protocol="tcp",
        from_port=HTTPS_PORT,
        to_port=HTTPS_PORT,
        description=description,
        tags=tags,
        opts=opts,
    )


def mysql_security_group(
    name: str,
    vpc_id: pulumi.Input[str],
    app_security_group_id: pulumi.Input[str],
    description: str,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """`<name>-sg`: MySQL from the app tasks only, no other ingress."""
    return aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=description,
        ingress=[
            {
                "protocol": "tcp",
                "from_port": MYSQL_PORT,
                "to_port": MYSQL_PORT,
                "security_groups": [app_security_group_id],
            }
        ],
        tags=tagging.named(tags, f"{name}-sg"),
        opts=opts,
    )


@dataclass(frozen=True)
class AppSecurityArgs:
    vpc_id: pulumi.Input[str]
    alb_security_group_id: pulumi.Input[str]
    ports: list[int]
    tags: dict[str, str]
    backend_security_group_ids: dict[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.ports:
            raise ValueError("AppSecurityArgs.ports: at least the public service's port")


class AppSecurity(pulumi.ComponentResource):
    task_security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: AppSecurityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:security:AppSecurity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sg = aws.ec2.SecurityGroup(
            f"{name}-tasks",
            vpc_id=args.vpc_id,
            description="app tasks: ALB in, anything out",
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": port,
                    "to_port": port,
                    "security_groups": [args.alb_security_group_id],
                }
                for port in sorted(set(args.ports))
            ],
            egress=ANY_EGRESS,
            tags=tagging.named(args.tags, f"{name}-tasks"),
            opts=child,
        )
        for role, backend in sorted(args.backend_security_group_ids.items()):
            https_from(
                f"{name}-to-{role}", backend, sg.id, args.tags, child, f"{name} tasks to {role}"
            )
        self.task_security_group_id = sg.id
        self.register_outputs({"task_security_group_id": sg.id})
