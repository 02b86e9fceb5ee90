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
from components.logs import log_group
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
        t = args.tags
        self.vpc = self._create_vpc(name, args)
        self.vpc_id = self.vpc.id
        igw = aws.ec2.InternetGateway(
            f"{name}-igw",
            vpc_id=self.vpc.id,
            tags=tagging.named(t, f"{name}-igw"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # /20 VPC -> /24s: public subnets take the first block, private ones start at index 8.
        subnets = list(ipaddress.ip_network(args.cidr).subnets(new_prefix=24))
        public_rt = self._create_route_table(
            f"{name}-public-rt",
            f"{name}-public-default",
            tagging.named(t, f"{name}-public"),
            gateway_id=igw.id,
        )
        public, private, nat_ips = [], [], []
        nat_ids: list[pulumi.Output[str]] = []
        for i, az in enumerate(args.availability_zones):
            pub = self._create_subnet(
                f"{name}-public-{i}",
                str(subnets[i]),
                az,
                tagging.named(t, f"{name}-public-{az}"),
                public_rt,
                map_public_ip_on_launch=False,
            )
            public.append(pub.id)
            if i == 0 or args.nat_per_az:
                nat_id, nat_ip = self._create_nat(name, t, i, az, pub, igw)
                nat_ids.append(nat_id)
                nat_ips.append(nat_ip)
            # Without nat_per_az every private subnet leaves through the first AZ's NAT gateway.
            private_tags = tagging.named(t, f"{name}-private-{az}")
            private_rt = self._create_route_table(
                f"{name}-private-rt-{i}",
                f"{name}-private-default-{i}",
                private_tags,
                nat_gateway_id=nat_ids[-1],
            )
            private.append(
                self._create_subnet(
                    f"{name}-private-{i}", str(subnets[8 + i]), az, private_tags, private_rt
                ).id
            )
        if args.flow_log_retention_days is not None:
            self._create_flow_logs(name, args, args.flow_log_retention_days)
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

    def _create_vpc(self, name: str, args: NetworkArgs) -> aws.ec2.Vpc:
        return aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            # awsvpc tasks (and moto's run_task) need DNS hostnames for ECR and service endpoints.
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tagging.named(args.tags, f"{name}-vpc"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_route_table(
        self, rt_name: str, route_name: str, tags: dict[str, str], **target: pulumi.Input[str]
    ) -> aws.ec2.RouteTable:
        """A route table whose default route (0.0.0.0/0) goes to `target` (gateway or NAT)."""
        child = pulumi.ResourceOptions(parent=self)
        rt = aws.ec2.RouteTable(rt_name, vpc_id=self.vpc.id, tags=tags, opts=child)
        aws.ec2.Route(
            route_name,
            route_table_id=rt.id,
            destination_cidr_block="0.0.0.0/0",
            opts=child,
            **target,
        )
        return rt

    def _create_subnet(
        self,
        subnet_name: str,
        cidr: str,
        az: str,
        tags: dict[str, str],
        rt: aws.ec2.RouteTable,
        map_public_ip_on_launch: bool | None = None,
    ) -> aws.ec2.Subnet:
        """A subnet in `az` associated with route table `rt` (the association shares its name)."""
        child = pulumi.ResourceOptions(parent=self)
        subnet = aws.ec2.Subnet(
            subnet_name,
            vpc_id=self.vpc.id,
            cidr_block=cidr,
            availability_zone=az,
            map_public_ip_on_launch=map_public_ip_on_launch,
            tags=tags,
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            subnet_name, subnet_id=subnet.id, route_table_id=rt.id, opts=child
        )
        return subnet

    def _create_nat(
        self,
        name: str,
        t: dict[str, str],
        i: int,
        az: str,
        pub: aws.ec2.Subnet,
        igw: aws.ec2.InternetGateway,
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """A NAT gateway in public subnet `pub`; returns its id and public IP."""
        eip = aws.ec2.Eip(
            f"{name}-nat-{i}",
            domain="vpc",
            tags=tagging.named(t, f"{name}-nat-{az}"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        nat = aws.ec2.NatGateway(
            f"{name}-nat-{i}",
            allocation_id=eip.id,
            subnet_id=pub.id,
            tags=tagging.named(t, f"{name}-nat-{az}"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
        )
        return nat.id, eip.public_ip

    def _create_flow_logs(self, name: str, args: NetworkArgs, retention_days: int) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group = log_group(
            f"{name}-flow-logs",
            f"/{PROJECT}/{args.stack}/vpc-flow-logs",
            retention_days,
            args.tags,
            child,
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
