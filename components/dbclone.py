"""DatabaseClone: a preview's Aurora copy-on-write clone of staging's cluster.

Creates: aws.ec2.SecurityGroup (3306 only from this PR's tasks), aws.rds.Cluster restored with
`restore_type=copy-on-write` at the latest restorable time (pays only for changed pages), and
one `db.serverless` aws.rds.ClusterInstance (a clone starts with none) that scales to 0 ACU and
auto-pauses. No deletion protection and no final snapshot, so `down` always completes.

The clone gets its own RDS-managed master secret (`master_secret_arn`). A clone keeps the
password staging had at restore time; staging's managed secret rotates (every 7 days by
default), so a preview reading staging's secret would fail to log in after the first rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import aurora, naming
from components.security import mysql_security_group


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
    # Physical cluster identifier; default `pp-<stack>-db`. A pool slot passes its own, since
    # one pool stack holds many clones.
    identifier: str | None = None

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
    master_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseCloneArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:dbclone:DatabaseClone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ident = args.identifier or naming.rds_identifier(naming.resource_prefix(args.stack), "db")
        sg = mysql_security_group(
            name,
            args.vpc_id,
            args.app_security_group_id,
            # EC2 refuses descriptions outside a-zA-Z0-9 spaces ._-:/()#,@[]+=&;{}!$* (no ').
            "preview DB: MySQL only from the tasks of this preview",
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
            engine=aurora.ENGINE,
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
            # Own managed secret: RDS resets the clone's master password into a new secret
            # that it rotates itself and deletes with the cluster (see the module docstring).
            # RestoreDBClusterToPointInTime has no such parameter; the provider applies it
            # with ModifyDBCluster right after the restore (terraform-provider-aws
            # resourceClusterCreate, restore_to_point_in_time branch).
            manage_master_user_password=True,
            deletion_protection=False,
            skip_final_snapshot=True,
            tags=args.tags,
            opts=child,
        )
        instance = aurora.serverless_instance(
            f"{name}-instance",
            identifier=naming.rds_identifier(ident, "1"),
            cluster=cluster,
            engine_version=args.engine_version,
            tags=args.tags,
            opts=child,
        )
        self.cluster_identifier = cluster.cluster_identifier
        # The endpoint is usable only once the instance exists.
        self.endpoint = pulumi.Output.all(cluster.endpoint, instance.id).apply(lambda v: v[0])
        self.security_group_id = sg.id
        self.master_secret_arn = aurora.master_secret_arn(cluster)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "cluster_identifier": ident,
                "master_secret_arn": self.master_secret_arn,
            }
        )
