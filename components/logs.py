"""Log groups the components own (plain helper, no component of its own).

Every group is created by the program with the stack's retention and tags: a group AWS creates
on first write (ECS, Lambda, RDS, VPC flow logs) never expires and carries no tags.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def log_group(
    resource_name: str,
    log_name: str,
    retention_days: int,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    return aws.cloudwatch.LogGroup(
        resource_name, name=log_name, retention_in_days=retention_days, tags=tags, opts=opts
    )
