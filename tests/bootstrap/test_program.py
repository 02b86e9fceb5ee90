"""The real program (`__main__.py`) dispatches stack `bootstrap` to the identity component."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from preview.harness import synthesize


def test_bootstrap_stack_exports_the_role_arns() -> None:
    """`pulumi up` of stack bootstrap creates the identity and exports what the workflows need."""
    synth = synthesize("bootstrap", {"githubOrg": "acme", "githubRepo": "shop"})
    types = {r.type for r in synth.resources}
    assert "platform:bootstrap:GithubIdentity" in types
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider" in types
    for key in ("provider_arn", "preview_role_arn", "reaper_role_arn", "prod_role_arn"):
        assert synth.outputs.get(key), key


def test_bootstrap_stack_creates_nothing_but_identity() -> None:
    """The bootstrap stack is small on purpose: IAM only, no network, no compute."""
    synth = synthesize("bootstrap", {"githubOrg": "acme", "githubRepo": "shop"})
    assert {r.type.split(":")[1].split("/")[0] for r in synth.resources if r.custom} == {"iam"}


def test_bootstrap_stack_rejects_a_missing_repo() -> None:
    """Without githubRepo the program fails naming the key, before any resource."""
    with pytest.raises(ConfigError, match="githubRepo"):
        synthesize("bootstrap", {"githubOrg": "acme"})
