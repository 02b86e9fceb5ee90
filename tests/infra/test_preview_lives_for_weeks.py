"""A preview keeps working on day thirty: its own DB secret, liveness-only ALB checks.

* Staging's RDS-managed master secret rotates (every 7 days by default); a copy-on-write clone
  keeps the password of its restore time. So the clone manages its own secret and everything
  that logs in to the clone (app, preview sync, smoke) reads that one, never staging's.
* The ALB checks each target every 15 s. That check must be the liveness path, which touches
  no database, or the clone never pauses; the smoke gate waits on readiness (`healthPath`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from contracts.outputs import StagingOut
from preview.synth import prices
from preview.synth.cost import estimate
from preview.synth.harness import DEFAULT_STAGING_OUTPUTS, Synth
from tests.infra.conftest import preview_config

STAGING_SECRET = DEFAULT_STAGING_OUTPUTS[StagingOut.DB_MASTER_SECRET_ARN]
TG = "aws:lb/targetGroup:TargetGroup"


def _secrets(synth: Synth, task: str) -> dict[str, str]:
    defn = synth.get("aws:ecs/taskDefinition:TaskDefinition", task).inputs
    (container,) = json.loads(defn["containerDefinitions"])
    return {s["name"]: s["valueFrom"] for s in container["secrets"]}


def _clone_secret(synth: Synth) -> str:
    cluster = synth.get("aws:rds/cluster:Cluster", "db-cluster").inputs
    assert cluster["manageMasterUserPassword"] is True
    # The harness's RDS double names the managed secret after the cluster, as RDS does.
    return "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-db-cluster-AbCdEf"


def test_the_clone_manages_its_own_master_secret(preview_synth: Synth) -> None:
    """RDS gives the clone a secret of its own (and rotates it), independent of staging's."""
    assert _clone_secret(preview_synth) != STAGING_SECRET


@pytest.mark.parametrize(
    ("task", "user", "password"),
    [
        ("app-web-task", "DB_USER", "DB_PASSWORD"),
        ("smoke-tools", "PREVIEW_SYNC_DB_USER", "PREVIEW_SYNC_DB_PASSWORD"),
    ],
)
def test_app_and_tools_log_in_with_the_clones_secret(
    preview_synth: Synth, task: str, user: str, password: str
) -> None:
    """The app and the tools task (preview sync, smoke) read the clone's credentials."""
    secret = _clone_secret(preview_synth)
    assert _secrets(preview_synth, task) == {
        user: f"{secret}:username::",
        password: f"{secret}:password::",
    }


def test_no_preview_role_may_read_stagings_secret(preview_synth: Synth) -> None:
    """Nothing in a preview is granted staging's master secret any more."""
    for policy in preview_synth.of_type("aws:iam/rolePolicy:RolePolicy"):
        assert STAGING_SECRET not in json.dumps(policy.inputs), policy.name


def _app_with(**web: Any) -> dict[str, Any]:
    """The template's app with extra settings on its public service."""
    app: dict[str, Any] = preview_config()["preview-platform:app"]
    services = [{**s, **web} if s.get("public") else s for s in app["services"]]
    return {**app, "services": services}


def _health_checks(synth: Synth) -> dict[str, str]:
    return {tg.name: tg.inputs["healthCheck"]["path"] for tg in synth.of_type(TG)}


@pytest.mark.parametrize(
    "fixture", ["preview_synth", "protected_synth", "staging_synth", "prod_synth"]
)
def test_target_groups_check_liveness_not_readiness(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """Shared and dedicated ALBs, staging and prod: the target group checks /livez."""
    synth: Synth = request.getfixturevalue(fixture)
    checks = _health_checks(synth)
    assert checks and set(checks.values()) == {"/livez"}, checks


def test_smoke_gate_still_waits_on_readiness(preview_synth: Synth) -> None:
    """The gate's health URL is the readiness path (DB and search), not the liveness one."""
    machine = preview_synth.of_type("aws:sfn/stateMachine:StateMachine")[0]
    assert "https://pr-12.preview.example.com/health" in machine.inputs["definition"]
    assert "/livez" not in machine.inputs["definition"]


def test_liveness_path_is_configurable() -> None:
    from preview.synth.harness import synthesize

    synth = synthesize("pr-12", preview_config(app=_app_with(livenessPath="/ping")))
    assert set(_health_checks(synth).values()) == {"/ping"}


def _clone_line(synth: Synth) -> Any:
    est = estimate(synth.resources)
    return next(li for li in est.lines if li.resource == "db-instance")


def test_cost_of_a_clone_that_can_pause(preview_synth: Synth) -> None:
    """With liveness checks the clone pauses when idle: the estimate bills the awake hours
    only, and says so."""
    line = _clone_line(preview_synth)
    awake = prices.AURORA_AWAKE_HOURS_PER_DAY * prices.AURORA_AWAKE_ACU * prices.AURORA_ACU_HOUR
    assert line.usd_per_day == pytest.approx(awake, abs=1e-4)
    assert "paused when idle" in line.basis


def test_cost_of_a_clone_kept_awake_by_a_readiness_health_check() -> None:
    """Pointing the ALB at readiness (/health) keeps the clone awake 24 h: the estimate says so
    and bills 24 h, which is what AWS would bill."""
    from preview.synth.harness import synthesize

    synth = synthesize("pr-12", preview_config(app=_app_with(livenessPath="/health")))
    line = _clone_line(synth)
    day = prices.HOURS_PER_DAY * prices.AURORA_AWAKE_ACU * prices.AURORA_ACU_HOUR
    assert line.usd_per_day == pytest.approx(day, abs=1e-4)
    assert "never paused" in line.basis and "/health" in line.basis


def test_preview_falls_back_to_the_pr_image_tag(preview_synth: Synth) -> None:
    """Without an explicit image, the app runs `<repo>:pr-<sha>`, the tag the PR workflow
    pushes and the only kind the ECR lifecycle policy may expire."""
    defn = preview_synth.get("aws:ecs/taskDefinition:TaskDefinition", "app-web-task").inputs
    (container,) = json.loads(defn["containerDefinitions"])
    repo = DEFAULT_STAGING_OUTPUTS[StagingOut.APP_REPOSITORY_URL]
    assert container["image"] == f"{repo}:pr-0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("where", ["state machine", "health lambda"])
def test_readiness_is_found_where_the_gate_keeps_its_url(where: str) -> None:
    """Hand-built graph: the gate's health URL may sit in the state machine definition or in
    the health Lambda's environment; either way a target group checking it wakes the DB."""
    from tests.synth.graphs import DB, DB_INSTANCE, res

    url = "https://pr-1.preview.example.com/ready"
    gate = (
        res("m", "aws:sfn/stateMachine:StateMachine", inputs={"definition": json.dumps({"U": url})})
        if where == "state machine"
        else res(
            "f", "aws:lambda/function:Function", inputs={"environment": {"variables": {"U": url}}}
        )
    )
    cluster = res("c", DB, inputs={"serverlessv2ScalingConfiguration": {"minCapacity": 0}})
    inst = res("i", DB_INSTANCE, deps=["c"], inputs={"instanceClass": "db.serverless"})

    def basis(path: str) -> str:
        tg = res("tg", TG, inputs={"healthCheck": {"path": path, "interval": 15}})
        lines = estimate([gate, cluster, inst, tg]).lines
        return next(li.basis for li in lines if li.resource == "i")

    assert "never paused" in basis("/ready") and "paused when idle" in basis("/livez")
