"""Network: a VPC over >= 2 AZs with public and private subnets.

Creates: aws.ec2.Vpc, InternetGateway, public and private Subnets (one each per AZ), one NAT
gateway + EIP (or one per AZ when `nat_per_az`), RouteTables, Routes and associations, and,
when `flow_log_retention_days` is set, VPC flow logs to a CloudWatch log group (+ IAM role).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam
from components import tags as tagging
from contracts.constants import PROJECT


@dataclass(frozen=True)
class NetworkArgs:
    cidr: str
    availability_zones: list[str]
    tags: dict[str, str]
    nat_per_az: bool = False
    flow_log_retention_days: int | None = None
    stack: str = ""

    def __post_init__(self) -> None:
        if len(self.availability_zones) < 2:
            raise ValueError("NetworkArgs.availability_zones: need at least 2 AZs for the ALB")
        ipaddress.ip_network(self.cidr)
        if self.flow_log_retention_days is not None and self.flow_log_retention_days < 1:
            raise ValueError("NetworkArgs.flow_log_retention_days: at least 1 day, or None")
        if self.flow_log_retention_days is not None and not self.stack:
            raise ValueError("NetworkArgs.stack: required with flow logs (names the log group)")


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    nat_public_ips: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        t = args.tags
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            # awsvpc tasks (and moto's run_task) need DNS hostnames for ECR and service endpoints.
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tagging.named(t, f"{name}-vpc"),
            opts=child,
        )
        self.vpc_id = self.vpc.id
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=tagging.named(t, f"{name}-igw"), opts=child
        )
        # /20 VPC -> /24s: public subnets take the first block, private ones start at index 8.
        subnets = list(ipaddress.ip_network(args.cidr).subnets(new_prefix=24))
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            tags=tagging.named(t, f"{name}-public"),
            opts=child,
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        public, private, nat_ips = [], [], []
        nat_ids: list[pulumi.Output[str]] = []
        for i, az in enumerate(args.availability_zones):
            pub = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=self.vpc.id,
                cidr_block=str(subnets[i]),
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags=tagging.named(t, f"{name}-public-{az}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=pub.id, route_table_id=public_rt.id, opts=child
            )
            public.append(pub.id)
            if i == 0 or args.nat_per_az:
                eip = aws.ec2.Eip(
                    f"{name}-nat-{i}",
                    domain="vpc",
                    tags=tagging.named(t, f"{name}-nat-{az}"),
                    opts=child,
                )
                nat = aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=pub.id,
                    tags=tagging.named(t, f"{name}-nat-{az}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
                nat_ids.append(nat.id)
                nat_ips.append(eip.public_ip)
            priv = aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=self.vpc.id,
                cidr_block=str(subnets[8 + i]),
                availability_zone=az,
                tags=tagging.named(t, f"{name}-private-{az}"),
                opts=child,
            )
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=self.vpc.id,
                tags=tagging.named(t, f"{name}-private-{az}"),
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_ids[-1],
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=priv.id, route_table_id=rt.id, opts=child
            )
            private.append(priv.id)
        if args.flow_log_retention_days is not None:
            self._create_flow_logs(name, args)
        self.public_subnet_ids = public
        self.private_subnet_ids = private
        self.nat_public_ips = nat_ips
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": public,
                "private_subnet_ids": private,
                "nat_public_ips": nat_ips,
            }
        )

    def _create_flow_logs(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/{PROJECT}/{args.stack}/vpc-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            tags=args.tags,
            opts=child,
        )
        role = iam.service_role(f"{name}-flow-logs", iam.VPC_FLOW_LOGS, tags=args.tags, opts=child)
        iam.allow_policy(
            f"{name}-flow-logs",
            role,
            ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            pulumi.Output.concat(group.arn, ":*"),
            child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags=args.tags,
            opts=child,
        )
