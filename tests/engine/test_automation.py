"""`PulumiAutomation` against the real Pulumi engine, on a file:// and an s3:// (moto) backend.

The only difference from production is the injected inline program (the real CLI here has no
Python language host to run the work-dir program with); the CLI, the backend, locks, secrets
and error output are all real. One setup per backend for the package (`world`,
tests/engine/world.py); locks are in test_locks.py, secrets and outputs in test_secrets.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from preview.automation import StackNotFound
from tests.engine.world import (
    APP,
    OIDC_SECRET,
    World,
    preview_config,
    staging_program,
    state_text,
)

pytestmark = pytest.mark.engine


def test_up_applies_plain_structured_and_secret_config(world: World) -> None:
    """Plain and JSON config reach the program as values, the secret decrypts in the program,
    and outputs come back typed, the secret one decrypted, the StackReference resolved."""
    out = world.pr12
    assert out["pr"] == 12 and out["sha"] == "abc1234"
    assert out["app"] == APP
    assert out["oidcSecretLength"] == len(OIDC_SECRET)
    assert out["oidcSecret"] == OIDC_SECRET
    assert out["vpcId"] == "vpc-0staging"
    assert any("pr-12" in line for line in world.lines), "the engine's output was not streamed"


def test_secret_is_encrypted_in_the_state(world: World) -> None:
    """The secret config value and the secret output are ciphertext in the checkpoint."""
    text = state_text(world, "pr-12")
    assert "abc1234" in text  # the plain output is there: we are reading the right object
    assert OIDC_SECRET not in text
    assert "ciphertext" in text
    assert OIDC_SECRET not in "\n".join(world.lines)


def test_a_fresh_workspace_updates_and_reads_an_existing_stack(world: World) -> None:
    """A new CI runner has no Pulumi.pr-12.yaml: it must still update the stack (the secret
    re-encrypted with the stack's own key) and read another stack's outputs."""
    out = world.adapter().up("pr-12", preview_config(12, sha="def5678"), lambda line: None)
    assert out["sha"] == "def5678" and out["oidcSecret"] == OIDC_SECRET
    assert world.adapter().outputs("pr-12")["sha"] == "def5678"
    assert world.adapter(staging_program).outputs("staging")["vpcId"] == "vpc-0staging"


def test_list_stacks_names_every_stack(world: World) -> None:
    stacks = {s.name: s for s in world.adapter().list_stacks()}
    assert {"staging", "pr-12"} <= set(stacks)
    pr12 = stacks["pr-12"]
    assert not pr12.update_in_progress
    assert pr12.last_update is not None
    assert abs((datetime.now(UTC) - pr12.last_update).total_seconds()) < 3600


def test_missing_stack_is_stack_not_found(world: World) -> None:
    a = world.adapter()
    with pytest.raises(StackNotFound):
        a.outputs("pr-404")
    with pytest.raises(StackNotFound):
        a.destroy("pr-404", lambda line: None)
    with pytest.raises(StackNotFound):
        a.refresh("pr-404", lambda line: None)


def test_refresh_destroy_remove(world: World) -> None:
    """refresh keeps outputs; destroy empties the stack but keeps it; remove deletes it."""
    a = world.adapter()
    a.up("pr-13", preview_config(13), lambda line: None)
    lines: list[str] = []
    a.refresh("pr-13", lines.append)
    assert lines, "refresh streamed no output"
    assert a.outputs("pr-13")["pr"] == 13
    a.destroy("pr-13", lambda line: None)
    assert a.outputs("pr-13") == {}
    assert "pr-13" in {s.name for s in a.list_stacks()}
    a.remove("pr-13")
    assert "pr-13" not in {s.name for s in a.list_stacks()}
    with pytest.raises(StackNotFound):
        a.outputs("pr-13")
