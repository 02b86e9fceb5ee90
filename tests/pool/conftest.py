"""moto's DynamoDB as a real HTTP server in its own process, and a claims table in it.

The double and the rule it must share with AWS: DynamoDB evaluates a ConditionExpression and
writes the item as one atomic step ("Condition expressions", DynamoDB Developer Guide; the basis
of optimistic locking). moto's backend takes no lock between the check and the write, so under
a threaded server two requests could interleave there and a double claim would be moto's, not
ours. The server therefore runs single-threaded (werkzeug `threaded=False`): each request, and
so each condition check + write, completes before the next starts, which is exactly the
per-item atomicity AWS gives. The race between claimers (scan, choose, conditional write) stays
real: they are separate processes interleaving their requests freely.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from preview.pool import DynamoClaims
from tests.services._process import die_with_parent, free_port

REGION = "us-east-1"
_SERVER = """
import sys
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app,
)
app = DomainDispatcherApplication(create_backend_app)
make_server("127.0.0.1", int(sys.argv[1]), app, threaded=False,
            request_handler=MotoRequestHandler).serve_forever()
"""


def _wait(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(
                f"moto server exited ({proc.returncode}): {out[-2000:]}\n"
                "  fix: pip install -e '.[dev]' (moto[server] is a dev dependency)"
            )
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"moto server did not listen on {port} within {timeout}s")


@pytest.fixture(scope="session")
def dynamo_endpoint() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent(),
    )
    try:
        _wait(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def dynamo_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def make_table(
    dynamo_endpoint: str, request: pytest.FixtureRequest
) -> Iterator[Callable[[], DynamoClaims]]:
    """A fresh, empty claims table per call (named after the test)."""
    made: list[str] = []

    def make() -> DynamoClaims:
        client = dynamo_client(dynamo_endpoint)
        name = f"pp-pool-{request.node.name[:40]}-{len(made)}".replace("[", "-").replace("]", "")
        client.create_table(TableName=name, **DynamoClaims.key_schema())
        made.append(name)
        return DynamoClaims(client, name)

    yield make
    client = dynamo_client(dynamo_endpoint)
    for name in made:
        client.delete_table(TableName=name)


@pytest.fixture
def store(make_table: Callable[[], DynamoClaims]) -> DynamoClaims:
    return make_table()
