"""WarmPool: the warm database pool that stack `pool` owns.

Creates: one aws.dynamodb.Table (the claims store of preview/pool.py: one item per slot, key
`slot`, on-demand), and per slot id:
* one DatabaseClone of staging (copy-on-write clone with one `db.serverless` instance at 0 ACU
  that auto-pauses; components/dbclone.py, which refuses any source but staging);
* one aws.ec2.SecurityGroup `<name>-<slot>-clients`: the clone admits MySQL only from that
  group, and the preview that claims the slot attaches it to its tasks, so no stack ever edits
  another stack's security group (the seeder runs in it too, with an ingress rule of the pool's
  own on staging's search group, as each preview has);
* a seeder (components/smokegate.py without the app: tools task, state machine, logs) whose
  task role reaches only the slot's indices `pool-<slot>-*`. `preview pool refill` runs it
  before the slot turns free, so a claiming preview finds its search already seeded; it runs
  again with the cleanup input before the slot is destroyed.

Slot ids are never reused (`preview pool refill` allocates s0001, s0002, ...), so replacing a
slot is "add the new id, later drop the old one": Pulumi creates the fresh clone before it
deletes the retired one, and a slot's physical names never collide with its successor's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import iam, naming
from components import tags as tagging
from components.dbclone import DatabaseClone, DatabaseCloneArgs
from components.search import index_access_policy
from components.security import ANY_EGRESS, https_from
from components.smokegate import SmokeGate, SmokeGateArgs

_SLOT = re.compile(r"s[0-9]{4,6}")


def slot_identifier(slot: str) -> str:
    """Physical cluster identifier of a slot: `pp-pool-<slot>`."""
    return naming.rds_identifier(naming.SHORT_PROJECT, naming.POOL, slot)


def slot_index_prefix(slot: str) -> str:
    """OpenSearch index prefix of a slot's pre-seeded indices: `pool-<slot>-`."""
    return f"{naming.POOL}-{slot}-"


@dataclass(frozen=True)
class SlotSeeding:
    """Where a slot's seeder runs and what it writes: staging's cluster, subnets, tools image
    and search domain."""

    cluster_arn: pulumi.Input[str]
    subnet_ids: list[pulumi.Input[str]]
    tools_image: pulumi.Input[str]
    search_domain_arn: pulumi.Input[str]
    search_url: pulumi.Input[str]
    search_security_group_id: pulumi.Input[str]
    db_name: pulumi.Input[str]
    region: str
    permissions_boundary: pulumi.Input[str]
    log_retention_days: int = 7

    def __post_init__(self) -> None:
        if not self.subnet_ids:
            raise ValueError("SlotSeeding.subnet_ids: the seeders need staging's private subnets")


@dataclass(frozen=True)
class WarmPoolArgs:
    slots: list[str]
    table_name: str
    source_cluster_identifier: pulumi.Input[str]
    source_environment: pulumi.Input[str]
    engine_version: pulumi.Input[str]
    subnet_group_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    seeding: SlotSeeding
    auto_pause_seconds: int = 300
    tags: dict[str, str] = field(default_factory=tagging.pool_tags)

    def __post_init__(self) -> None:
        bad = [s for s in self.slots if not _SLOT.fullmatch(s)]
        if bad:
            raise ValueError(f"WarmPoolArgs.slots: ids look like s0001, got {bad}")
        if len(set(self.slots)) != len(self.slots):
            raise ValueError("WarmPoolArgs.slots: ids must be unique")
        if not 300 <= self.auto_pause_seconds <= 86_400:
            raise ValueError("WarmPoolArgs.auto_pause_seconds: Aurora accepts 300..86400")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", self.table_name):
            raise ValueError("WarmPoolArgs.table_name: DynamoDB accepts 3-255 of [A-Za-z0-9_.-]")


class WarmPool(pulumi.ComponentResource):
    table_name: pulumi.Output[str]
    slots: pulumi.Output[dict[str, dict[str, str]]]

    def __init__(
        self, name: str, args: WarmPoolArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:pool:WarmPool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        table = aws.dynamodb.Table(
            f"{name}-claims",
            name=args.table_name,
            hash_key="slot",
            attributes=[{"name": "slot", "type": "S"}],
            billing_mode="PAY_PER_REQUEST",
            tags=args.tags,
            opts=child,
        )
        slots: dict[str, pulumi.Output[dict[str, str]]] = {}
        for slot in args.slots:
            slots[slot] = self._slot(name, slot, args, child)
        self.table_name = table.name
        self.slots = pulumi.Output.all(**slots) if slots else pulumi.Output.from_input({})
        self.register_outputs({"table_name": self.table_name, "slots": self.slots})

    @staticmethod
    def _seeder(
        name: str,
        slot: str,
        args: WarmPoolArgs,
        clients: aws.ec2.SecurityGroup,
        clone: DatabaseClone,
        child: pulumi.ResourceOptions,
    ) -> SmokeGate:
        """The slot's seeder: `preview sync` into `pool-<slot>-*`, as a role that reaches no
        other index."""
        seeding, tags = args.seeding, tagging.pool_tags(slot)
        prefix = slot_index_prefix(slot)
        https_from(
            f"{name}-{slot}-to-search",
            seeding.search_security_group_id,
            clients.id,
            tags,
            child,
            f"seeder of pool slot {slot} to search",
        )
        role = iam.service_role(
            f"{name}-{slot}-seed-task",
            iam.ECS_TASKS,
            boundary=seeding.permissions_boundary,
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-{slot}-seed-indices",
            role=role.id,
            policy=index_access_policy(seeding.search_domain_arn, prefix),
            opts=child,
        )
        return SmokeGate(
            f"{name}-{slot}-seed",
            SmokeGateArgs(
                stack=naming.POOL,
                label=slot,
                cluster_arn=seeding.cluster_arn,
                tools_image=seeding.tools_image,
                subnet_ids=seeding.subnet_ids,
                security_group_ids=[clients.id],
                task_role_arn=role.arn,
                region=seeding.region,
                tags=tags,
                log_retention_days=seeding.log_retention_days,
                sync_environment={
                    "PREVIEW_SYNC_INDEX_PREFIX": prefix,
                    "PREVIEW_SYNC_OPENSEARCH_URL": seeding.search_url,
                    "PREVIEW_SYNC_AWS_REGION": seeding.region,
                    "PREVIEW_SYNC_DB_HOST": clone.endpoint,
                    "PREVIEW_SYNC_DB_NAME": seeding.db_name,
                },
                db_secret_arn=clone.master_secret_arn,
                permissions_boundary=seeding.permissions_boundary,
            ),
            opts=child,
        )

    def _slot(
        self,
        name: str,
        slot: str,
        args: WarmPoolArgs,
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[dict[str, str]]:
        tags = tagging.pool_tags(slot)
        clients = aws.ec2.SecurityGroup(
            f"{name}-{slot}-clients",
            vpc_id=args.vpc_id,
            # Unchanged since slots first had it: EC2 replaces a group whose description changes.
            description=f"tasks of the preview holding pool slot {slot}",
            egress=ANY_EGRESS,  # the seeder's image, secret and logs
            tags=tagging.named(tags, f"{name}-{slot}-clients"),
            opts=child,
        )
        clone = DatabaseClone(
            f"{name}-{slot}",
            DatabaseCloneArgs(
                stack=naming.POOL,
                source_cluster_identifier=args.source_cluster_identifier,
                source_environment=args.source_environment,
                engine_version=args.engine_version,
                subnet_group_name=args.subnet_group_name,
                vpc_id=args.vpc_id,
                app_security_group_id=clients.id,
                tags=tags,
                auto_pause_seconds=args.auto_pause_seconds,
                identifier=slot_identifier(slot),
            ),
            opts=child,
        )
        seeder = self._seeder(name, slot, args, clients, clone, child)
        return pulumi.Output.all(
            clone.cluster_identifier,
            clone.endpoint,
            clone.master_secret_arn,
            clients.id,
            seeder.state_machine_arn,
            seeder.log_group_name,
        ).apply(
            lambda v: {
                "clusterIdentifier": v[0],
                "endpoint": v[1],
                "secretArn": v[2],
                "indexPrefix": slot_index_prefix(slot),
                "securityGroupId": v[3],
                "seedMachineArn": v[4],
                "seedLogGroupName": v[5],
            }
        )
