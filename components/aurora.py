"""What `Database` and `DatabaseClone` share (plain helpers, no component of their own).

* `ENGINE`: Aurora MySQL (pulumi-aws declares `engine` as the typed enum EngineType);
* `serverless_instance(...)`: a private `db.serverless` instance of a cluster;
* `master_secret_arn(cluster)`: the ARN of the RDS-managed master user secret.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

ENGINE = aws.rds.EngineType.AURORA_MYSQL


def serverless_instance(
    resource_name: str,
    *,
    identifier: str,
    cluster: aws.rds.Cluster,
    engine_version: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    **extra: Any,
) -> aws.rds.ClusterInstance:
    return aws.rds.ClusterInstance(
        resource_name,
        identifier=identifier,
        cluster_identifier=cluster.id,
        instance_class="db.serverless",
        engine=ENGINE,
        engine_version=engine_version,
        publicly_accessible=False,
        tags=tags,
        opts=opts,
        **extra,
    )


def master_secret_arn(cluster: aws.rds.Cluster) -> pulumi.Output[str]:
    """Empty until RDS has created the secret (`manage_master_user_password=True`)."""
    return cluster.master_user_secrets.apply(lambda s: (s[0].secret_arn or "") if s else "")
