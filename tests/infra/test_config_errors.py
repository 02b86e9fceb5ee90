"""Invalid config fails before any resource exists, naming the key and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, load
from preview.synth.harness import synthesize
from tests.infra.conftest import preview_config, stack_file


def _error(stack: str, cfg: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(stack, cfg)
    return info.value


def test_pr_must_match_the_stack_name() -> None:
    """pr=13 on stack pr-12 is refused, telling which to change."""
    err = _error("pr-12", preview_config(pr=13))
    assert err.key == "preview-platform:pr" and "set pr to 12" in err.hint


def test_staging_stack_may_not_point_at_prod() -> None:
    """A preview can never clone prod: stagingStack ending in /prod is refused."""
    err = _error("pr-12", preview_config(stagingStack="org/preview-platform/prod"))
    assert err.key == "preview-platform:stagingStack" and "never 'prod'" in err.message


def test_missing_key_is_named() -> None:
    """A missing sha is reported as required with how to set it."""
    cfg = preview_config()
    del cfg["sha"]
    err = _error("pr-12", cfg)
    assert (err.key, err.message) == ("preview-platform:sha", "is required")


def test_app_needs_exactly_one_public_service() -> None:
    """Two public services are refused, naming the app key."""
    app = {
        "services": [
            {"name": "web", "port": 1, "public": True},
            {"name": "api", "port": 2, "public": True},
        ]
    }
    err = _error("pr-12", preview_config(app=app))
    assert err.key == "preview-platform:app" and "exactly one service must be public" in err.message


def test_fargate_size_is_checked() -> None:
    """cpu/memory combinations Fargate does not offer are refused with the allowed range."""
    app = {"services": [{"name": "web", "port": 80, "public": True, "cpu": 256, "memory": 4096}]}
    err = _error("pr-12", preview_config(app=app))
    assert "memory 4096 does not fit cpu 256" in err.message


def test_preview_keys_are_rejected_on_long_lived_stacks() -> None:
    """A preview key on staging is reported as not a staging setting (kind cross-check)."""
    cfg = stack_file("Pulumi.staging.yaml") | {"preview-platform:pr": "12"}
    err = _error("staging", cfg)
    assert err.key == "preview-platform:pr" and "not a staging setting" in err.message


def test_ip_allowlist_needs_cidrs() -> None:
    """ipAllowlist without CIDRs is refused with the accepted shapes."""
    err = _error("pr-12", preview_config(urlProtection={"mode": "ipAllowlist"}))
    assert err.key == "preview-platform:urlProtection" and "cidrs" in err.hint


def test_unknown_stack_name_is_refused() -> None:
    """A stack called dev is not one of the program's kinds."""
    err = _error("dev", {})
    assert err.key == "stack" and "pr-<N>" in err.hint


def test_program_fails_before_registering_anything() -> None:
    """Running the program with a bad expiresAt raises ConfigError from the harness."""
    with pytest.raises(ConfigError, match="expiresAt"):
        synthesize("pr-12", preview_config(expiresAt="tomorrow"))


def test_committed_stack_files_are_valid() -> None:
    """The example Pulumi.<stack>.yaml files load without errors."""
    for stack in ("staging", "prod", "bootstrap"):
        assert load(stack, stack_file(f"Pulumi.{stack}.yaml")).kind == stack


def test_misspelled_key_is_named_by_the_program() -> None:
    """A typo such as `loadBalacing` fails the run naming the key, instead of being ignored."""
    with pytest.raises(
        ConfigError, match="preview-platform:loadBalacing: is not a preview setting"
    ):
        synthesize("pr-12", preview_config(loadBalacing="dedicated"))


def test_spot_accepts_a_boolean_shorthand() -> None:
    """`spot: false` turns Spot off without writing the object form."""
    cfg = load("pr-12", preview_config(spot="false"))
    assert cfg.spot.enabled is False  # type: ignore[union-attr]
