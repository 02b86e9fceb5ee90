"""`preview pool` end to end: the CLI against moto's DynamoDB server, and the pool stack's real
program (under the harness) as what `refill` deploys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from preview import pool
from preview.pool import DynamoClaims, PoolStack, Slot
from preview.synth.harness import synthesize
from tests.cli.fakes import FakeSmoke
from tests.cli_main import run
from tests.pool.conftest import REGION

REPO = Path(__file__).resolve().parents[2]
NOW = 1_900_000_000


class HarnessAutomation:
    """`up` runs the real program for the stack under the recording mocks and returns its
    outputs, so refill reads the slot endpoints the pool stack really exports."""

    def __init__(self) -> None:
        self.configs: list[dict[str, Any]] = []

    def up(self, stack: str, config: Mapping[str, Any], out: Callable[[str], None]) -> dict:
        self.configs.append(dict(config))
        return dict(synthesize(stack, config).outputs)


@pytest.fixture
def pool_env(
    monkeypatch: pytest.MonkeyPatch, dynamo_endpoint: str, store: DynamoClaims, tmp_path: Path
) -> DynamoClaims:
    # boto3 reads a per-service endpoint from the environment (AWS SDKs' endpoint settings).
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamo_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("PREVIEW_AWS_REGION", REGION)
    monkeypatch.setenv("PREVIEW_POOL_TEMPLATE", str(REPO / "Pulumi.pool.yaml"))
    monkeypatch.setenv("PREVIEW_POOL_TABLE", store.table)
    return store


def test_status_lists_slots_with_their_claims(
    pool_env: DynamoClaims, capsys: pytest.CaptureFixture[str]
) -> None:
    pool_env.create(Slot("s0001", "free", created_at=NOW, cluster_identifier="pp-pool-s0001"))
    pool_env.create(Slot("s0002", "free", created_at=NOW))
    assert pool.claim(pool_env, 31, "run-9", 3600, NOW) is not None
    code, out, err = run(capsys, "pool", "status")
    assert code == 0, err
    assert "CLAIMED BY" in out and "pr-31 (run run-9)" in out
    assert "1 free of size 3; 1 claimed" in out


def test_a_missing_table_is_one_clear_line(
    pool_env: DynamoClaims, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREVIEW_POOL_TABLE", "pp-pool-nowhere")
    code, _, err = run(capsys, "pool", "status")
    assert code == 2
    assert "pool table 'pp-pool-nowhere' does not exist" in err and "fix:" in err
    assert "Traceback" not in err


def test_an_oversized_pool_is_refused_naming_the_key(
    pool_env: DynamoClaims,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    doc = yaml.safe_load((REPO / "Pulumi.pool.yaml").read_text())
    doc["config"]["preview-platform:size"] = "30"
    path = tmp_path / "Pulumi.pool.yaml"
    path.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("PREVIEW_POOL_TEMPLATE", str(path))
    code, _, err = run(capsys, "pool", "status")
    assert code == 2
    assert "preview-platform:size" in err and "dbClusterQuota 40" in err


def _runs(machines: FakeSmoke) -> list[tuple[str, dict[str, Any], str]]:
    """(state machine, input, log group) of each run, in order."""
    runs = zip(machines.runs, machines.log_groups, strict=True)
    return [(arn, payload, logs) for (arn, _, payload), logs in runs]


def test_refill_deploys_the_pool_stack_and_records_its_slots(store: DynamoClaims) -> None:
    """Refill hands the real program the slot ids, runs each new slot's seeder (the program's
    own state machine for that slot), and the claims table gets the endpoints, secrets,
    client groups and seeders the program exports for them."""
    automation = HarnessAutomation()
    machines = FakeSmoke()
    stack = PoolStack(automation, REPO / "Pulumi.pool.yaml", "pool", lambda line: None, machines)
    result = pool.refill(store, stack, pool.PoolPolicy(size=2, max_age_s=86_400), NOW)
    assert not result.error and result.created == ["s0001", "s0002"]
    outputs = synthesize("pool", automation.configs[0]).outputs["slots"]
    assert _runs(machines) == [
        (outputs[s]["seedMachineArn"], {}, outputs[s]["seedLogGroupName"])
        for s in ("s0001", "s0002")
    ]
    assert outputs["s0002"]["seedLogGroupName"] == "/preview-platform/pool/s0002/seed"
    (config,) = automation.configs
    assert config["slots"] == ["s0001", "s0002"] and config["aws:region"] == "us-east-1"
    slots = store.scan()
    assert [s.state for s in slots] == ["free", "free"]
    assert slots[1].cluster_identifier == "pp-pool-s0002"
    assert slots[1].endpoint.startswith("pool-s0002-cluster.")
    assert slots[1].security_group_id == "pool-s0002-clients-id"
    assert slots[1].index_prefix == "pool-s0002-"
    assert slots[1].seed_machine_arn == outputs["s0002"]["seedMachineArn"]
    claimed = pool.claim(store, 5, "r", 600, NOW)
    assert claimed is not None and claimed.warm_config()["endpoint"] == claimed.endpoint
    pool.release(store, 5)
    pool.refill(store, stack, pool.PoolPolicy(size=2, max_age_s=86_400), NOW + 60)
    # The released slot's seeder cleaned its indices (cleanup input) before it was dropped.
    assert _runs(machines)[2] == (
        claimed.seed_machine_arn,
        {"action": "cleanup"},
        claimed.seed_log_group,
    )
    assert claimed.slot not in automation.configs[-1]["slots"]


def test_ls_lists_the_slots_under_the_previews(
    pool_env: DynamoClaims, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from preview import live, wiring

    pool_env.create(Slot("s0004", "free", created_at=NOW))
    pool.claim(pool_env, 8, "run-3", 3600, NOW)
    # No previews are live: the backend side of `ls` is not what this test is about.
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///nonexistent")
    monkeypatch.setattr(wiring, "build_deps", lambda settings, **kw: None)
    monkeypatch.setattr(live, "ls", lambda deps: [])
    code, out, err = run(capsys, "ls")
    assert code == 0, err
    assert "Warm pool" in out and "s0004" in out and "pr-8 (run run-3)" in out


def test_a_seeder_aws_refuses_to_run_fails_only_its_slot(store: DynamoClaims) -> None:
    """A seeder whose state machine cannot be started (deleted, throttled) is that slot's
    failure: the other slots still turn free, and the refill reports which slot and why."""
    from contracts.errors import UnavailableError

    class Refusing(FakeSmoke):
        def run(self, arn: str, name: str, payload: Mapping[str, Any], logs: str = "") -> Any:
            if "s0001" in arn:
                raise UnavailableError(
                    "AWS failed to start the smoke state machine: StateMachineDoesNotExist",
                    hint="re-run later",
                )
            return super().run(arn, name, payload, logs)

    stack = PoolStack(
        HarnessAutomation(), REPO / "Pulumi.pool.yaml", "pool", lambda line: None, Refusing()
    )
    result = pool.refill(store, stack, pool.PoolPolicy(size=2, max_age_s=86_400), NOW)
    assert result.created == ["s0002"]
    assert "seeding s0001 failed: AWS failed to start" in result.error
    assert {s.slot: s.state for s in store.scan()} == {"s0001": "provisioning", "s0002": "free"}
