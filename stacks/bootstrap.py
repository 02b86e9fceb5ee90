"""Stack `bootstrap`: the GitHub OIDC identity the workflows deploy with."""

from __future__ import annotations

import pulumi

from components import config as cfgmod
from contracts.outputs import BOOTSTRAP_OUTPUTS


def build(cfg: cfgmod.BootstrapConfig) -> None:
    from components.bootstrap import GithubIdentity, GithubIdentityArgs

    optional = {
        key: value
        for key in ("preview_zone", "state_bucket", "secrets_kms_key_arn", "existing_provider_arn")
        if (value := getattr(cfg, key)) is not None
    }
    identity = GithubIdentity(
        "github",
        GithubIdentityArgs(github_org=cfg.github_org, github_repo=cfg.github_repo, **optional),
    )
    for key in BOOTSTRAP_OUTPUTS:
        if hasattr(identity, key):
            pulumi.export(key, getattr(identity, key))
