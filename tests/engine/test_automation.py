"""`PulumiAutomation` against the real Pulumi engine, on a file:// and an s3:// (moto) backend.

The only difference from production is the injected inline program (the real CLI here has no
Python language host to run the work-dir program with); the CLI, the backend, locks, secrets
and error output are all real. One module-wide setup per backend: a `staging` stack whose
outputs previews read through a StackReference, and a `pr-12` preview.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pytest

from preview.automation import PulumiAutomation, Secret, StackLocked, StackNotFound
from preview.locking import wait_for_lock
from preview.ports import Deps
from preview.settings import Settings
from tests.engine.conftest import PROJECT, Backend, make_backend
from tests.engine.services import REGION, ROOT

pytestmark = pytest.mark.engine

OIDC_SECRET = "oidc-client-secret-5f2c9a"
APP = {"name": "survey", "services": [{"name": "web", "port": 8000, "public": True}]}


def staging_program() -> None:
    pulumi.ComponentResource("platform:test:Network", "staging-network")
    pulumi.export("environment", "staging")
    pulumi.export("vpcId", "vpc-0staging")


def preview_program() -> None:
    """A small stand-in for __main__.py: config in, a component, outputs (one secret) out."""
    cfg = pulumi.Config()
    pr = cfg.require_int("pr")
    app = cfg.require_object("app")
    secret = cfg.require_secret("oidcClientSecret")
    root = pulumi.ComponentResource("platform:test:Preview", f"pr-{pr}")
    pulumi.ComponentResource(
        "platform:test:Service", f"pr-{pr}-web", opts=pulumi.ResourceOptions(parent=root)
    )
    staging = pulumi.StackReference(f"organization/{PROJECT}/staging")
    pulumi.export("pr", pr)
    pulumi.export("sha", cfg.require("sha"))
    pulumi.export("app", app)
    pulumi.export("url", f"https://pr-{pr}.preview.example.com")
    pulumi.export("vpcId", staging.get_output("vpcId"))
    pulumi.export("oidcSecretLength", secret.apply(len))
    pulumi.export("oidcSecret", secret)


def preview_config(pr: int, sha: str = "abc1234") -> dict[str, Any]:
    return {"pr": pr, "sha": sha, "app": APP, "oidcClientSecret": Secret(OIDC_SECRET)}


@dataclass
class World:
    backend: Backend
    staging: dict[str, Any]
    pr12: dict[str, Any]
    lines: list[str]

    def adapter(self, program: Any = preview_program) -> PulumiAutomation:
        return self.backend.automation(program)


@pytest.fixture(scope="module", params=["file", "s3"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pulumi_command: Any,
) -> Iterator[World]:
    moto = lambda: request.getfixturevalue("moto_s3")  # noqa: E731 - started only for s3
    backend = make_backend(
        request.param, tmp_path_factory.mktemp("backend"), moto, pulumi_command, "engine-state"
    )
    lines: list[str] = []
    staging = backend.automation(staging_program).up("staging", {}, lines.append)
    pr12 = backend.automation(preview_program).up("pr-12", preview_config(12), lines.append)
    yield World(backend, staging, pr12, lines)


def _state_text(world: World, stack: str) -> str:
    """The stack's checkpoint as stored by the backend."""
    b = world.backend
    if b.kind == "file":
        root = Path(b.url.removeprefix("file://"))
        return (root / ".pulumi/stacks" / PROJECT / f"{stack}.json").read_text()
    s3 = _s3(world)
    body = s3.get_object(Bucket="engine-state", Key=f".pulumi/stacks/{PROJECT}/{stack}.json")
    return str(body["Body"].read().decode())


def _s3(world: World) -> Any:
    endpoint = world.backend.url.split("endpoint=", 1)[1].split("&", 1)[0]
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


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
    text = _state_text(world, "pr-12")
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


# --- locks: a second process holds the stack's lock ----------------------------------------


@dataclass
class Holder:
    proc: subprocess.Popen[bytes]
    started: Path
    release: Path

    def let_go(self) -> None:
        self.release.write_text("go\n")
        self.proc.wait(timeout=120)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def _hold(world: World, stack: str, tmp_path: Path) -> Holder:
    started, release = tmp_path / f"{stack}.started", tmp_path / f"{stack}.release"
    env = {**os.environ, **world.backend.env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.engine.holder",
            world.backend.url,
            stack,
            str(started),
            str(release),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own group: SIGKILL takes the CLI child with it
    )
    holder = Holder(proc, started, release)
    deadline = time.monotonic() + 120
    while not started.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            holder.kill() if proc.poll() is None else None
            raise AssertionError(f"the holder process did not start its update (rc {proc.poll()})")
        time.sleep(0.1)
    return holder


def _deps(world: World, *, lock_wait_s: float, out: list[str]) -> Deps:
    return Deps(
        settings=Settings(lock_wait_s=lock_wait_s, lock_stale_s=4 * 3600, backoff_s=0.5),
        automation=world.adapter(),
        sleep=time.sleep,
        out=out.append,
    )


def test_held_lock_is_stack_locked_and_waited_for(world: World, tmp_path: Path) -> None:
    """While another process updates pr-20, `up` gets the real ConcurrentUpdateError as
    StackLocked; the lock names that process; `wait_for_lock` waits until it is released."""
    a = world.adapter()
    a.up("pr-20", preview_config(20), lambda line: None)
    holder = _hold(world, "pr-20", tmp_path)
    try:
        with pytest.raises(StackLocked):
            a.up("pr-20", preview_config(20), lambda line: None)
        lock = a.lock("pr-20")
        assert lock is not None and lock.pid > 0
        assert "pr-20" in {s.name for s in a.list_stacks() if s.update_in_progress}
        out: list[str] = []
        deps = _deps(world, lock_wait_s=120, out=out)
        threading_release(holder, after_s=1.5)
        wait_for_lock(deps, "pr-20")
    finally:
        if holder.proc.poll() is None:
            holder.let_go()
    assert any("waiting for the lock" in line for line in out)
    assert not any("breaking" in line for line in out), "a live lock was broken"
    assert a.lock("pr-20") is None
    assert a.up("pr-20", preview_config(20, sha="fedcba9"), lambda line: None)["sha"] == "fedcba9"


def threading_release(holder: Holder, *, after_s: float) -> None:
    import threading

    threading.Timer(after_s, lambda: holder.release.write_text("go\n")).start()


def test_live_lock_is_never_broken(world: World, tmp_path: Path) -> None:
    """A fresh lock whose process is alive survives the wait: StackLocked, lock file intact."""
    a = world.adapter()
    a.up("pr-21", preview_config(21), lambda line: None)
    holder = _hold(world, "pr-21", tmp_path)
    try:
        out: list[str] = []
        with pytest.raises(StackLocked, match="live update"):
            wait_for_lock(_deps(world, lock_wait_s=2, out=out), "pr-21")
        assert a.lock("pr-21") is not None
    finally:
        holder.let_go()
    assert holder.proc.returncode == 0, "the holder's update failed: its lock was broken"


def test_stale_lock_of_a_killed_cli_is_broken(world: World, tmp_path: Path) -> None:
    """A runner killed mid-update leaves its lock; the holder's pid is gone on this host, so
    our rule breaks it and the next update succeeds."""
    a = world.adapter()
    a.up("pr-22", preview_config(22), lambda line: None)
    holder = _hold(world, "pr-22", tmp_path)
    holder.kill()
    lock = a.lock("pr-22")
    assert lock is not None, "killing the CLI should have left its lock behind"
    with pytest.raises(StackLocked):
        a.up("pr-22", preview_config(22), lambda line: None)
    out: list[str] = []
    wait_for_lock(_deps(world, lock_wait_s=30, out=out), "pr-22")
    assert any("breaking the lock" in line for line in out)
    assert a.lock("pr-22") is None
    assert a.up("pr-22", preview_config(22, sha="0123abc"), lambda line: None)["sha"] == "0123abc"


# --- the family: secrets provider, secrets at `up` time, facts from outputs ----------------


def _checkpoint(world: World, stack: str) -> dict[str, Any]:
    import json

    return dict(json.loads(_state_text(world, stack))["checkpoint"]["latest"])


def test_new_stacks_get_the_configured_secrets_provider(world: World, moto_s3: Any) -> None:
    """A new pr stack is created with the awskms provider (moto's KMS), and keeps it when a
    fresh workspace (a new CI runner) sets its secret again."""
    import boto3

    kms = boto3.client(
        "kms",
        endpoint_url=moto_s3.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
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
            provider = _checkpoint(world, "pr-30")["secrets_providers"]
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
    doc["config"]["preview-platform:urlProtection"] = {
        "mode": "oidc",
        "oidc": {
            "issuer": "https://login.example.com",
            "authorizationEndpoint": "https://login.example.com/authorize",
            "tokenEndpoint": "https://login.example.com/token",
            "userInfoEndpoint": "https://login.example.com/userinfo",
            "clientId": "preview-app",
        },
    }
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
    assert OIDC_SECRET not in _state_text(world, "pr-40")
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
