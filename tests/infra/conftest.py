"""Session fixtures: each stack is synthesized once through the real program and mocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from preview.synth.harness import Synth, synthesize

ROOT = Path(__file__).resolve().parents[2]
# A valid `urlProtection` of mode oidc, for tests that need one.
OIDC_PROTECTION: dict[str, Any] = {
    "mode": "oidc",
    "oidc": {
        "issuer": "https://login.example.com",
        "authorizationEndpoint": "https://login.example.com/authorize",
        "tokenEndpoint": "https://login.example.com/token",
        "userInfoEndpoint": "https://login.example.com/userinfo",
        "clientId": "preview-client",
    },
}


def stack_file(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / name).read_text())["config"])


def preview_config(pr: int = 12, **overrides: Any) -> dict[str, Any]:
    cfg = stack_file("preview.yaml")
    cfg.update(
        {
            "pr": pr,
            "sha": "0123456789abcdef0123456789abcdef01234567",
            "branch": "feature/new-survey",
            "expiresAt": "2030-01-31T12:00:00Z",
        }
    )
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="session")
def preview_synth() -> Synth:
    return synthesize("pr-12", preview_config())


@pytest.fixture(scope="session")
def protected_synth() -> Synth:
    """A preview with a dedicated ALB and search domain and an IP allowlist."""
    cfg = preview_config(
        pr=34,
        loadBalancing="dedicated",
        search="dedicated",
        urlProtection={"mode": "ipAllowlist", "cidrs": ["198.51.100.0/24"]},
    )
    return synthesize("pr-34", cfg)


@pytest.fixture(scope="session")
def staging_synth() -> Synth:
    return synthesize("staging", stack_file("Pulumi.staging.yaml"))


@pytest.fixture(scope="session")
def prod_synth() -> Synth:
    return synthesize("prod", stack_file("Pulumi.prod.yaml"))
