"""Fixtures of the real-engine tests: the Pulumi CLI, a moto S3 server, backends, adapters,
and the `world` of stacks the adapter tests share (tests/engine/world.py).

Every test module here sets `pytestmark = pytest.mark.engine` (`pytest -m engine` runs them
alone). The CLI comes from
scripts/install-pulumi-cli.sh; without it a test fails with that command, it never skips.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.constants import PROJECT
from preview.automation import Program, PulumiAutomation
from tests.engine.services import (
    REGION,
    MotoServer,
    ServiceError,
    find_pulumi,
    moto_client,
    start_moto,
)
from tests.engine.world import World, preview_config, preview_program, staging_program

PASSPHRASE = "engine-tests-passphrase"


@pytest.fixture(scope="session")
def pulumi_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The real CLI, first on PATH (the Automation API runs `pulumi`), with a private
    PULUMI_HOME so the tests never read or write the user's ~/.pulumi."""
    try:
        binary = find_pulumi()
    except ServiceError as exc:
        pytest.fail(str(exc), pytrace=False)
    keys = ("PATH", "PULUMI_HOME", "PULUMI_SKIP_UPDATE_CHECK", "AWS_EC2_METADATA_DISABLED")
    saved = {k: os.environ.get(k) for k in keys}
    # Never ask the EC2 metadata address for credentials: only loopback is ours to call.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["PATH"] = f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["PULUMI_HOME"] = str(tmp_path_factory.mktemp("pulumi-home"))
    os.environ["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    try:
        yield binary
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def pulumi_command(pulumi_cli: Path) -> Any:
    """`auto.PulumiCommand` of the cached CLI (passed explicitly as well as found on PATH)."""
    from pulumi import automation as auto

    return auto.PulumiCommand(root=str(pulumi_cli.parent.parent))


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """A moto server without IAM enforcement, serving the s3:// backends."""
    try:
        server = start_moto(tmp_path_factory.mktemp("moto"))
    except ServiceError as exc:
        pytest.fail(f"moto test service unavailable: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}


class Backend:
    """One state backend (file:// or s3://) and how to make adapters over it."""

    def __init__(self, kind: str, url: str, env: dict[str, str], pulumi_command: Any) -> None:
        self.kind = kind
        self.url = url
        self.env = env
        self.pulumi_command = pulumi_command

    def automation(
        self,
        program: Program,
        *,
        env: dict[str, str] | None = None,
        secrets_provider: str = "",
    ) -> PulumiAutomation:
        return PulumiAutomation(
            work_dir=Path("."),
            project=PROJECT,
            backend_url=self.url,
            env={**self.env, **(env or {})},
            program=program,
            secrets_provider=secrets_provider,
            pulumi_command=self.pulumi_command,
        )


def make_backend(
    kind: str, tmp: Path, moto: Callable[[], MotoServer], pulumi_command: Any, bucket: str
) -> Backend:
    env = {
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if kind == "file":
        state = tmp / "state"
        state.mkdir()
        return Backend(kind, f"file://{state}", env, pulumi_command)
    server = moto()
    moto_client("s3", server.url).create_bucket(Bucket=bucket)
    return Backend(kind, server.backend_url(bucket), {**env, **AWS_TEST_ENV}, pulumi_command)


@pytest.fixture(scope="package", params=["file", "s3"])
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
