"""Cluster: the ECS cluster every service and smoke task of an environment runs in.

Creates: aws.ecs.Cluster (Container Insights on) and aws.ecs.ClusterCapacityProviders with
FARGATE and FARGATE_SPOT, so services choose Spot or on-demand per capacity strategy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming


@dataclass(frozen=True)
class ClusterArgs:
    stack: str
    tags: dict[str, str]


class Cluster(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = aws.ecs.Cluster(
            f"{name}-ecs",
            name=naming.resource_prefix(args.stack),
            settings=[{"name": "containerInsights", "value": "enabled"}],
            tags=args.tags,
            opts=child,
        )
        aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1}],
            opts=child,
        )
        self.arn = cluster.arn
        self.name = cluster.name
        self.register_outputs({"arn": self.arn, "name": self.name})
