"""The real Pulumi CLI and a moto S3 server, for the tests that drive the real engine.

The CLI is built by scripts/install-pulumi-cli.sh (`make test` runs it); a missing one fails
the test with that command. moto runs as its own process (`moto_server`), because the Pulumi
CLI, a Go program, talks to S3 over HTTP, and because moto reads INITIAL_NO_AUTH_ACTION_COUNT
(IAM enforcement) only once, when it starts.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.services._process import free_port, stop_child, tail

ROOT = Path(__file__).resolve().parents[2]
PULUMI_VERSION = "3.274.1"
INSTALL = "bash scripts/install-pulumi-cli.sh"
CLI_ROOT = ROOT / ".cache" / "pulumi" / PULUMI_VERSION
REGION = "us-east-1"


class ServiceError(RuntimeError):
    pass


def moto_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client of a moto server, with the test credentials moto accepts."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def find_pulumi() -> Path:
    """The cached CLI of the pinned version (the one the Automation API must find)."""
    binary = CLI_ROOT / "bin" / "pulumi"
    if not binary.is_file():
        raise ServiceError(
            f"the Pulumi CLI v{PULUMI_VERSION} is not installed at {binary}; "
            f"run `{INSTALL}` (or `make services`)"
        )
    got = subprocess.run(
        [str(binary), "version"], capture_output=True, text=True, timeout=60, check=False
    ).stdout.strip()
    if got != f"v{PULUMI_VERSION}":
        raise ServiceError(
            f"{binary} reports version {got!r}, not v{PULUMI_VERSION}; run `{INSTALL}`"
        )
    return binary


@dataclass
class MotoServer:
    """A moto server process on a loopback port; `url` is its endpoint."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def recording(self) -> Path:
        return self.log.with_suffix(".recording")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def backend_url(self, bucket: str) -> str:
        """The Pulumi DIY backend URL of `bucket` on this server."""
        return (
            f"s3://{bucket}?endpoint=127.0.0.1:{self.port}&s3ForcePathStyle=true"
            f"&disableSSL=true&region={REGION}"
        )

    def stop(self) -> None:
        stop_child(self.process, grace=10)


def start_moto(
    log_dir: Path, *, no_auth_actions: int | None = None, record: bool = False
) -> MotoServer:
    """Start `moto_server`; with `no_auth_actions` IAM is enforced after that many calls; with
    `record` every request is appended to `recording` (moto's recorder, one JSON per line)."""
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which(
        "moto_server"
    )
    if server is None:
        raise ServiceError("moto_server is missing; run `pip install -e '.[dev]'`")
    port = free_port()
    env = {**os.environ, "MOTO_PORT": str(port)}
    if no_auth_actions is not None:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(no_auth_actions)
    if record:
        env["MOTO_ENABLE_RECORDING"] = "True"
        env["MOTO_RECORDER_FILEPATH"] = str(log_dir / f"moto-{port}.recording")
    log = log_dir / f"moto-{port}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [server, "-H", "127.0.0.1", "-p", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            # No preexec_fn: by now this process runs gRPC threads (the Automation API's
            # inline-program server), and Python code between fork and exec can crash there.
        )
    atexit.register(lambda: proc.kill() if proc.poll() is None else None)
    moto = MotoServer(proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(f"moto_server exited: {tail(str(log))}")
        try:
            # The dashboard-free health route; it does not count as an AWS action.
            urllib.request.urlopen(f"{moto.url}/moto-api/data.json", timeout=2).read()
            return moto
        except OSError:
            time.sleep(0.2)
    moto.stop()
    raise ServiceError(f"moto_server did not answer on {moto.url}: {tail(str(log))}")
