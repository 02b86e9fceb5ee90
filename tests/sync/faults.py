"""A fault-injecting HTTP proxy in front of the real OpenSearch node.

`rule(method, path)` decides per request: None forwards it; "lose-reply" forwards it and then
closes the connection without answering (the request took effect, the reply never arrived);
"drop" closes without forwarding (the request never took effect); a status code answers in the
node's place with a rejection (`es_rejected_execution_exception`, as an overloaded node does).
A closed connection is what opensearch-py reports as ConnectionError, as it would for a load
balancer resetting the stream.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Rule = Callable[[str, str], str | int | None]
REJECTED = b'{"error":{"type":"es_rejected_execution_exception"}}'


class FaultProxy:
    def __init__(self, upstream: str, rule: Rule) -> None:
        self.upstream = upstream
        self.rule = rule
        self.seen: list[tuple[str, str, str]] = []  # (method, path, what happened)
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    action = proxy.rule(self.command, self.path)
                    proxy.seen.append((self.command, self.path, str(action or "forward")))
                if action == "drop":
                    self.close_connection = True
                    return
                if isinstance(action, int):
                    self._answer(action, REJECTED, "application/json")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                req = urllib.request.Request(
                    proxy.upstream + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        code, data, ctype = resp.status, resp.read(), resp.headers["Content-Type"]
                except urllib.error.HTTPError as err:
                    code, data, ctype = err.code, err.read(), err.headers["Content-Type"]
                if action == "lose-reply":
                    self.close_connection = True
                    return
                self._answer(code, data, ctype or "application/json")

            def _answer(self, code: int, data: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        return Handler


@contextmanager
def fault_proxy(upstream: str, rule: Rule) -> Iterator[tuple[FaultProxy, str]]:
    proxy = FaultProxy(upstream, rule)
    server = ThreadingHTTPServer(("127.0.0.1", 0), proxy.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
