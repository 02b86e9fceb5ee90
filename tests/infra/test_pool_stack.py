"""Stack `pool` under the recording mocks: slots are paused clones of staging, tagged for the
reaper, and the pool satisfies every safety policy."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from policy import rules
from preview.pool import DynamoClaims
from preview.synth.harness import DEFAULT_STAGING_OUTPUTS, Synth, synthesize
from tests.infra.conftest import stack_file

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
SG = "aws:ec2/securityGroup:SecurityGroup"
SLOTS = ["s0001", "s0002", "s0007"]


def pool_config(**over: Any) -> dict[str, Any]:
    cfg = stack_file("Pulumi.pool.yaml")
    cfg["preview-platform:slots"] = SLOTS
    cfg.update({f"preview-platform:{k}": v for k, v in over.items()})
    return cfg


@pytest.fixture(scope="module")
def pool_synth() -> Synth:
    return synthesize("pool", pool_config())


def test_every_slot_is_a_paused_copy_on_write_clone_of_staging(pool_synth: Synth) -> None:
    clusters = pool_synth.of_type(CLUSTER)
    assert sorted(c.inputs["clusterIdentifier"] for c in clusters) == [
        f"pp-pool-{s}" for s in SLOTS
    ]
    for c in clusters:
        restore = c.inputs["restoreToPointInTime"]
        assert restore["restoreType"] == "copy-on-write"
        assert restore["sourceClusterIdentifier"] == DEFAULT_STAGING_OUTPUTS["dbClusterIdentifier"]
        scaling = c.inputs["serverlessv2ScalingConfiguration"]
        assert scaling["minCapacity"] == 0 and scaling["secondsUntilAutoPause"] == 300
        assert c.inputs["skipFinalSnapshot"] and not c.inputs.get("deletionProtection")
    instances = pool_synth.of_type(INSTANCE)
    assert len(instances) == len(SLOTS)
    assert all(i.inputs["instanceClass"] == "db.serverless" for i in instances)


def test_a_slot_admits_mysql_only_from_its_own_clients_group(pool_synth: Synth) -> None:
    """The preview holding slot s0002 attaches `pool-s0002-clients` to its tasks; no other
    slot's database lets that group in."""
    for slot in SLOTS:
        sg = pool_synth.get(SG, f"pool-{slot}-sg").inputs
        (rule,) = sg["ingress"]
        assert rule["fromPort"] == rule["toPort"] == 3306
        assert rule["securityGroups"] == [f"pool-{slot}-clients-id"]


def test_outputs_give_the_cli_each_slots_endpoint_secret_and_indices(pool_synth: Synth) -> None:
    slots = pool_synth.outputs["slots"]
    assert sorted(slots) == SLOTS
    s = slots["s0007"]
    assert s["clusterIdentifier"] == "pp-pool-s0007" and s["indexPrefix"] == "pool-s0007-"
    # The slot clone's own managed secret: staging's rotates away from the clone's password.
    assert s["secretArn"] != DEFAULT_STAGING_OUTPUTS["dbMasterSecretArn"]
    assert s["secretArn"].startswith("arn:aws:secretsmanager:") and "pool-s0007" in s["secretArn"]
    assert s["securityGroupId"] == "pool-s0007-clients-id"
    assert pool_synth.outputs["claimsTable"] == "pp-pool-claims"


def test_the_claims_table_has_the_schema_the_cli_writes(pool_synth: Synth) -> None:
    """preview/pool/store.py keys items by string attribute `slot`; the stack's table must agree."""
    table = pool_synth.get("aws:dynamodb/table:Table", "pool-claims").inputs
    schema = DynamoClaims.key_schema()
    assert table["hashKey"] == schema["KeySchema"][0]["AttributeName"] == "slot"
    assert table["attributes"] == [{"name": "slot", "type": "S"}]
    assert table["billingMode"] == schema["BillingMode"]


def test_the_pool_satisfies_every_safety_policy(pool_synth: Synth) -> None:
    results = rules.evaluate(pool_synth.resources, "pool")
    failed = [(r.policy, r.resource, r.message) for r in results if not r.passed]
    assert failed == []
    tagged = [r for r in results if r.policy == "pool-slot-tags"]
    assert len(tagged) >= 3 * len(SLOTS)  # the policy really looked at the slots


def test_slot_resources_name_their_slot_and_never_a_pr(pool_synth: Synth) -> None:
    """The reaper deletes what carries preview:pr and no stack owns; slots must never look so."""
    for type_ in (CLUSTER, INSTANCE):
        for r in pool_synth.of_type(type_):
            tags = r.inputs["tags"]
            assert tags["preview:pool-slot"] in SLOTS and "preview:pr" not in tags


def test_the_pool_never_clones_prod() -> None:
    outputs = DEFAULT_STAGING_OUTPUTS | {"environment": "prod", "dbClusterIdentifier": "pp-prod-db"}
    with pytest.raises(ValueError, match="may only clone staging"):
        synthesize("pool", pool_config(), staging_outputs=outputs)
    with pytest.raises(ConfigError, match="stagingStack"):
        synthesize("pool", pool_config(stagingStack="organization/preview-platform/prod"))


def test_the_clone_source_policy_covers_pool_slots() -> None:
    """Should a slot ever name prod as its source, the policy pack refuses it."""
    urn = "urn:pulumi:pool::preview-platform::platform:pool:WarmPool$aws:rds/cluster:Cluster::x"
    props = {"restoreToPointInTime": {"sourceClusterIdentifier": "pp-prod-db"}}
    args = rules.validation_args(CLUSTER, "x", urn, props)
    (policy,) = [p for p in rules.POLICIES if p.name == "preview-clone-source-not-prod"]
    assert rules.run(policy, args) == [
        "preview clones must never use prod as source (source is 'pp-prod-db')"
    ]


def test_pool_size_must_fit_the_db_cluster_quota_with_the_preview_cap() -> None:
    with pytest.raises(ConfigError, match=r"preview-platform:size: .* exceeds dbClusterQuota 40"):
        synthesize("pool", pool_config(size="18"))  # 18 + 1 + 20 + 2 = 41
    synthesize("pool", pool_config(size="17"))  # 40 fits
