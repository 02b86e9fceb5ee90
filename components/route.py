"""Route: how one host name reaches one service behind an HTTPS listener.

Creates: aws.lb.TargetGroup (ip targets), aws.lb.ListenerRule(s) on the given listener for the
host, and a Route53 alias record pointing the host at the ALB.

URL protection (smoke tests must still get in):
* `public`      one rule: host -> forward.
* `ipAllowlist` host + source-ip(allowed CIDRs) -> forward; other sources fall through to the
  listener's fixed 404.
* `oidc`        host -> authenticate-oidc, then forward.
For the last two a "bypass" rule with a lower priority number matches host + source-ip of the
environment's NAT gateways and forwards without auth: the smoke tasks and the health Lambda run
in the private subnets and leave through those NAT IPs, so only workloads inside our VPC skip
the protection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components import naming

# ALB: at most 5 condition values per rule; the host header takes one.
MAX_SOURCE_IPS = 4


@dataclass(frozen=True)
class OidcAuth:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    user_info_endpoint: str
    client_id: str
    client_secret: pulumi.Input[str]


@dataclass(frozen=True)
class RouteArgs:
    stack: str
    service: str
    host: pulumi.Input[str]
    port: int
    health_path: str
    vpc_id: pulumi.Input[str]
    listener_arn: pulumi.Input[str]
    priority: int
    alb_dns_name: pulumi.Input[str]
    alb_zone_id: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    tags: dict[str, str]
    protection: Literal["public", "ipAllowlist", "oidc"] = "public"
    allowed_cidrs: list[str] = field(default_factory=list)
    bypass_cidrs: pulumi.Input[list[str]] | None = None
    oidc: OidcAuth | None = None
    deregistration_delay: int = 30

    def __post_init__(self) -> None:
        if isinstance(self.host, str) and len(self.host) > 128:
            raise ValueError(f"RouteArgs.host: {self.host!r} exceeds the ALB host-header limit 128")
        if not 1 <= self.priority <= 49_999:
            raise ValueError("RouteArgs.priority: must be 1..49999 (the next one is used too)")
        if self.protection == "ipAllowlist" and not 1 <= len(self.allowed_cidrs) <= MAX_SOURCE_IPS:
            raise ValueError(f"RouteArgs.allowed_cidrs: give 1..{MAX_SOURCE_IPS} CIDRs")
        if self.protection == "oidc" and self.oidc is None:
            raise ValueError("RouteArgs.oidc: required when protection is 'oidc'")
        if self.protection != "public" and self.bypass_cidrs is None:
            raise ValueError("RouteArgs.bypass_cidrs: NAT IPs are needed so smoke tests get in")


class Route(pulumi.ComponentResource):
    target_group_arn: pulumi.Output[str]
    target_group_arn_suffix: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: RouteArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:route:Route", name, None, opts)
        tg = self._create_target_group(name, args)
        self.rules = self._create_rules(name, args, tg)
        self._create_alias(name, args)
        self.target_group_arn = tg.arn
        self.target_group_arn_suffix = tg.arn_suffix
        self.url = pulumi.Output.concat("https://", args.host)
        self.register_outputs({"target_group_arn": tg.arn, "url": self.url})

    def _create_target_group(self, name: str, args: RouteArgs) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            f"{name}-tg",
            name=naming.lb_name(naming.resource_prefix(args.stack), args.service),
            port=args.port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.vpc_id,
            deregistration_delay=args.deregistration_delay,
            health_check={
                "path": args.health_path,
                "matcher": "200-399",
                "interval": 15,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_rules(
        self, name: str, args: RouteArgs, tg: aws.lb.TargetGroup
    ) -> list[aws.lb.ListenerRule]:
        child = pulumi.ResourceOptions(parent=self)
        forward: Any = {"type": "forward", "target_group_arn": tg.arn}
        host: Any = {"host_header": {"values": [args.host]}}
        rules: list[aws.lb.ListenerRule] = []
        if args.protection != "public":
            rules.append(
                aws.lb.ListenerRule(
                    f"{name}-smoke-bypass",
                    listener_arn=args.listener_arn,
                    priority=args.priority,
                    conditions=[host, {"source_ip": {"values": args.bypass_cidrs}}],
                    actions=[forward],
                    tags=args.tags,
                    opts=child,
                )
            )
        conditions: list[Any] = [host]
        actions: list[Any] = [forward]
        if args.protection == "ipAllowlist":
            conditions.append({"source_ip": {"values": args.allowed_cidrs}})
        if args.protection == "oidc" and args.oidc is not None:
            actions = [_authenticate_oidc(args.oidc), {**forward, "order": 2}]
        rules.append(
            aws.lb.ListenerRule(
                f"{name}-host",
                listener_arn=args.listener_arn,
                priority=args.priority + 1,
                conditions=conditions,
                actions=actions,
                tags=args.tags,
                opts=child,
            )
        )
        return rules

    def _create_alias(self, name: str, args: RouteArgs) -> None:
        aws.route53.Record(
            f"{name}-alias",
            zone_id=args.zone_id,
            name=args.host,
            type="A",
            aliases=[
                {
                    "name": args.alb_dns_name,
                    "zone_id": args.alb_zone_id,
                    "evaluate_target_health": True,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )


def _authenticate_oidc(o: OidcAuth) -> dict[str, Any]:
    return {
        "type": "authenticate-oidc",
        "order": 1,
        "authenticate_oidc": {
            "issuer": o.issuer,
            "authorization_endpoint": o.authorization_endpoint,
            "token_endpoint": o.token_endpoint,
            "user_info_endpoint": o.user_info_endpoint,
            "client_id": o.client_id,
            "client_secret": o.client_secret,
        },
    }
