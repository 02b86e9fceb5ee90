"""A pr-<N> stack: the resources and properties that make a preview cheap, isolated and safe."""

from __future__ import annotations

import json

import pytest

from components import naming
from components.tags import PREVIEW_KEYS
from contracts.constants import tools_log_stream
from policy.rules import is_taggable
from preview.synth.harness import DEFAULT_STAGING_OUTPUTS, Synth, synthesize


def test_database_is_a_copy_on_write_clone_of_staging(preview_synth: Synth) -> None:
    """The preview DB restores staging's cluster copy-on-write at the latest restorable time."""
    cluster = preview_synth.get("aws:rds/cluster:Cluster", "db-cluster").inputs
    assert cluster["restoreToPointInTime"] == {
        "sourceClusterIdentifier": DEFAULT_STAGING_OUTPUTS["dbClusterIdentifier"],
        "restoreType": "copy-on-write",
        "useLatestRestorableTime": True,
    }
    assert cluster["skipFinalSnapshot"] is True and cluster["deletionProtection"] is False


def test_clone_scales_to_zero_and_auto_pauses(preview_synth: Synth) -> None:
    """The clone's serverless v2 range starts at 0 ACU with an auto-pause delay."""
    scaling = preview_synth.get("aws:rds/cluster:Cluster", "db-cluster").inputs[
        "serverlessv2ScalingConfiguration"
    ]
    assert scaling["minCapacity"] == 0 and 300 <= scaling["secondsUntilAutoPause"] <= 86_400


def test_clone_gets_one_serverless_instance(preview_synth: Synth) -> None:
    """A clone has no instances of its own: exactly one db.serverless, not public, is added."""
    instances = preview_synth.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert [(i.inputs["instanceClass"], i.inputs["publiclyAccessible"]) for i in instances] == [
        ("db.serverless", False)
    ]


def test_listener_rule_routes_the_pr_host_on_the_shared_listener(preview_synth: Synth) -> None:
    """The host rule matches pr-12.<zone> on staging's listener at the PR's allocated priority."""
    rule = preview_synth.get("aws:lb/listenerRule:ListenerRule", "route-host").inputs
    assert rule["listenerArn"] == DEFAULT_STAGING_OUTPUTS["previewListenerArn"]
    assert rule["priority"] == naming.rule_priorities(12)[1]
    assert rule["conditions"] == [{"hostHeader": {"values": ["pr-12.preview.example.com"]}}]
    assert rule["actions"][0]["type"] == "forward"


def test_shared_mode_creates_no_load_balancer(preview_synth: Synth) -> None:
    """Shared load balancing adds a target group, never an ALB of its own ($16/month each)."""
    assert not preview_synth.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert len(preview_synth.of_type("aws:lb/targetGroup:TargetGroup")) == 1


def test_alias_record_points_the_host_at_the_preview_alb(preview_synth: Synth) -> None:
    """pr-12.<zone> is an A alias of staging's preview ALB in the preview zone."""
    record = preview_synth.get("aws:route53/record:Record", "route-alias").inputs
    assert (record["name"], record["type"], record["zoneId"]) == (
        "pr-12.preview.example.com",
        "A",
        DEFAULT_STAGING_OUTPUTS["previewZoneId"],
    )
    assert record["aliases"][0]["name"] == DEFAULT_STAGING_OUTPUTS["previewAlbDnsName"]


def test_every_taggable_resource_carries_the_preview_tags(preview_synth: Synth) -> None:
    """The reaper finds everything: each taggable AWS resource has the four preview tags."""
    taggable = [r for r in preview_synth.resources if r.custom and is_taggable(r.type)]
    assert len(taggable) > 20
    for res in taggable:
        tags = res.inputs.get("tags") or {}
        assert {k: tags.get(k) for k in PREVIEW_KEYS} == {
            "preview:pr": "12",
            "preview:sha": "0123456789abcdef0123456789abcdef01234567",
            "preview:expires-at": "2030-01-31T12:00:00Z",
            "managed-by": "preview-platform",
        }, res.name


def test_services_run_on_spot_with_circuit_breaker(preview_synth: Synth) -> None:
    """Each service prefers FARGATE_SPOT and rolls back a failing deployment."""
    for svc in preview_synth.of_type("aws:ecs/service:Service"):
        strategies = {s["capacityProvider"]: s for s in svc.inputs["capacityProviderStrategies"]}
        assert strategies["FARGATE_SPOT"]["weight"] == 1 and strategies["FARGATE"]["weight"] == 0
        assert svc.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_db_is_reachable_only_from_this_previews_tasks(preview_synth: Synth) -> None:
    """The clone's security group admits 3306 only from the PR's own task security group."""
    sg = preview_synth.get("aws:ec2/securityGroup:SecurityGroup", "db-sg")
    task_sg = preview_synth.get("aws:ec2/securityGroup:SecurityGroup", "security-tasks")
    (rule,) = sg.inputs["ingress"]
    assert rule["fromPort"] == rule["toPort"] == 3306 and "cidrBlocks" not in rule
    assert rule["securityGroups"] == [f"{task_sg.name}-id"]


def test_search_access_is_scoped_to_the_pr_prefix(preview_synth: Synth) -> None:
    """The task role may call only indices pr-12-* on the shared domain."""
    policy = json.loads(
        preview_synth.get("aws:iam/rolePolicy:RolePolicy", "app-task-access").inputs["policy"]
    )
    arn = DEFAULT_STAGING_OUTPUTS["searchDomainArn"]
    assert policy["Statement"][0]["Resource"] == [f"{arn}/pr-12-*", f"{arn}/pr-12-*/*"]


def test_log_groups_have_short_retention(preview_synth: Synth) -> None:
    """Preview log groups expire within a week by default."""
    days = {
        r.name: r.inputs["retentionInDays"]
        for r in preview_synth.of_type("aws:cloudwatch/logGroup:LogGroup")
    }
    assert days and all(d == 7 for d in days.values())


def test_smoke_state_machine_runs_against_the_preview(preview_synth: Synth) -> None:
    """The state machine's smoke step targets this preview's URL and sha."""
    machine = preview_synth.get("aws:sfn/stateMachine:StateMachine", "smoke-machine").inputs
    definition = json.loads(machine["definition"])
    command = definition["States"]["Smoke"]["Parameters"]["Overrides"]["ContainerOverrides"][0][
        "Command"
    ]
    assert "https://pr-12.preview.example.com" in command
    assert "0123456789abcdef0123456789abcdef01234567" in command


def test_outputs_name_url_db_prefix_machine_and_services(preview_synth: Synth) -> None:
    """Stack outputs carry what the CLI reports, and no password."""
    out = preview_synth.outputs
    assert out["url"] == "https://pr-12.preview.example.com"
    assert out["indexPrefix"] == "pr-12-"
    assert out["dbEndpoint"].endswith(".rds.amazonaws.com")
    assert out["stateMachineArn"].startswith("arn:aws:")
    assert out["clusterName"] == "pp-pr-12"
    assert set(out["serviceNames"]) == {"web", "worker"}
    assert "password" not in json.dumps(out).lower()


def test_the_smoke_log_output_is_where_the_tools_task_logs(preview_synth: Synth) -> None:
    """`preview up` reads the failed task's stream `tools/tools/<id>` from `smokeLogGroupName`."""
    tools = next(
        r
        for r in preview_synth.of_type("aws:ecs/taskDefinition:TaskDefinition")
        if r.inputs["family"].endswith("-tools")
    )
    [container] = json.loads(tools.inputs["containerDefinitions"])
    options = container["logConfiguration"]["options"]
    stream = tools_log_stream("arn:aws:ecs:us-east-1:1:task/pp-pr-12/abc")
    assert options["awslogs-group"] == preview_synth.outputs["smokeLogGroupName"]
    assert stream == f"{options['awslogs-stream-prefix']}/{container['name']}/abc"


def test_children_are_parented_to_their_component(preview_synth: Synth) -> None:
    """Every AWS resource hangs under a platform component, so the tree reads like the design."""
    components = {r.urn for r in preview_synth.resources if r.type.startswith("platform:")}
    orphans = [
        r.name
        for r in preview_synth.resources
        if r.custom and not r.type.startswith("pulumi:") and r.parent not in components
    ]
    assert orphans == []


def test_services_wait_for_the_listener_rule(preview_synth: Synth) -> None:
    """ECS rejects a service whose target group has no listener: services depend on the route."""
    app = preview_synth.get("platform:service:AppServices", "app")
    assert "route-host" in app.to_json()["dependencies"]


def test_ip_allowlist_keeps_a_smoke_bypass_from_nat_ips(protected_synth: Synth) -> None:
    """With an allowlist, smoke traffic from staging's NAT IPs still reaches the app first."""
    bypass = protected_synth.get("aws:lb/listenerRule:ListenerRule", "route-smoke-bypass").inputs
    host = protected_synth.get("aws:lb/listenerRule:ListenerRule", "route-host").inputs
    assert bypass["priority"] < host["priority"]
    assert {"sourceIp": {"values": ["203.0.113.10/32"]}} in bypass["conditions"]
    assert {"sourceIp": {"values": ["198.51.100.0/24"]}} in host["conditions"]


def test_dedicated_mode_builds_its_own_alb_and_domain(protected_synth: Synth) -> None:
    """loadBalancing/search dedicated give the PR its own ALB, certificate and domain."""
    assert len(protected_synth.of_type("aws:lb/loadBalancer:LoadBalancer")) == 1
    assert len(protected_synth.of_type("aws:acm/certificate:Certificate")) == 1
    assert len(protected_synth.of_type("aws:opensearch/domain:Domain")) == 1


OIDC = {
    "mode": "oidc",
    "oidc": {
        "issuer": "https://idp.example.com",
        "authorizationEndpoint": "https://idp.example.com/authorize",
        "tokenEndpoint": "https://idp.example.com/token",
        "userInfoEndpoint": "https://idp.example.com/userinfo",
        "clientId": "preview-client",
    },
}


def test_oidc_protection_authenticates_humans_but_not_smoke_traffic() -> None:
    """OIDC mode: the host rule authenticates first, the NAT bypass rule forwards directly."""
    from tests.infra.conftest import preview_config

    cfg = preview_config(pr=55, urlProtection=OIDC, oidcClientSecret="s3cr3t-value")
    synth = synthesize("pr-55", cfg)
    host = synth.get("aws:lb/listenerRule:ListenerRule", "route-host").inputs
    bypass = synth.get("aws:lb/listenerRule:ListenerRule", "route-smoke-bypass").inputs
    assert [a["type"] for a in host["actions"]] == ["authenticate-oidc", "forward"]
    assert [a["type"] for a in bypass["actions"]] == ["forward"]
    assert host["actions"][0]["authenticateOidc"]["clientSecret"] == "[secret]"
    assert "s3cr3t-value" not in json.dumps([r.to_json() for r in synth.resources])


def test_oidc_without_client_secret_is_a_config_error() -> None:
    """OIDC mode without the oidcClientSecret secret fails naming that key."""
    from components.config import ConfigError
    from tests.infra.conftest import preview_config

    with pytest.raises(ConfigError, match="oidcClientSecret"):
        synthesize("pr-56", preview_config(pr=56, urlProtection=OIDC))


def test_hostile_branch_and_huge_pr_still_yield_valid_names() -> None:
    """PR 10^9 with a branch full of symbols synthesizes with AWS-valid names and tags."""
    import re

    from tests.infra.conftest import preview_config

    branch = "feat/💥 $(rm -rf /) " + "x" * 400
    synth = synthesize(f"pr-{naming.MAX_PR}", preview_config(pr=naming.MAX_PR, branch=branch))
    tg = synth.of_type("aws:lb/targetGroup:TargetGroup")[0].inputs["name"]
    assert len(tg) <= 32 and re.fullmatch(r"[a-z0-9-]+", tg)
    ident = synth.get("aws:rds/cluster:Cluster", "db-cluster").inputs["clusterIdentifier"]
    assert ident[0].isalpha() and len(ident) <= 63
    tag = synth.of_type("aws:ecs/cluster:Cluster")[0].inputs["tags"]["preview:branch"]
    assert len(tag) <= 256 and re.fullmatch(r"[\w .:/=+\-@]*", tag, flags=re.ASCII)


def test_smoke_tools_task_uses_staging_pinned_tools_image(preview_synth: Synth) -> None:
    """The sync/smoke task runs the tools image staging pins, not a floating tag."""
    task = preview_synth.get("aws:ecs/taskDefinition:TaskDefinition", "smoke-tools").inputs
    (container,) = json.loads(task["containerDefinitions"])
    assert container["image"] == DEFAULT_STAGING_OUTPUTS["toolsImage"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["PREVIEW_SYNC_INDEX_PREFIX"] == "pr-12-"


def test_program_refuses_a_clone_source_that_reports_prod() -> None:
    """If the referenced stack reports itself as prod, the preview run fails naming the fix."""
    from tests.infra.conftest import preview_config

    outputs = DEFAULT_STAGING_OUTPUTS | {"environment": "prod"}
    with pytest.raises(ValueError, match="previews may only clone staging"):
        synthesize("pr-77", preview_config(pr=77), staging_outputs=outputs)


def test_sync_task_reads_db_credentials_from_the_managed_secret(preview_synth: Synth) -> None:
    """The seeding task gets DB user and password from the clone's own RDS secret (staging's
    rotates away from the clone's password), never as plain env."""
    task = preview_synth.get("aws:ecs/taskDefinition:TaskDefinition", "smoke-tools").inputs
    (container,) = json.loads(task["containerDefinitions"])
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-db-cluster-AbCdEf"
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == {
        "PREVIEW_SYNC_DB_USER": f"{arn}:username::",
        "PREVIEW_SYNC_DB_PASSWORD": f"{arn}:password::",
    }
    assert not any("PASSWORD" in e["name"] for e in container["environment"])


def test_app_gets_db_credentials_as_secrets_and_no_fake_sha(preview_synth: Synth) -> None:
    """The web container reads DB_USER/DB_PASSWORD from the RDS secret, and the stack does not
    set APP_SHA, so /health reports the sha baked into the image and a stale image shows."""
    task = preview_synth.get("aws:ecs/taskDefinition:TaskDefinition", "app-web-task").inputs
    (container,) = json.loads(task["containerDefinitions"])
    assert {s["name"] for s in container["secrets"]} == {"DB_USER", "DB_PASSWORD"}
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert "APP_SHA" not in env and env["SEARCH_INDEX_PREFIX"] == "pr-12-"


def test_every_preview_role_has_the_permissions_boundary(preview_synth: Synth) -> None:
    """The preview deploy role may only create roles under pp-preview-boundary; all roles set it."""
    roles = preview_synth.of_type("aws:iam/role:Role")
    assert len(roles) >= 4
    assert {r.inputs.get("permissionsBoundary") for r in roles} == {
        "arn:aws:iam::123456789012:policy/pp-preview-boundary"
    }


def test_tools_image_can_be_the_prs_own() -> None:
    """With toolsImage set (e.g. built from the PR head), the smoke task runs that image."""
    from tests.infra.conftest import preview_config

    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pp-staging-tools:" + "a" * 40
    synth = synthesize("pr-88", preview_config(pr=88, toolsImage=image))
    task = synth.get("aws:ecs/taskDefinition:TaskDefinition", "smoke-tools").inputs
    assert json.loads(task["containerDefinitions"])[0]["image"] == image


@pytest.mark.parametrize(
    ("spot", "expected"),
    [
        ({"enabled": True, "onDemandBase": 1}, {"FARGATE": (1, 0), "FARGATE_SPOT": (0, 1)}),
        ({"enabled": False}, {"FARGATE": (0, 1)}),
    ],
)
def test_spot_and_on_demand_base(spot: dict, expected: dict) -> None:
    """onDemandBase tasks run on regular Fargate first; spot disabled means Fargate only."""
    from tests.infra.conftest import preview_config

    synth = synthesize("pr-90", preview_config(pr=90, spot=spot))
    web = synth.get("aws:ecs/service:Service", "app-web").inputs
    got = {
        s["capacityProvider"]: (s.get("base", 0), s["weight"])
        for s in web["capacityProviderStrategies"]
    }
    assert got == expected


def test_each_secret_store_is_read_with_its_own_action() -> None:
    """An app secret in SSM is read with ssm:GetParameters, one in Secrets Manager (and the DB
    secret) with secretsmanager:GetSecretValue: neither action is granted on the other store's
    ARNs, where AWS would never apply it (tests/authz/test_policy_lint.py: dead grants)."""
    from tests.infra.conftest import preview_config

    param = "arn:aws:ssm:us-east-1:123456789012:parameter/survey/api-key"
    token = "arn:aws:secretsmanager:us-east-1:123456789012:secret:survey-token-AbCdEf"
    cfg = preview_config(pr=56)
    app = json.loads(json.dumps(cfg["preview-platform:app"]))
    app["services"][0]["secrets"] = {"API_KEY": param, "TOKEN": token}
    cfg["preview-platform:app"] = app
    policy = synthesize("pr-56", cfg).get("aws:iam/rolePolicy:RolePolicy", "app-execution-secrets")
    grants = {s["Action"]: s["Resource"] for s in json.loads(policy.inputs["policy"])["Statement"]}
    db = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-db-cluster-AbCdEf"
    assert grants == {"ssm:GetParameters": [param], "secretsmanager:GetSecretValue": [token, db]}
