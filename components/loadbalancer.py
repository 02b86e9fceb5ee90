"""LoadBalancer: an internet-facing ALB with HTTPS and an HTTP->HTTPS redirect.

Creates: aws.ec2.SecurityGroup (80/443 from the allowed CIDRs), aws.lb.LoadBalancer,
an HTTPS aws.lb.Listener (TLS 1.3 policy) whose default action is a fixed 404 so only explicit
host rules (components/route.py) reach an app, and an HTTP listener redirecting to HTTPS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import naming
from components import tags as tagging
from components.security import ANY_EGRESS


@dataclass(frozen=True)
class LoadBalancerArgs:
    stack: str
    role: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    certificate_arn: pulumi.Input[str]
    tags: dict[str, str]
    ingress_cidrs: list[str] = field(default_factory=lambda: ["0.0.0.0/0"])
    # prod: the ALB cannot be deleted by accident (a destroy must turn this off first).
    protect: bool = False

    def __post_init__(self) -> None:
        if len(self.subnet_ids) < 2:
            raise ValueError("LoadBalancerArgs.subnet_ids: an ALB needs subnets in >= 2 AZs")
        if not self.ingress_cidrs:
            raise ValueError("LoadBalancerArgs.ingress_cidrs: give at least one CIDR")


class LoadBalancer(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:loadbalancer:LoadBalancer", name, None, opts)
        sg = self._create_security_group(name, args)
        alb = self._create_alb(name, args, sg)
        https = self._create_listeners(name, args, alb)
        self.arn = alb.arn
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = sg.id
        self.https_listener_arn = https.arn
        self.register_outputs(
            {
                "arn": self.arn,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "security_group_id": self.security_group_id,
                "https_listener_arn": self.https_listener_arn,
            }
        )

    def _create_security_group(self, name: str, args: LoadBalancerArgs) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"ALB {args.role} of {args.stack}: HTTP/HTTPS in",
            ingress=[
                {
                    "protocol": "tcp",
                    "from_port": port,
                    "to_port": port,
                    "cidr_blocks": args.ingress_cidrs,
                }
                for port in (80, 443)
            ],
            egress=ANY_EGRESS,
            tags=tagging.named(args.tags, f"{name}-sg"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_alb(
        self, name: str, args: LoadBalancerArgs, sg: aws.ec2.SecurityGroup
    ) -> aws.lb.LoadBalancer:
        return aws.lb.LoadBalancer(
            f"{name}-alb",
            name=naming.lb_name(naming.resource_prefix(args.stack), args.role),
            load_balancer_type="application",
            internal=False,
            security_groups=[sg.id],
            subnets=args.subnet_ids,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.protect,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_listeners(
        self, name: str, args: LoadBalancerArgs, alb: aws.lb.LoadBalancer
    ) -> aws.lb.Listener:
        """The HTTPS listener (returned) and the HTTP one that redirects to it."""
        child = pulumi.ResourceOptions(parent=self)
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            certificate_arn=args.certificate_arn,
            default_actions=[
                {
                    "type": "fixed-response",
                    "fixed_response": {
                        "content_type": "text/plain",
                        "message_body": "no such preview or app",
                        "status_code": "404",
                    },
                }
            ],
            tags=args.tags,
            opts=child,
        )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                {
                    "type": "redirect",
                    "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
                }
            ],
            tags=args.tags,
            opts=child,
        )
        return https
