"""The real program (`__main__.py`) dispatches stack `bootstrap` to the identity component."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from preview.synth.harness import synthesize


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


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_deploy_role_can_create_the_long_lived_iam_roles(env: str) -> None:
    """Every IAM role the real staging/prod program creates is one its deploy role may create
    (PowerUserAccess has no IAM; the inline policy must cover them by name or tag)."""
    from components.bootstrap import deploy_policy
    from preview.synth.configfile import stack_file_config
    from tests.bootstrap.iam_eval import allowed

    policy = deploy_policy(env)
    roles = [
        r
        for r in synthesize(env, stack_file_config(env)).resources
        if r.type == "aws:iam/role:Role"
    ]
    assert roles
    for r in roles:
        arn = f"arn:aws:iam::123456789012:role/{r.inputs.get('name') or r.name + '-1a2b'}"
        assert allowed(policy, "iam:CreateRole", arn, request_tags=r.inputs.get("tags") or {}), (
            r.name
        )
