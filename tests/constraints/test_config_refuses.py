"""Config validation refuses what AWS would refuse, naming the key and the allowed values.

The last test ties the two together: any config `load()` accepts synthesizes into inputs that
pass every documented AWS rule (tests/constraints/rules.py), so "accepted" means "deployable".
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import ConfigError, load
from preview.synth.harness import synthesize
from tests.constraints import rules
from tests.infra.conftest import preview_config, stack_file


def _app(**web: Any) -> dict[str, Any]:
    return {
        "name": "survey",
        "services": [{"name": "web", "port": 8000, "public": True, **web}],
    }


def _error(stack: str, cfg: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(stack, cfg)
    return info.value


def test_fargate_memory_must_fit_the_cpu() -> None:
    """cpu 256 takes 512, 1024 or 2048 MiB only: 1536 is refused with the allowed values."""
    err = _error("pr-12", preview_config(app=_app(cpu=256, memory=1536)))
    assert err.key.startswith("preview-platform:app.services")
    assert "512, 1024 or 2048" in err.message


@pytest.mark.parametrize(("cpu", "memory"), [(256, 2048), (512, 3072), (8192, 20480)])
def test_fargate_sizes_aws_lists_are_accepted(cpu: int, memory: int) -> None:
    """Every pair of the Fargate table is accepted, including 8 vCPU in 4 GB steps."""
    load("pr-12", preview_config(app=_app(cpu=cpu, memory=memory)))


@pytest.mark.parametrize("days", [0, 2, 42, 100, 4000])
def test_long_lived_log_retention_is_a_cloudwatch_value(days: int) -> None:
    """CloudWatch Logs takes only 1, 3, 5, 7, 14, 30, ... 3653 days; others are refused."""
    cfg = {**stack_file("Pulumi.staging.yaml"), "logRetentionDays": days}
    err = _error("staging", cfg)
    assert err.key == "preview-platform:logRetentionDays"
    assert "1, 3, 5, 7, 14, 30, 60, 90" in err.message and "3653" in err.message


def test_long_lived_log_retention_accepts_cloudwatch_values() -> None:
    cfg = load("prod", {**stack_file("Pulumi.prod.yaml"), "logRetentionDays": 731})
    assert cfg.log_retention_days == 731  # type: ignore[union-attr]


def test_preview_log_retention_names_the_allowed_values() -> None:
    err = _error("pr-12", preview_config(logRetentionDays=30))
    assert err.key == "preview-platform:logRetentionDays" and "1, 3, 5, 7 or 14" in err.message


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("vpcCidr", "10.0.0.0/8", "/16"),
        ("imageTag", "-bad tag", "pattern"),
        ("alarmEmail", "not-an-address", "pattern"),
    ],
)
def test_long_lived_values_aws_refuses(key: str, value: str, needle: str) -> None:
    """A VPC larger than /16, an image tag Docker refuses, an email SNS cannot subscribe."""
    err = _error("staging", {**stack_file("Pulumi.staging.yaml"), key: value})
    assert err.key == f"preview-platform:{key}" and needle in err.message


def test_aurora_capacity_comes_in_half_acu_steps() -> None:
    cfg = {**stack_file("Pulumi.staging.yaml"), "db": {"minCapacity": 0.3, "maxCapacity": 4}}
    err = _error("staging", cfg)
    assert err.key == "preview-platform:db.minCapacity" and "0.5" in err.message


def test_health_paths_must_be_alb_health_check_paths() -> None:
    """The ALB health-check path starts with '/' and has no spaces."""
    err = _error("pr-12", preview_config(app=_app(livenessPath="/live ness")))
    assert "livenessPath" in err.key and "starting with '/'" in err.message


def test_oidc_endpoints_must_be_https() -> None:
    oidc = {
        "issuer": "http://login.example.com",
        "authorizationEndpoint": "https://login.example.com/a",
        "tokenEndpoint": "https://login.example.com/t",
        "userInfoEndpoint": "https://login.example.com/u",
        "clientId": "c",
    }
    err = _error("pr-12", preview_config(urlProtection={"mode": "oidc", "oidc": oidc}))
    assert "issuer" in err.key and "https://" in err.message


_SIZES = st.tuples(
    st.sampled_from([128, 256, 512, 1024, 2048, 4096, 8192, 16384]),
    st.sampled_from([512, 1024, 1536, 2048, 3072, 4096, 5120, 8192, 9216, 16384, 20480, 30720]),
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    size=_SIZES,
    retention=st.sampled_from([0, 1, 3, 5, 6, 7, 14, 30, 60, 90, 100, 365, 400, 3653, 4000]),
    kind=st.sampled_from(["pr-12", "staging"]),
)
def test_a_config_load_accepts_is_one_aws_accepts(
    size: tuple[int, int], retention: int, kind: str
) -> None:
    """Either load() refuses the config naming a key, or every synthesized input passes the
    documented AWS rules: config never lets through a value AWS would refuse at deploy."""
    cpu, memory = size
    app = _app(cpu=cpu, memory=memory, command=["python", "-m", "examples.app"])
    if kind == "staging":
        cfg = {**stack_file("Pulumi.staging.yaml"), "app": app, "logRetentionDays": retention}
    else:
        cfg = preview_config(app=app, logRetentionDays=retention)
    try:
        load(kind, cfg)
    except ConfigError as err:
        assert err.key.startswith("preview-platform:")
        return
    problems = rules.check(synthesize(kind, cfg).resources)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", ["imageTag", "toolsImageTag"])
def test_long_lived_stacks_never_run_an_expiring_pr_image(key: str) -> None:
    """`pr-` tags are PR builds the ECR lifecycle policy expires: staging/prod refuse them."""
    err = _error("prod", {**stack_file("Pulumi.prod.yaml"), key: "pr-0123abc"})
    assert err.key == f"preview-platform:{key}" and "lifecycle" in err.message


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("search", {"engineVersion": "2.19"}, "search.engineVersion"),
        ("search", {"instanceType": "t3.small"}, "search.instanceType"),
        ("db", {"engineVersion": "mysql8"}, "db.engineVersion"),
    ],
)
def test_engine_versions_and_instance_types_have_aws_shape(
    key: str, value: dict[str, Any], field: str
) -> None:
    """OpenSearch wants `OpenSearch_X.Y` and `*.search` types; Aurora MySQL 3 versions read
    `8.0.mysql_aurora.3.NN.N`."""
    err = _error("staging", {**stack_file("Pulumi.staging.yaml"), key: value})
    assert err.key == f"preview-platform:{field}" and "pattern" in err.message
