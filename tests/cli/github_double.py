"""A local GitHub REST double: a real HTTP server on 127.0.0.1 with the endpoints we use.

Issues comments (list, create, edit, delete), issues (get, list by label and state), issue
labels (add, remove) and repository labels (get, create), pulls (list, get), deployments (list
newest first, create), deployment statuses (list newest first, create), and workflow runs (get,
list by head sha, re-run). `fail(...)` queues canned
error answers (rate limits, 5xx) for matching requests, which are answered before the real
handler runs, like GitHub failing in front of the API.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from tests.cli.github_render import Rendering


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    times: int


NOT_FOUND: tuple[int, Any] = (404, {"message": "Not Found"})


@dataclass(frozen=True)
class Call:
    """One request as an endpoint sees it: the method, the path match, query and JSON body."""

    method: str
    match: re.Match[str]
    query: dict[str, list[str]]
    body: Any


@dataclass
class State:
    owner: str = "acme"
    repo: str = "shop"
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    reruns: list[int] = field(default_factory=list)
    next_id: int = 100
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    token: str = ""


class GitHubDouble:
    def __init__(self, token: str = "") -> None:
        self.state = State(token=token)
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"double": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> GitHubDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- scenario helpers ---------------------------------------------------------------------

    def open_pr(self, number: int, sha: str, state: str = "open") -> None:
        with self.lock:
            labels = self.state.pulls.get(number, {}).get("labels", [])
            self.state.pulls[number] = {
                "number": number,
                "state": state,
                "sha": sha,
                "labels": labels,
            }

    def add_run(self, pr: int, run_id: int, *, path: str = ".github/workflows/preview.yml") -> None:
        """A `pull_request` workflow run of the PR's current head commit."""
        with self.lock:
            sha = self.state.pulls[pr]["sha"]
            self.state.runs[run_id] = {"id": run_id, "head_sha": sha, "path": path, "pr": pr}

    def labels_of(self, pr: int) -> list[str]:
        return list(self.state.pulls[pr]["labels"])

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        message: str = "Server Error",
    ) -> None:
        with self.lock:
            self.state.faults.append(
                Fault(method, re.compile(path), status, headers or {}, {"message": message}, times)
            )

    def comments_on(self, pr: int) -> list[dict[str, Any]]:
        return [c for c in self.state.comments.values() if c["issue"] == pr]

    def statuses_of(self, env: str) -> list[str]:
        """Every status of every deployment of `env`, oldest first."""
        out: list[str] = []
        for dep_id in sorted(self.state.deployments):
            if self.state.deployments[dep_id]["environment"] == env:
                out += [s["state"] for s in self.state.statuses.get(dep_id, [])]
        return out


class _Handler(Rendering, BaseHTTPRequestHandler):
    double: GitHubDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        d = self.double
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}") if length else {}
        with d.lock:
            d.state.auth.append(self.headers.get("Authorization", ""))
            for fault in d.state.faults:
                if fault.times > 0 and fault.method == method and fault.path.search(url.path):
                    fault.times -= 1
                    d.state.log.append((method, url.path, fault.status))
                    self._send(fault.status, fault.body, fault.headers)
                    return
            if d.state.token and self.headers.get("Authorization") != f"token {d.state.token}":
                d.state.log.append((method, url.path, 401))
                self._send(401, {"message": "Bad credentials"})
                return
            self.extra_headers: dict[str, str] = {}
            status, body = self._route(method, url.path, parse_qs(url.query), payload)
            d.state.log.append((method, url.path, status))
        self._send(status, body, self.extra_headers)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        s = self.double.state
        base = f"/repos/{s.owner}/{s.repo}"
        if not path.startswith(base):
            return NOT_FOUND
        rest = path[len(base) :]
        for pattern, endpoint in _ENDPOINTS:
            if m := pattern.fullmatch(rest):
                return endpoint(self, Call(method, m, query, body))
        return NOT_FOUND

    # --- endpoints (routed by _ENDPOINTS below) -----------------------------------------------

    def _issue_get(self, c: Call) -> tuple[int, Any]:
        n = int(c.match.group(1))
        pull = self.double.state.pulls.get(n)
        if pull is None:
            return 200, {"number": n, "url": f"{self._base()}/issues/{n}", "id": n}
        return 200, self._issue(pull)

    def _issues_list(self, c: Call) -> tuple[int, Any]:
        want = c.query.get("state", ["open"])[0]
        need = set(c.query.get("labels", [""])[0].split(",")) - {""}
        found = [
            p
            for _, p in sorted(self.double.state.pulls.items())
            if want in ("all", p["state"]) and need <= set(p["labels"])
        ]
        return 200, [self._issue(p) for p in found]

    def _labels_add(self, c: Call) -> tuple[int, Any]:
        s = self.double.state
        pull = s.pulls[int(c.match.group(1))]
        # GitHub adds a label unknown to the repository to it on the fly.
        for name in c.body if isinstance(c.body, list) else c.body.get("labels", []):
            s.labels.setdefault(name, {"name": name, "color": "ededed", "description": ""})
            if name not in pull["labels"]:
                pull["labels"].append(name)
        return 200, [self._label(n) for n in pull["labels"]]

    def _label_remove(self, c: Call) -> tuple[int, Any]:
        pull = self.double.state.pulls[int(c.match.group(1))]
        name = unquote(c.match.group(2))
        if name not in pull["labels"]:
            return 404, {"message": "Label does not exist"}
        pull["labels"].remove(name)
        return 200, [self._label(n) for n in pull["labels"]]

    def _label_create(self, c: Call) -> tuple[int, Any]:
        s = self.double.state
        if c.method != "POST":
            return NOT_FOUND
        if c.body["name"] in s.labels:
            return 422, {"message": "Validation Failed"}
        s.labels[c.body["name"]] = {"description": "", **c.body}
        return 201, self._label(c.body["name"])

    def _label_get(self, c: Call) -> tuple[int, Any]:
        name = unquote(c.match.group(1))
        return (200, self._label(name)) if name in self.double.state.labels else NOT_FOUND

    def _runs_list(self, c: Call) -> tuple[int, Any]:
        sha = c.query.get("head_sha", [None])[0]
        runs = [r for r in self.double.state.runs.values() if sha in (None, r["head_sha"])]
        items = [self._run(r) for r in sorted(runs, key=_id, reverse=True)]
        return 200, {"total_count": len(items), "workflow_runs": items}

    def _run_get_or_rerun(self, c: Call) -> tuple[int, Any]:
        s = self.double.state
        run = s.runs.get(int(c.match.group(1)))
        if run is None:
            return NOT_FOUND
        if c.match.group(2) and c.method == "POST":
            s.reruns.append(run["id"])
            return 201, {}
        return 200, self._run(run)

    def _comments(self, c: Call) -> tuple[int, Any]:
        s = self.double.state
        n = int(c.match.group(1))
        if c.method == "GET":
            ours = sorted((x for x in s.comments.values() if x["issue"] == n), key=_id)
            return 200, [self._comment(x) for x in ours]
        s.next_id += 1
        s.comments[s.next_id] = {"id": s.next_id, "issue": n, "body": c.body["body"]}
        return 201, self._comment(s.comments[s.next_id])

    def _comment_by_id(self, c: Call) -> tuple[int, Any]:
        s = self.double.state
        cid = int(c.match.group(1))
        if cid not in s.comments:
            return NOT_FOUND
        if c.method == "DELETE":
            del s.comments[cid]
            return 204, None
        if c.method == "PATCH":
            s.comments[cid]["body"] = c.body["body"]
        return 200, self._comment(s.comments[cid])

    def _pulls_list(self, c: Call) -> tuple[int, Any]:
        want = c.query.get("state", ["open"])[0]
        state = self.double.state
        pulls = [p for n, p in sorted(state.pulls.items()) if want in ("all", p["state"])]
        # Paginated like GitHub: per_page (default 30) and a Link header to the next page.
        page = int(c.query.get("page", ["1"])[0])
        per_page = int(c.query.get("per_page", ["30"])[0])
        chunk = pulls[(page - 1) * per_page : page * per_page]
        if page * per_page < len(pulls):
            nxt = f"{self._base()}/pulls?state={want}&per_page={per_page}&page={page + 1}"
            self.extra_headers["Link"] = f'<{nxt}>; rel="next"'
        return 200, [self._pull(p) for p in chunk]

    def _pull_get(self, c: Call) -> tuple[int, Any]:
        pull = self.double.state.pulls.get(int(c.match.group(1)))
        return (200, self._pull(pull)) if pull else NOT_FOUND

    def _deployments(self, c: Call) -> tuple[int, Any]:
        s = self.double.state
        if c.method == "POST":
            s.next_id += 1
            s.deployments[s.next_id] = {
                "id": s.next_id,
                "sha": c.body["ref"],
                "ref": c.body["ref"],
                "environment": c.body.get("environment", "production"),
                "task": c.body.get("task", "deploy"),
                "transient_environment": c.body.get("transient_environment", False),
            }
            return 201, self._deployment(s.deployments[s.next_id])
        env = c.query.get("environment", [None])[0]
        deps = [d for d in s.deployments.values() if env in (None, d["environment"])]
        return 200, [self._deployment(d) for d in sorted(deps, key=_id, reverse=True)]

    def _statuses(self, c: Call) -> tuple[int, Any]:
        s = self.double.state
        dep_id = int(c.match.group(1))
        if dep_id not in s.deployments:
            return NOT_FOUND
        if c.method == "POST":
            s.next_id += 1
            status = {"id": s.next_id, **c.body}
            s.statuses.setdefault(dep_id, []).append(status)
            return 201, {**status, "url": f"{self._base()}/deployments/{dep_id}/statuses"}
        return 200, list(reversed(s.statuses.get(dep_id, [])))


Endpoint = Callable[[_Handler, Call], tuple[int, Any]]
# Path below /repos/<owner>/<repo> (matched whole) -> its endpoint.
_ENDPOINTS: list[tuple[re.Pattern[str], Endpoint]] = [
    (re.compile(pattern), endpoint)
    for pattern, endpoint in (
        (r"/issues/(\d+)", _Handler._issue_get),
        (r"/issues", _Handler._issues_list),
        (r"/issues/(\d+)/labels", _Handler._labels_add),
        (r"/issues/(\d+)/labels/(.+)", _Handler._label_remove),
        (r"/labels", _Handler._label_create),
        (r"/labels/(.+)", _Handler._label_get),
        (r"/actions/runs", _Handler._runs_list),
        (r"/actions/runs/(\d+)(/rerun)?", _Handler._run_get_or_rerun),
        (r"/issues/(\d+)/comments", _Handler._comments),
        (r"/issues/comments/(\d+)", _Handler._comment_by_id),
        (r"/pulls", _Handler._pulls_list),
        (r"/pulls/(\d+)", _Handler._pull_get),
        (r"/deployments", _Handler._deployments),
        (r"/deployments/(\d+)/statuses", _Handler._statuses),
    )
]


def _id(item: dict[str, Any]) -> int:
    return int(item["id"])
