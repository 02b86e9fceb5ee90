"""A pr-<N> stack on the warm path (config `warmSlot`, set by `preview up` after a claim): it
uses the slot's database and owns no clone, under the mocks harness and the safety policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts.errors import ConfigError
from policy import rules
from preview.synth.harness import DEFAULT_STAGING_OUTPUTS, Synth, synthesize
from tests.infra.conftest import preview_config

SLOT = {
    "slot": "s0042",
    "clusterIdentifier": "pp-pool-s0042",
    "endpoint": "pp-pool-s0042.cluster-abc.us-east-1.rds.amazonaws.com",
    "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pp-pool-s0042-XyZ",
    "indexPrefix": "pool-s0042-",
    "securityGroupId": "sg-0pools0042clients",
    "seeded": True,
}


@pytest.fixture(scope="module")
def warm() -> Synth:
    return synthesize("pr-12", preview_config(warmSlot=SLOT))


def _container(synth: Synth, name: str) -> dict[str, Any]:
    task = synth.get("aws:ecs/taskDefinition:TaskDefinition", name).inputs
    (container,) = json.loads(task["containerDefinitions"])
    return dict(container)


def test_the_warm_preview_owns_no_clone(warm: Synth) -> None:
    assert warm.of_type("aws:rds/cluster:Cluster") == []
    assert warm.of_type("aws:rds/clusterInstance:ClusterInstance") == []
    assert warm.outputs["dbEndpoint"] == SLOT["endpoint"]
    assert warm.outputs["warmSlot"] == "s0042"


def test_app_and_seed_task_use_the_slot_endpoint_and_secret(warm: Synth) -> None:
    web = _container(warm, "app-web-task")
    env = {e["name"]: e["value"] for e in web["environment"]}
    assert env["DB_HOST"] == SLOT["endpoint"]
    assert {s["valueFrom"] for s in web["secrets"]} <= {
        f"{SLOT['secretArn']}:username::",
        f"{SLOT['secretArn']}:password::",
    }
    tools = _container(warm, "smoke-tools")
    assert {
        s["valueFrom"].split(":username")[0].split(":password")[0] for s in tools["secrets"]
    } == {SLOT["secretArn"]}


def test_the_warm_preview_uses_the_slots_pre_seeded_indices(warm: Synth) -> None:
    """The pool seeded `pool-<slot>-*` from the same clone: app, sync and cleanup use them, the
    task role reaches only them, and the first smoke run may skip SeedSearch."""
    web = _container(warm, "app-web-task")
    assert {e["name"]: e["value"] for e in web["environment"]}["SEARCH_INDEX_PREFIX"] == (
        "pool-s0042-"
    )
    tools = _container(warm, "smoke-tools")
    tools_env = {e["name"]: e["value"] for e in tools["environment"]}
    assert tools_env["PREVIEW_SYNC_INDEX_PREFIX"] == "pool-s0042-"
    (policy,) = [
        json.loads(p.inputs["policy"])
        for p in warm.of_type("aws:iam/rolePolicy:RolePolicy")
        if "es:ESHttpGet" in p.inputs["policy"]
    ]
    paths = {r.split("/", 2)[2] for r in policy["Statement"][0]["Resource"]}
    assert paths == {"pool-s0042-*", "pool-s0042-*/*"}
    assert warm.outputs["indexPrefix"] == "pool-s0042-"
    assert warm.outputs["searchPreSeeded"] is True


@pytest.mark.parametrize(
    "extra",
    [
        {"toolsImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/t:pr"},
        {"search": "dedicated"},
        # A slot made before slots had seeders: nothing in its indices.
        {"warmSlot": {**SLOT, "seeded": False}},
    ],
)
def test_a_warm_preview_that_cannot_use_the_slots_indices_seeds_its_own(extra: Any) -> None:
    """Its own tools image (maybe another search spec), its own domain, or a slot never
    seeded: its own `pr-<N>-` indices, seeded on the first run as on the cold path."""
    synth = synthesize("pr-12", preview_config(**{"warmSlot": SLOT, **extra}))
    assert synth.outputs["indexPrefix"] == "pr-12-"
    assert synth.outputs["searchPreSeeded"] is False


def test_tasks_join_the_slots_clients_group(warm: Synth) -> None:
    """The slot's clone admits MySQL only from its clients group (components/pool.py)."""
    for svc in warm.of_type("aws:ecs/service:Service"):
        groups = svc.inputs["networkConfiguration"]["securityGroups"]
        assert SLOT["securityGroupId"] in groups


def test_the_warm_preview_satisfies_every_safety_policy(warm: Synth) -> None:
    failed = [
        (r.policy, r.resource, r.message)
        for r in rules.evaluate(warm.resources, "pr-12")
        if not r.passed
    ]
    assert failed == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"clusterIdentifier": "pp-prod-db"}, "warmSlot.clusterIdentifier"),
        (
            {"clusterIdentifier": DEFAULT_STAGING_OUTPUTS["dbClusterIdentifier"]},
            "clusterIdentifier",
        ),
        ({"clusterIdentifier": "pp-pool-s0001"}, "warmSlot"),
        ({"secretArn": "hunter2"}, "warmSlot.secretArn"),
    ],
)
def test_a_warm_slot_is_only_ever_a_pool_slot(change: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        synthesize("pr-12", preview_config(warmSlot=SLOT | change))
