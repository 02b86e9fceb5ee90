"""Database: the Aurora MySQL Serverless v2 cluster of a long-lived environment.

Creates: aws.rds.SubnetGroup (private subnets), aws.ec2.SecurityGroup (3306 only from the app
tasks), aws.rds.Cluster (encrypted, master password managed in Secrets Manager, never public)
and aws.rds.ClusterInstance `db.serverless`: one writer plus `readers` readers. For each exported
log type an aws.cloudwatch.LogGroup `/aws/rds/cluster/<id>/<log>` with the stack's retention,
created before the cluster: RDS would otherwise create it itself, set to never expire.
On prod, deletion protection is on and a final snapshot is taken; staging can be torn down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import aurora, naming
from components.logs import log_group
from components.security import mysql_security_group

# Aurora MySQL logs published to CloudWatch Logs.
LOG_EXPORTS = ("error", "slowquery")


@dataclass(frozen=True)
class DatabaseArgs:
    stack: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    app_security_group_id: pulumi.Input[str]
    engine_version: str
    database_name: str
    min_capacity: float
    max_capacity: float
    readers: int
    protect: bool
    tags: dict[str, str]
    # Retention of the exported Aurora logs; a value CloudWatch Logs accepts (config checks it).
    log_retention_days: int = 30

    def __post_init__(self) -> None:
        if self.min_capacity > self.max_capacity:
            raise ValueError("DatabaseArgs.min_capacity must not exceed max_capacity")
        if len(self.subnet_ids) < 2:
            raise ValueError("DatabaseArgs.subnet_ids: Aurora needs subnets in >= 2 AZs")


class Database(pulumi.ComponentResource):
    cluster_identifier: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    subnet_group_name: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ident = naming.rds_identifier(naming.resource_prefix(args.stack), "db")
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets", name=ident, subnet_ids=args.subnet_ids, tags=args.tags, opts=child
        )
        sg = mysql_security_group(
            name,
            args.vpc_id,
            args.app_security_group_id,
            "Aurora: MySQL only from the app tasks",
            args.tags,
            child,
        )
        # RDS publishes to /aws/rds/cluster/<id>/<log> and, if that group does not exist yet,
        # creates it with "Never expire". Owning the groups (created first) sets the retention.
        log_groups = [
            log_group(
                f"{name}-{log}-logs",
                f"/aws/rds/cluster/{ident}/{log}",
                args.log_retention_days,
                args.tags,
                child,
            )
            for log in LOG_EXPORTS
        ]
        cluster = self._create_cluster(name, ident, args, subnets, sg, log_groups)
        for i in range(1 + args.readers):
            role = "writer" if i == 0 else f"reader-{i}"
            aurora.serverless_instance(
                f"{name}-{role}",
                identifier=naming.rds_identifier(ident, role),
                cluster=cluster,
                engine_version=args.engine_version,
                tags=args.tags,
                opts=child,
                # Lower tier number = preferred failover target; readers stay behind the writer.
                promotion_tier=0 if i == 0 else 1,
            )
        self.cluster_identifier = cluster.cluster_identifier
        self.cluster_arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.subnet_group_name = subnets.name
        self.security_group_id = sg.id
        self.master_secret_arn = aurora.master_secret_arn(cluster)
        self.register_outputs(
            {
                "cluster_identifier": self.cluster_identifier,
                "endpoint": self.endpoint,
                "reader_endpoint": self.reader_endpoint,
            }
        )

    def _create_cluster(
        self,
        name: str,
        ident: str,
        args: DatabaseArgs,
        subnets: aws.rds.SubnetGroup,
        sg: aws.ec2.SecurityGroup,
        log_groups: list[aws.cloudwatch.LogGroup],
    ) -> aws.rds.Cluster:
        return aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=ident,
            engine=aurora.ENGINE,
            engine_mode="provisioned",
            engine_version=args.engine_version,
            database_name=args.database_name,
            master_username="app_admin",
            # The password lives only in Secrets Manager, never in state or config.
            manage_master_user_password=True,
            storage_encrypted=True,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            serverlessv2_scaling_configuration={
                "min_capacity": args.min_capacity,
                "max_capacity": args.max_capacity,
            },
            backup_retention_period=14 if args.protect else 3,
            deletion_protection=args.protect,
            skip_final_snapshot=not args.protect,
            final_snapshot_identifier=f"{ident}-final" if args.protect else None,
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=log_groups),
        )
