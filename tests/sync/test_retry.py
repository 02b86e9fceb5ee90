"""Backpressure: 429/5xx answers to `_bulk` are retried with backoff, not treated as data errors."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from preview.sync.engine import Options, make_client, run_sync

pytestmark = pytest.mark.services


class _Throttle:
    """An HTTP proxy in front of the real node that answers the first `n` _bulk calls itself."""

    def __init__(self, upstream: str, refuse: list[int]) -> None:
        self.upstream = upstream
        self.refuse = list(refuse)  # status codes for the next _bulk calls
        self.refused = 0
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        throttle = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if "_bulk" in self.path:
                    with throttle.lock:
                        status = throttle.refuse.pop(0) if throttle.refuse else None
                        throttle.refused += status is not None
                    if status is not None:
                        payload = b'{"error":{"type":"es_rejected_execution_exception"}}'
                        self.send_response(status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                req = urllib.request.Request(
                    throttle.upstream + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        code, data, ctype = resp.status, resp.read(), resp.headers["Content-Type"]
                except urllib.error.HTTPError as err:
                    code, data, ctype = err.code, err.read(), err.headers["Content-Type"]
                self.send_response(code)
                self.send_header("Content-Type", ctype or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        return Handler


@pytest.fixture
def throttle(opensearch_url: str) -> Iterator[tuple[_Throttle, str]]:
    t = _Throttle(opensearch_url, [429, 503, 429])
    server = ThreadingHTTPServer(("127.0.0.1", 0), t.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield t, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_throttled_bulk_requests_are_retried_until_complete(
    seeded, client, prefix, spec, throttle
) -> None:
    """Three refused _bulk calls (429, 503, 429) cost retries, never documents."""
    proxy, url = throttle
    opts = Options(chunk_size=100, parallelism=2, batch=100, backoff=0.01)
    summary = run_sync(
        spec, seeded, make_client(url), prefix, only=["responses"], opts=opts, progress=print
    )
    assert proxy.refused == 3
    assert summary["indices"][0]["retries"] == 3
    assert int(client.count(index=f"{prefix}responses")["count"]) == summary["rows"] > 0


def test_endless_throttling_gives_up_and_leaves_nothing(
    seeded, client, prefix, spec, throttle
) -> None:
    """When the domain never accepts writes the run fails as unavailable, with no index left."""
    from contracts.errors import UnavailableError

    proxy, url = throttle
    proxy.refuse = [429] * 1000
    opts = Options(chunk_size=100, parallelism=2, batch=100, backoff=0.001, max_retries=3)
    with pytest.raises(UnavailableError, match="refusing writes"):
        run_sync(spec, seeded, make_client(url), prefix, only=["responses"], opts=opts)
    # HEAD on a wildcard answers 200 even when nothing matches, so list instead.
    left = client.indices.get(index=f"{prefix}*", params={"allow_no_indices": "true"})
    assert left == {}
