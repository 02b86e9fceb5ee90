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
from components.pool import WarmPool, WarmPoolArgs
from contracts.outputs import StagingOut as S


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
            auto_pause_seconds=cfg.db_auto_pause_seconds,
        ),
    )
    pulumi.export("environment", "pool")
    pulumi.export("claimsTable", pool.table_name)
    # slot id -> {clusterIdentifier, endpoint, secretArn, indexPrefix, securityGroupId}
    pulumi.export("slots", pool.slots)
