"""The family on the real engine: the secrets provider of new stacks, secrets set at `up`
time, and facts about other stacks read from their outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest

from preview.ports import Deps
from preview.settings import Settings
from tests.engine.services import REGION, ROOT, moto_client
from tests.engine.world import (
    OIDC_SECRET,
    World,
    checkpoint,
    preview_config,
    preview_program,
    state_text,
)
from tests.infra.conftest import OIDC_PROTECTION

pytestmark = pytest.mark.engine


def test_new_stacks_get_the_configured_secrets_provider(world: World, moto_s3: Any) -> None:
    """A new pr stack is created with the awskms provider (moto's KMS), and keeps it when a
    fresh workspace (a new CI runner) sets its secret again."""
    kms = moto_client("kms", moto_s3.url)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = f"alias/pulumi-{world.backend.kind}"
    kms.create_alias(AliasName=alias, TargetKeyId=key)
    url = f"awskms://{alias}?region={REGION}"
    env = {
        "AWS_ENDPOINT_URL_KMS": moto_s3.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
    }
    try:
        for sha in ("aaaa111", "bbbb222"):
            a = world.backend.automation(preview_program, env=env, secrets_provider=url)
            out = a.up("pr-30", preview_config(30, sha=sha), lambda line: None)
            assert out["oidcSecret"] == OIDC_SECRET
            provider = checkpoint(world, "pr-30")["secrets_providers"]
            assert provider["type"] == "cloud" and provider["state"]["url"] == url, provider
    finally:  # the other tests' adapters have no KMS: leave no stack they cannot decrypt
        a = world.backend.automation(preview_program, env=env)
        a.destroy("pr-30", lambda line: None)
        a.remove("pr-30")


def test_facts_about_other_stacks_come_from_outputs(world: World) -> None:
    """A fresh runner has no Pulumi.pr-12.yaml: the stack's config reads back empty, so what
    `ls`, reap and rule allocation need (sha, expiry) must come from its outputs."""
    from preview.live import describe, preview_stacks

    deps = Deps(settings=Settings(), automation=world.adapter())
    assert world.adapter().get_config("pr-12") == {}
    (summary,) = [s for s in preview_stacks(deps) if s.name == "pr-12"]
    assert describe(deps, summary).sha == world.adapter().outputs("pr-12")["sha"]


def test_oidc_secret_reaches_a_new_stack_encrypted_at_up_time(world: World, tmp_path: Path) -> None:
    """urlProtection: oidc needs oidcClientSecret on every new stack: `up` takes it from
    PREVIEW_OIDC_CLIENT_SECRET, the program gets it as a secret, and it is nowhere in plain
    text: not in the state, the streamed output or the PR comment."""
    import yaml
    from pydantic import SecretStr

    from preview.up import up
    from tests.cli.fakes import FakeReporter

    doc = yaml.safe_load((ROOT / "preview.yaml").read_text())
    doc["config"]["preview-platform:urlProtection"] = OIDC_PROTECTION
    template = tmp_path / "preview.yaml"
    template.write_text(yaml.safe_dump(doc))

    def program() -> None:
        cfg = pulumi.Config()
        secret = cfg.require_secret("oidcClientSecret")
        pulumi.export("sha", cfg.require("sha"))
        pulumi.export("oidcSecretLength", secret.apply(len))
        pulumi.export("oidcSecretMatches", secret.apply(lambda v: v == OIDC_SECRET))

    settings = Settings(config_template=template, oidc_client_secret=SecretStr(OIDC_SECRET))
    lines: list[str] = []
    reporter = FakeReporter(open_prs={40})
    from preview.console import redact, register_secret

    register_secret(OIDC_SECRET)  # as build_deps does for the real command
    deps = Deps(
        settings=settings,
        automation=world.backend.automation(program),
        reporter=reporter,
        out=lambda line: lines.append(redact(line)),
    )
    result = up(deps, 40, "abcdef1")
    outputs = world.adapter().outputs("pr-40")
    assert outputs["oidcSecretMatches"] is True and outputs["oidcSecretLength"] == len(OIDC_SECRET)
    assert result.outcome == "deployed"
    assert OIDC_SECRET not in state_text(world, "pr-40")
    assert OIDC_SECRET not in "\n".join(lines)
    assert reporter.comments[40] and OIDC_SECRET not in "\n".join(reporter.comments[40])

    missing = Deps(
        settings=Settings(config_template=template),
        automation=world.adapter(),
        reporter=FakeReporter(open_prs={41}),
    )
    from contracts.errors import UsageError

    with pytest.raises(UsageError, match="PREVIEW_OIDC_CLIENT_SECRET"):
        up(missing, 41, "abcdef1")
