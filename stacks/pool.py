"""Stack `pool`: the warm database pool (components/pool.py) built on staging's outputs.

Its own stack rather than part of staging: `preview pool refill|refresh` changes it several
times a day from the reaper's schedule, under the reaper's role, and each change takes the
stack's lock. Inside staging every refill would contend with staging deploys for one lock,
need the staging role, and put staging's database and ALB in the diff of a routine slot swap.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import config as cfgmod
from components.bootstrap import BOUNDARY_NAME
from components.pool import SlotSeeding, WarmPool, WarmPoolArgs
from contracts.outputs import StagingOut as S
from stacks import runtime


def build(cfg: cfgmod.PoolConfig, stack: str) -> None:
    staging = pulumi.StackReference("staging", stack_name=cfg.staging_stack)

    def out(key: str) -> pulumi.Output[Any]:
        return staging.require_output(key)

    pool = WarmPool(
        "pool",
        WarmPoolArgs(
            slots=list(cfg.slots),
            table_name=cfg.claims_table,
            source_cluster_identifier=out(S.DB_CLUSTER_IDENTIFIER),
            source_environment=out(S.ENVIRONMENT),
            engine_version=out(S.DB_ENGINE_VERSION),
            subnet_group_name=out(S.DB_SUBNET_GROUP_NAME),
            vpc_id=out(S.VPC_ID),
            seeding=SlotSeeding(
                cluster_arn=out(S.CLUSTER_ARN),
                subnet_ids=runtime.two_subnets(out(S.PRIVATE_SUBNET_IDS)),
                tools_image=out(S.TOOLS_IMAGE),
                search_domain_arn=out(S.SEARCH_DOMAIN_ARN),
                search_url=pulumi.Output.concat("https://", out(S.SEARCH_DOMAIN_ENDPOINT)),
                search_security_group_id=out(S.SEARCH_SECURITY_GROUP_ID),
                db_name=out(S.DB_NAME),
                region=runtime.region(),
                # The reaper may create roles only under the preview boundary (stack bootstrap).
                permissions_boundary=f"arn:aws:iam::{runtime.aws_account()}:policy/{BOUNDARY_NAME}",
            ),
            auto_pause_seconds=cfg.db_auto_pause_seconds,
        ),
    )
    pulumi.export("environment", "pool")
    pulumi.export("claimsTable", pool.table_name)
    # slot id -> {clusterIdentifier, endpoint, secretArn, indexPrefix, securityGroupId,
    #             seedMachineArn, seedLogGroupName}
    pulumi.export("slots", pool.slots)
