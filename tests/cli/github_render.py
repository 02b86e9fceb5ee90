"""How the GitHub double renders its resources: the JSON GitHub answers with, URLs included."""

from __future__ import annotations

from typing import Any


class Rendering:
    """Mixed into the double's request handler, which sets `double` (the GitHubDouble)."""

    double: Any

    def _base(self) -> str:
        s = self.double.state
        return f"{self.double.url}/repos/{s.owner}/{s.repo}"

    def _comment(self, c: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": c["id"],
            "body": c["body"],
            "url": f"{self._base()}/issues/comments/{c['id']}",
            "issue_url": f"{self._base()}/issues/{c['issue']}",
        }

    def _pull(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "number": p["number"],
            "state": p["state"],
            "url": f"{self._base()}/pulls/{p['number']}",
            "head": {"sha": p["sha"], "ref": f"branch-{p['number']}"},
        }

    def _issue(self, p: dict[str, Any]) -> dict[str, Any]:
        n = p["number"]
        return {
            "id": n,
            "number": n,
            "state": p["state"],
            "url": f"{self._base()}/issues/{n}",
            "labels": [self._label(name) for name in p["labels"]],
            "pull_request": {"url": f"{self._base()}/pulls/{n}"},
        }

    def _label(self, name: str) -> dict[str, Any]:
        label = self.double.state.labels.get(name, {"name": name, "color": "ededed"})
        return {**label, "url": f"{self._base()}/labels/{name}"}

    def _run(self, r: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._base()}/actions/runs/{r['id']}"
        return {
            "id": r["id"],
            "head_sha": r["head_sha"],
            "path": r["path"],
            "event": "pull_request",
            "url": url,
            "rerun_url": f"{url}/rerun",
        }

    def _deployment(self, d: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._base()}/deployments/{d['id']}"
        return {**d, "url": url, "statuses_url": f"{url}/statuses"}
