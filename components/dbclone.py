"""DatabaseClone: a preview's Aurora copy-on-write clone of staging's cluster.

Creates: aws.ec2.SecurityGroup (3306 only from this PR's tasks), aws.rds.Cluster restored with
`restore_type=copy-on-write` at the latest restorable time (pays only for changed pages), and
one `db.serverless` aws.rds.ClusterInstance (a clone starts with none) that scales to 0 ACU and
auto-pauses. No deletion protection and no final snapshot, so `down` always completes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming
from components.security import mysql_security_group

# Typed enum: pulumi-aws declares `engine` as EngineType.
ENGINE = aws.rds.EngineType.AURORA_MYSQL


@dataclass(frozen=True)
class DatabaseCloneArgs:
    stack: str
    source_cluster_identifier: pulumi.Input[str]
    source_environment: pulumi.Input[str]
    engine_version: pulumi.Input[str]
    subnet_group_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    app_security_group_id: pulumi.Input[str]
    tags: dict[str, str]
    auto_pause_seconds: int = 600
    max_capacity: float = 2

    def __post_init__(self) -> None:
        if not 300 <= self.auto_pause_seconds <= 86_400:
            raise ValueError("DatabaseCloneArgs.auto_pause_seconds: Aurora accepts 300..86400")


def _refuse_prod(env: str) -> str:
    if env != "staging":
        # Raised while the program runs, before the clone is created.
        raise ValueError(
            f"DatabaseCloneArgs.source_environment: clone source is {env!r}; previews may only "
            "clone staging (fix: point stagingStack at the staging stack)"
        )
    return env


class DatabaseClone(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseCloneArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:dbclone:DatabaseClone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ident = naming.rds_identifier(naming.resource_prefix(args.stack), "db")
        sg = mysql_security_group(
            name,
            args.vpc_id,
            args.app_security_group_id,
            "preview DB: MySQL only from this preview's tasks",
            args.tags,
            child,
        )
        source = pulumi.Output.all(
            pulumi.Output.from_input(args.source_environment).apply(_refuse_prod),
            args.source_cluster_identifier,
        ).apply(lambda v: v[1])
        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=ident,
            engine=ENGINE,
            engine_mode="provisioned",
            engine_version=args.engine_version,
            restore_to_point_in_time={
                "source_cluster_identifier": source,
                "restore_type": "copy-on-write",
                "use_latest_restorable_time": True,
            },
            db_subnet_group_name=args.subnet_group_name,
            vpc_security_group_ids=[sg.id],
            serverlessv2_scaling_configuration={
                "min_capacity": 0,
                "max_capacity": args.max_capacity,
                "seconds_until_auto_pause": args.auto_pause_seconds,
            },
            storage_encrypted=True,
            deletion_protection=False,
            skip_final_snapshot=True,
            tags=args.tags,
            opts=child,
        )
        instance = aws.rds.ClusterInstance(
            f"{name}-instance",
            identifier=naming.rds_identifier(ident, "1"),
            cluster_identifier=cluster.id,
            instance_class="db.serverless",
            engine=ENGINE,
            engine_version=args.engine_version,
            publicly_accessible=False,
            tags=args.tags,
            opts=child,
        )
        self.cluster_identifier = cluster.cluster_identifier
        # The endpoint is usable only once the instance exists.
        self.endpoint = pulumi.Output.all(cluster.endpoint, instance.id).apply(lambda v: v[0])
        self.security_group_id = sg.id
        self.register_outputs({"endpoint": self.endpoint, "cluster_identifier": ident})
