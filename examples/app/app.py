"""Reference app: what an adopter's app must expose for the preview smoke gate.

A small WSGI app over the survey schema of examples/seed.py:

    GET /livez         liveness: 200 {"status": "ok"} while the process serves; touches neither
                       the database nor search (the load balancer checks it every 15 s, so a
                       paused Aurora clone stays paused)
    GET /health        readiness: {"status": "ok", "sha": APP_SHA, "checks": {...}}; 503 when the
                       DB is down (the smoke gate waits on it)
    GET /              HTML home page (tenant and survey counts)
    GET /api/surveys   JSON: latest surveys with their response counts (reads the database)
    GET /api/search?q= JSON: matching responses from the search index (reads OpenSearch)

Configuration comes from the environment the preview stack sets on the container:
    DATABASE_URL                 SQLAlchemy URL; or DB_HOST, DB_NAME, DB_USER, DB_PASSWORD, DB_PORT
    SEARCH_URL                   OpenSearch endpoint (SigV4-signed when AWS_REGION is set and the
                                 host is an AWS domain)
    SEARCH_INDEX_PREFIX          index prefix of this preview, e.g. "pr-12-"
    SEARCH_INDEX                 index name after the prefix [responses]
    APP_SHA                      commit the image was built from

Misbehaviour switch, so tests can prove the smoke gate catches each case:
    APP_FAULTS=db-error,stale-sha,slow,login-redirect   (comma-separated; `App.faults` at runtime)
      db-error        /api/surveys runs a broken query: HTTP 500
      stale-sha       /health reports APP_STALE_SHA (an older deployment still serving)
      slow            every response is delayed by APP_SLOW_SECONDS [2.5]
      login-redirect  every path answers 302 to /login, as an auth proxy in front of the app would
"""

from __future__ import annotations

import html
import json
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import sqlalchemy as sa

FAULTS = frozenset({"db-error", "stale-sha", "slow", "login-redirect"})
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the environment variable."""


@dataclass
class Settings:
    database_url: str
    search_url: str
    index_prefix: str = ""
    search_index: str = "responses"
    sha: str = "unknown"
    stale_sha: str = "0" * 40
    slow_seconds: float = 2.5
    faults: set[str] = field(default_factory=set)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        url = env.get("DATABASE_URL", "")
        if not url:
            host = env.get("DB_HOST", "")
            if not host:
                raise ConfigError(
                    "set DATABASE_URL, or DB_HOST and DB_NAME (+ DB_USER, DB_PASSWORD)"
                )
            user = quote(env.get("DB_USER", "app"), safe="")
            password = quote(env.get("DB_PASSWORD", ""), safe="")
            auth = f"{user}:{password}" if password else user
            port = env.get("DB_PORT", "3306")
            url = (
                f"mysql+pymysql://{auth}@{host}:{port}/{env.get('DB_NAME', 'app')}?charset=utf8mb4"
            )
        search_url = env.get("SEARCH_URL", "")
        if not search_url.startswith(("http://", "https://")):
            raise ConfigError(f"SEARCH_URL must be an http(s) URL, got {search_url!r}")
        faults = {f.strip() for f in env.get("APP_FAULTS", "").split(",") if f.strip()}
        unknown = faults - FAULTS
        if unknown:
            raise ConfigError(f"APP_FAULTS has unknown {sorted(unknown)}; known: {sorted(FAULTS)}")
        return cls(
            database_url=url,
            search_url=search_url,
            index_prefix=env.get("SEARCH_INDEX_PREFIX", ""),
            search_index=env.get("SEARCH_INDEX", "responses"),
            sha=env.get("APP_SHA", "unknown"),
            stale_sha=env.get("APP_STALE_SHA", "0" * 40),
            slow_seconds=float(env.get("APP_SLOW_SECONDS", "2.5")),
            faults=faults,
        )


def _search_client(url: str) -> Any:
    from opensearchpy import OpenSearch, RequestsHttpConnection

    host = urlsplit(url).hostname or ""
    region = os.environ.get("AWS_REGION", "")
    if region and host.endswith(".amazonaws.com"):
        import boto3
        from opensearchpy import RequestsAWSV4SignerAuth

        auth = RequestsAWSV4SignerAuth(boto3.Session().get_credentials(), region, "es")
        return OpenSearch(
            hosts=[url], http_auth=auth, connection_class=RequestsHttpConnection, timeout=10
        )
    return OpenSearch(hosts=[url], timeout=10)


class App:
    """The WSGI application. `faults` may be changed while it serves."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.faults: set[str] = set(settings.faults)
        self.engine = sa.create_engine(settings.database_url, pool_pre_ping=True, pool_size=4)
        self.search = _search_client(settings.search_url)
        self.routes: dict[str, Callable[[dict[str, Any]], tuple[int, str, bytes]]] = {
            "/livez": self.livez,
            "/health": self.health,
            "/": self.home,
            "/api/surveys": self.surveys,
            "/api/search": self.search_responses,
        }

    @property
    def index(self) -> str:
        return f"{self.settings.index_prefix}{self.settings.search_index}"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if "slow" in self.faults:
            time.sleep(self.settings.slow_seconds)
        path = environ.get("PATH_INFO") or "/"
        if "login-redirect" in self.faults and path != "/login":
            start_response("302 Found", [("Location", f"/login?next={quote(path)}")])
            return [b""]
        route = self.routes.get(path)
        if route is None:
            status, content_type, body = 404, "application/json", _json({"error": "not found"})
        else:
            try:
                status, content_type, body = route(environ)
            except Exception as exc:  # one bad request must not take the app down
                status, content_type = 500, "application/json"
                body = _json({"error": type(exc).__name__, "detail": str(exc)[:500]})
        start_response(
            f"{status} {_REASONS.get(status, 'Status')}",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    def livez(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        # Liveness only: no database or search call, so health checks never wake the DB.
        return 200, "application/json", _json({"status": "ok"})

    def health(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        checks = {"database": "ok", "search": "ok"}
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        if not self._search_answers():
            checks["search"] = "error: unreachable"
        ok = all(value == "ok" for value in checks.values())
        sha = self.settings.stale_sha if "stale-sha" in self.faults else self.settings.sha
        body = {"status": "ok" if ok else "error", "sha": sha, "checks": checks}
        return (200 if ok else 503), "application/json", _json(body)

    def _search_answers(self) -> bool:
        """HEAD /<own index>: the domain answers and admits this task. Not `ping` (HEAD /): AWS
        authorizes it on the domain root, which a task granted only its own indices may not
        call. 404 (not seeded yet) counts as answering, or a fresh preview would never turn
        healthy; 403 or no answer does not."""
        try:
            self.search.indices.exists(index=self.index)
        except Exception:
            return False
        return True

    def home(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        with self.engine.connect() as conn:
            tenants = conn.execute(sa.text("SELECT COUNT(*) FROM tenants")).scalar_one()
            surveys = conn.execute(sa.text("SELECT COUNT(*) FROM surveys")).scalar_one()
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Surveys</title></head>"
            f"<body><h1>Surveys</h1><p>{tenants} tenants, {surveys} surveys.</p>"
            f"<p>Build {html.escape(self.settings.sha)}</p></body></html>"
        )
        return 200, "text/html; charset=utf-8", page.encode()

    def surveys(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        table = "surveys_missing" if "db-error" in self.faults else "surveys"
        query = sa.text(
            f"SELECT s.id, s.title, COUNT(r.id) AS responses FROM {table} s "
            "LEFT JOIN responses r ON r.survey_id = s.id "
            "GROUP BY s.id, s.title ORDER BY s.id DESC LIMIT 20"
        )
        with self.engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        return 200, "application/json", _json({"items": rows})

    def search_responses(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        params = parse_qs(environ.get("QUERY_STRING", ""))
        q = (params.get("q") or [""])[0].strip()
        if not q:
            return 400, "application/json", _json({"error": "missing query parameter q"})
        result = self.search.search(
            index=self.index,
            body={"query": {"simple_query_string": {"query": q}}, "size": 20},
        )
        hits = [{"id": hit["_id"], **hit["_source"]} for hit in result["hits"]["hits"]]
        total = result["hits"]["total"]
        total = total["value"] if isinstance(total, dict) else total
        return 200, "application/json", _json({"total": total, "hits": hits})


_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _json(value: Any) -> bytes:
    return json.dumps(value, default=str, ensure_ascii=False).encode()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(
    app: App, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
) -> tuple[WSGIServer, threading.Thread]:
    """Serve `app` from a background thread; returns the server (its port) and the thread.

    With `tls` (a server-side context) it serves HTTPS, as the load balancer does in front of it.
    """
    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        server.base_environ["HTTPS"] = "on"
    thread = threading.Thread(target=server.serve_forever, name="reference-app", daemon=True)
    thread.start()
    return server, thread


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Reference app of the preview smoke gate.")
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None
    server = make_server(args.host, args.port, App(settings), server_class=_Server)
    print(f"serving on http://{args.host}:{args.port} (sha {settings.sha})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
