"""The warm pool's scenario of the authz recording (tests/authz/conftest.py): `preview pool
refill` as the reaper, a claim and release as the preview role, and slot s0001's seeder run by
moto's ASL interpreter as its own role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from tests.authz.conftest import PREVIEW, REAPER, REGION, _moto, _smoke_machine, sfn_runner
from tests.authz.recorder import Recorder

if TYPE_CHECKING:
    from tests.smoke.moto_gate import GateWorld


def pool_scenario(rec: Recorder) -> None:
    """`preview pool refill` makes slot s0001 and runs its seeder before it turns free; a PR
    claims it (`up`) and releases it (`down`); the next refill runs the seeder's cleanup and
    destroys the slot. The seeder is the synthesized pool stack's (names, tags, roles), run by
    moto's ASL interpreter; the table is the one Pulumi.pool.yaml names."""
    from dataclasses import replace

    from preview import aws, pool
    from tests.authz.principals import POOL_SEEDER
    from tests.cli.conftest import REPO_ROOT
    from tests.smoke.moto_gate import tools_and_health
    from tests.smoke.moto_shims import container_exit_codes, ecs_sync_casing, immediate_ecs_tasks

    world, name, table = _pool_seeder_world()
    with (
        immediate_ecs_tasks(),
        _moto(),
        ecs_sync_casing(),
        container_exit_codes(lambda cmd, env, arn: 0),
    ):
        boto3.client("dynamodb", REGION).create_table(
            TableName=table, **pool.DynamoClaims.key_schema()
        )
        gate, role = tools_and_health("https://unused", "https://unused/h", "0" * 40, world)
        seeder = replace(
            gate, health_function_arn=None, base_url=None, health_url=None, expected_sha=None
        )
        machine = _smoke_machine(name, seeder, role, world.tags)
        store = pool.DynamoClaims(aws.client("dynamodb", REGION), table)
        stack = pool.PoolStack(
            _OneSlotStack(machine, world.log_group),
            REPO_ROOT / "Pulumi.pool.yaml",
            "pool",
            lambda line: None,
            sfn_runner(),
        )
        _pool_rounds(rec, store, stack, POOL_SEEDER)


def _pool_rounds(rec: Recorder, store: Any, stack: Any, seeder: str) -> None:
    from preview import pool

    with rec.acting(REAPER, machine=seeder):
        made = pool.refill(store, stack, pool.PoolPolicy(size=1, max_age_s=86_400), 1_900_000_000)
    assert made.created == ["s0001"], made
    with rec.acting(PREVIEW):
        assert pool.claim(store, 12, "run-1", 600, 1_900_000_100) is not None
        assert pool.release(store, 12) == ["s0001"]
    with rec.acting(REAPER, machine=seeder):
        gone = pool.refill(store, stack, pool.PoolPolicy(size=0, max_age_s=86_400), 1_900_000_200)
    assert gone.destroyed == ["s0001"], gone


class _OneSlotStack:
    """`pulumi up` of stack pool as far as refill sees it: slot s0001's outputs while it is in
    the config (the seeder is the moto machine)."""

    def __init__(self, machine: str, log_group: str) -> None:
        self.machine, self.log_group = machine, log_group

    def up(self, stack: str, config: dict[str, Any], out: Any) -> dict[str, Any]:
        slot = {
            "clusterIdentifier": "pp-pool-s0001",
            "endpoint": "pp-pool-s0001.cluster-x.us-east-1.rds.amazonaws.com",
            "secretArn": f"arn:aws:secretsmanager:{REGION}:123456789012:secret:pp-pool-s0001-a",
            "indexPrefix": "pool-s0001-",
            "securityGroupId": "sg-0pool",
            "seedMachineArn": self.machine,
            "seedLogGroupName": self.log_group,
        }
        return {"slots": {"s0001": slot} if "s0001" in config["slots"] else {}}


def _pool_seeder_world() -> tuple[GateWorld, str, str]:
    """Slot s0001's seeder as the synthesized pool stack names and tags it, its state
    machine's name, and the claims table's."""
    from preview.synth.harness import DEFAULT_STAGING_OUTPUTS
    from tests.authz.principals import pool_stack
    from tests.smoke.moto_gate import GateWorld

    synth = pool_stack()
    names = {r.name: r.inputs for r in synth.resources if r.custom}
    tools = names["pool-s0001-seed-tools"]
    world = GateWorld(
        cluster=str(DEFAULT_STAGING_OUTPUTS["clusterName"]),
        tools_family=tools["family"],
        health_function="unused",
        log_group=names["pool-s0001-seed-logs"]["name"],
        tags={k: str(v) for k, v in (tools.get("tags") or {}).items()},
        task_role="pool-s0001-seed-task-1a2b3c",
        execution_role="pool-s0001-seed-tools-execution-1a2b3c",
        health_role="pool-s0001-seed-sfn-role-1a2b3c",
        machine_role="pool-s0001-seed-sfn-role-1a2b3c",
    )
    return world, names["pool-s0001-seed-machine"]["name"], names["pool-claims"]["name"]
