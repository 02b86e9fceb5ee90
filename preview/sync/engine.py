"""Build, verify and publish OpenSearch indices from database rows.

Full run, per index:  create `<prefix><name>-<ts>` (explicit mapping, 0 replicas, refresh off)
→ stream rows → parallel `_bulk` (retry 429/5xx with backoff) → restore replicas/refresh → refresh
→ verify count == rows read → move `<prefix><name>` to it → delete older versions. Every call
is index-scoped (`/<prefix>.../...`), the only paths a preview's role is granted on a shared
domain. Any rejected document or failed check deletes the new index and leaves the alias
untouched, so a reader only ever sees complete indices. Incremental run: upsert rows with
updated_at >= the watermark stored in the live index's `_meta`, then advance it.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from opensearchpy import OpenSearch
from opensearchpy.exceptions import (
    ConnectionError as OSConnectionError,
)
from opensearchpy.exceptions import (
    NotFoundError,
    TransportError,
)

from contracts.errors import PreviewError, UnavailableError, UsageError
from preview.sync.source import build_select, document_builder, stream_rows
from preview.sync.spec import IndexSpec, SyncSpec

META_KEY = "preview_sync"
RETRY_STATUS = {429, 502, 503, 504}
_INDEX_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,60}$")

Progress = Callable[[str], None]


class SyncFailed(PreviewError):
    """The run stopped; nothing a reader sees changed. `summary` holds the counts."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str, summary: dict[str, Any]) -> None:
        super().__init__(message, hint=hint)
        self.summary = summary


@dataclass
class Options:
    chunk_size: int = 2000  # documents per _bulk request
    max_chunk_bytes: int = 8 * 1024 * 1024
    parallelism: int = 4  # _bulk requests in flight
    batch: int = 5000  # rows per server-side cursor fetch
    max_retries: int = 6
    backoff: float = 0.5  # first retry delay, doubled each time, capped at 30s
    first_errors: int = 5


@dataclass
class IndexResult:
    name: str
    alias: str
    index: str
    mode: str
    rows: int = 0
    docs: int = 0
    seconds: float = 0.0
    rows_per_s: float = 0.0
    retries: int = 0
    deleted: list[str] = field(default_factory=list)
    watermark: str | None = None


def stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def check_prefix(prefix: str) -> str:
    if not _INDEX_PREFIX.match(prefix):
        raise UsageError(
            f"index prefix {prefix!r} is not usable",
            hint="set PREVIEW_SYNC_INDEX_PREFIX / --prefix to lowercase letters, digits and '-', "
            "e.g. pr-123-",
        )
    return prefix


def make_client(url: str, *, aws_region: str | None = None, pool: int = 8) -> OpenSearch:
    """opensearch-py client: SigV4-signed (service "es") when a region is given, else plain HTTP."""
    from urllib.parse import urlparse

    parts = urlparse(url if "://" in url else f"https://{url}")
    if not parts.hostname:
        raise UsageError(
            f"OpenSearch URL {url!r} has no host", hint="set PREVIEW_SYNC_OPENSEARCH_URL"
        )
    ssl = parts.scheme == "https"
    host = {"host": parts.hostname, "port": parts.port or (443 if ssl else 80)}
    common: dict[str, Any] = {
        "hosts": [host],
        "use_ssl": ssl,
        "verify_certs": ssl,
        "timeout": 120,
        "max_retries": 0,  # we retry ourselves, with backoff, per chunk
        "pool_maxsize": pool,
        "http_compress": False,
    }
    if aws_region:
        import boto3
        from opensearchpy import RequestsAWSV4SignerAuth, RequestsHttpConnection

        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise UnavailableError(
                "no AWS credentials for SigV4", hint="run with a task role or AWS_PROFILE set"
            )
        auth = RequestsAWSV4SignerAuth(credentials, aws_region, "es")
        return OpenSearch(http_auth=auth, connection_class=RequestsHttpConnection, **common)
    if parts.username:
        common["http_auth"] = (parts.username, parts.password or "")
    return OpenSearch(**common)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "isoformat"):  # time
        return value.isoformat()
    return str(value)


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode


class _Chunk:
    """Prebuilt NDJSON lines for one _bulk request, kept per item so failed items can be resent."""

    __slots__ = ("ids", "lines", "size")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lines: list[bytes] = []
        self.size = 0

    def add(self, doc_id: str, doc: dict[str, Any]) -> None:
        line = (
            b'{"index":{"_id":' + _dumps(doc_id).encode() + b"}}\n" + _dumps(doc).encode() + b"\n"
        )
        self.ids.append(doc_id)
        self.lines.append(line)
        self.size += len(line)


class BulkSender:
    """Sends chunks to one index with bounded parallelism; the first rejection stops everything."""

    def __init__(self, client: OpenSearch, index: str, opts: Options) -> None:
        self.client = client
        self.index = index
        self.opts = opts
        self.pool = ThreadPoolExecutor(max_workers=opts.parallelism, thread_name_prefix="bulk")
        self.inflight: set[Future[None]] = set()
        self.failed = threading.Event()
        self.errors: list[dict[str, Any]] = []
        self.rejected = 0
        self.indexed = 0
        self.retries = 0
        self.fatal: BaseException | None = None
        self._lock = threading.Lock()

    def submit(self, chunk: _Chunk) -> None:
        # Bound the queue: with at most 2x parallelism chunks alive, memory stays flat.
        while len(self.inflight) >= 2 * self.opts.parallelism:
            done, self.inflight = wait(self.inflight, return_when=FIRST_COMPLETED)
            for f in done:
                f.result()
        self.inflight.add(self.pool.submit(self._send, chunk))

    def finish(self) -> None:
        for f in self.inflight:
            f.result()
        self.inflight.clear()
        self.pool.shutdown(wait=True)

    def _send(self, chunk: _Chunk) -> None:
        try:
            self._send_with_retries(chunk)
        except BaseException as exc:
            with self._lock:
                self.fatal = self.fatal or exc
            self.failed.set()

    def _send_with_retries(self, chunk: _Chunk) -> None:
        pending = list(range(len(chunk.ids)))
        attempt = 0
        while pending and not self.failed.is_set():
            body = b"".join(chunk.lines[i] for i in pending)
            try:
                resp = self.client.bulk(
                    body=body,
                    index=self.index,
                    params={"filter_path": "errors,items.*.status,items.*.error"},
                )
            except (OSConnectionError, TransportError) as exc:
                status = exc.status_code if isinstance(exc.status_code, int) else None
                if isinstance(exc, OSConnectionError) or status in RETRY_STATUS:
                    attempt = self._backoff(attempt, f"_bulk answered {status or exc}")
                    continue
                raise
            if not resp.get("errors"):
                with self._lock:
                    self.indexed += len(pending)
                return
            retry: list[int] = []
            for pos, item in zip(pending, resp["items"], strict=True):
                result = next(iter(item.values()))
                status = result.get("status", 0)
                if status < 300:
                    with self._lock:
                        self.indexed += 1
                elif status in RETRY_STATUS:
                    retry.append(pos)
                else:
                    self._reject(chunk.ids[pos], status, result.get("error"))
            if self.failed.is_set():
                return
            if retry:
                attempt = self._backoff(attempt, f"{len(retry)} documents answered 429/5xx")
            pending = retry

    def _backoff(self, attempt: int, why: str) -> int:
        if attempt >= self.opts.max_retries:
            raise UnavailableError(
                f"OpenSearch kept refusing writes after {attempt} retries ({why})",
                hint="the domain is overloaded: lower --parallelism/--chunk-size or retry later",
            )
        with self._lock:
            self.retries += 1
        time.sleep(min(30.0, self.opts.backoff * 2**attempt))
        return attempt + 1

    def _reject(self, doc_id: str, status: int, error: Any) -> None:
        with self._lock:
            self.rejected += 1
            if len(self.errors) < self.opts.first_errors:
                err: dict[str, Any] = error if isinstance(error, dict) else {"reason": str(error)}
                cause = err.get("caused_by")
                self.errors.append(
                    {
                        "id": doc_id,
                        "status": status,
                        "type": err.get("type"),
                        "reason": err.get("reason"),
                        "caused_by": cause.get("reason") if isinstance(cause, dict) else None,
                    }
                )
        self.failed.set()


def _load(
    spec: IndexSpec,
    engine: sa.Engine,
    client: OpenSearch,
    index: str,
    since: datetime | None,
    opts: Options,
    progress: Progress,
    label: str,
) -> tuple[int, BulkSender, datetime | None]:
    """Stream the rows into `index`; returns (rows read, sender, max updated_at seen)."""
    sender = BulkSender(client, index, opts)
    rows = 0
    watermark: datetime | None = None
    started = last = time.monotonic()
    build = None
    wm_pos = -1
    chunk = _Chunk()
    try:
        for keys, part in stream_rows(
            engine, build_select(spec, engine.dialect, since), opts.batch
        ):
            if build is None:
                build = document_builder(spec, keys)
                wm_pos = keys.index(spec.updated_at_column) if spec.updated_at_column else -1
            if sender.failed.is_set():
                break
            for row in part:
                doc_id, doc = build(row)
                chunk.add(doc_id, doc)
                if wm_pos >= 0:
                    value = row[wm_pos]
                    if value is not None and (watermark is None or value > watermark):
                        watermark = value
                if len(chunk.ids) >= opts.chunk_size or chunk.size >= opts.max_chunk_bytes:
                    sender.submit(chunk)
                    chunk = _Chunk()
            rows += len(part)
            now = time.monotonic()
            if now - last >= 2.0:
                last = now
                progress(f"{label}: {rows} rows read, {rows / (now - started):,.0f} rows/s")
        if chunk.ids and not sender.failed.is_set():
            sender.submit(chunk)
    finally:
        sender.finish()
    if sender.fatal is not None:
        raise sender.fatal
    if isinstance(watermark, str):  # PyMySQL fast path hands DATETIMEs over as ISO text
        watermark = datetime.fromisoformat(watermark)
    return rows, sender, watermark


def _version_pattern(prefix: str, name: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix + name)}-\d{{20}}$")


def _versions(client: OpenSearch, prefix: str, name: str) -> list[str]:
    pattern = _version_pattern(prefix, name)
    try:
        found = client.indices.get(index=f"{prefix}{name}-*", params={"expand_wildcards": "all"})
    except NotFoundError:
        return []
    return sorted(i for i in found if pattern.match(i))


def _alias_holders(client: OpenSearch, alias: str) -> list[str]:
    # GET /<alias>/_alias/<alias>, not GET /_alias/<alias>: AWS authorizes a request on
    # `domain/<name>/<path>`, and a preview's role is granted its own `<prefix>*` paths only.
    try:
        return sorted(client.indices.get_alias(index=alias, name=alias))
    except NotFoundError:
        return []


def _move_alias(client: OpenSearch, alias: str, index: str, holders: list[str]) -> None:
    """Point `alias` at `index` only, with index-scoped calls.

    POST /_aliases would swap atomically, but it is a cluster-level path: granting it lets a
    role move or remove any alias (and index) of the shared domain, other previews' included.
    So: add first (PUT /<index>/_alias/<alias>), then remove from the old holders; for that
    moment the alias reads two complete versions, never a missing or partial one.
    """
    client.indices.put_alias(index=index, name=alias)
    for old in holders:
        if old != index:
            # NotFound: removed meanwhile (its index deleted), which is the goal.
            with contextlib.suppress(NotFoundError):
                client.indices.delete_alias(index=old, name=alias)


def _meta(
    spec: IndexSpec, rows: int, watermark: datetime | str | None, built: str
) -> dict[str, Any]:
    wm = watermark.isoformat() if isinstance(watermark, datetime) else watermark
    return {META_KEY: {"name": spec.name, "rows": rows, "watermark": wm, "built_at": built}}


def full_sync_index(
    spec: IndexSpec,
    engine: sa.Engine,
    client: OpenSearch,
    prefix: str,
    opts: Options,
    progress: Progress = stderr_progress,
) -> IndexResult:
    alias = f"{prefix}{spec.name}"
    now = datetime.now(UTC)
    index = f"{alias}-{now.strftime('%Y%m%d%H%M%S%f')}"
    result = IndexResult(name=spec.name, alias=alias, index=index, mode="full")
    if client.indices.exists(index=alias) and not _alias_holders(client, alias):
        raise UsageError(
            f"{alias} is a concrete index, so the alias cannot be created",
            hint=f"delete index {alias} (or run `preview sync --delete-prefix`) and re-run",
        )
    body = {
        "settings": {
            "index": {
                "number_of_shards": spec.settings.number_of_shards,
                "number_of_replicas": 0,
                "refresh_interval": "-1",
            }
        },
        "mappings": {**spec.mapping, "_meta": _meta(spec, 0, None, now.isoformat())},
    }
    try:
        client.indices.create(index=index, body=body)
    except TransportError as exc:
        if exc.status_code == 400:
            raise UsageError(
                f"index {spec.name}: OpenSearch rejected the mapping/settings: {_reason(exc)}",
                hint="fix `mapping`/`settings` of this index in the spec",
            ) from None
        raise
    started = time.monotonic()
    try:
        rows, sender, watermark = _load(
            spec, engine, client, index, None, opts, progress, f"{spec.name} (full)"
        )
        result.rows, result.retries = rows, sender.retries
        if sender.rejected:
            raise SyncFailed(
                f"index {spec.name}: OpenSearch rejected {sender.rejected} document(s) "
                f"({sender.indexed} indexed, {rows} rows read); first errors: "
                + json.dumps(sender.errors, ensure_ascii=False),
                hint="the mapping does not fit the data: fix `mapping`/`transforms` in the spec",
                summary={**asdict(result), "errors": sender.errors, "rejected": sender.rejected},
            )
        client.indices.put_settings(
            index=index,
            body={
                "index": {
                    "number_of_replicas": spec.settings.number_of_replicas,
                    "refresh_interval": spec.settings.refresh_interval,
                }
            },
        )
        client.indices.refresh(index=index)
        result.docs = int(client.count(index=index)["count"])
        if result.docs != rows:
            raise SyncFailed(
                f"index {spec.name}: {result.docs} documents after loading {rows} rows",
                hint=f"`id_column` {spec.id_column!r} must be unique per row; fix it in the spec",
                summary=asdict(result),
            )
        meta = _meta(spec, rows, watermark, now.isoformat())
        client.indices.put_mapping(index=index, body={"_meta": meta})
        result.watermark = meta[META_KEY]["watermark"]
        _move_alias(client, alias, index, _alias_holders(client, alias))
    except BaseException:
        _delete_quietly(client, index)
        raise
    result.seconds = round(time.monotonic() - started, 3)
    result.rows_per_s = round(rows / result.seconds, 1) if result.seconds else 0.0
    for old in _versions(client, prefix, spec.name):
        if old != index:
            client.indices.delete(index=old)
            result.deleted.append(old)
    progress(
        f"{spec.name} (full): {rows} rows → {index} in {result.seconds:.1f}s "
        f"({result.rows_per_s:,.0f} rows/s); alias {alias} moved"
    )
    return result


def incremental_sync_index(
    spec: IndexSpec,
    engine: sa.Engine,
    client: OpenSearch,
    prefix: str,
    opts: Options,
    progress: Progress = stderr_progress,
) -> IndexResult:
    alias = f"{prefix}{spec.name}"
    if spec.updated_at_column is None:
        raise UsageError(
            f"index {spec.name} has no `updated_at_column`, so it cannot run incrementally",
            hint="add updated_at_column to the spec, or run without --incremental",
        )
    holders = _alias_holders(client, alias)
    if len(holders) != 1:
        raise UsageError(
            f"alias {alias} points to {len(holders)} indices; incremental runs need exactly one",
            hint="run a full `preview sync` first",
        )
    index = holders[0]
    mapping = client.indices.get_mapping(index=index)[index]["mappings"]
    stored = (mapping.get("_meta") or {}).get(META_KEY) or {}
    since = datetime.fromisoformat(stored["watermark"]) if stored.get("watermark") else None
    result = IndexResult(name=spec.name, alias=alias, index=index, mode="incremental")
    started = time.monotonic()
    rows, sender, watermark = _load(
        spec, engine, client, index, since, opts, progress, f"{spec.name} (incremental)"
    )
    result.rows, result.retries = rows, sender.retries
    client.indices.refresh(index=index)
    if sender.rejected:
        raise SyncFailed(
            f"index {spec.name}: OpenSearch rejected {sender.rejected} of {rows} changed "
            "document(s); the watermark was not advanced. First errors: "
            + json.dumps(sender.errors, ensure_ascii=False),
            hint="the mapping does not fit the data: fix the spec and run a full sync",
            summary={**asdict(result), "errors": sender.errors, "rejected": sender.rejected},
        )
    result.docs = sender.indexed
    new_wm = max((w for w in (since, watermark) if w is not None), default=None)
    meta = _meta(spec, int(stored.get("rows") or 0), new_wm, str(stored.get("built_at")))
    client.indices.put_mapping(index=index, body={"_meta": meta})
    result.watermark = meta[META_KEY]["watermark"]
    result.seconds = round(time.monotonic() - started, 3)
    result.rows_per_s = round(rows / result.seconds, 1) if result.seconds else 0.0
    progress(f"{spec.name} (incremental): {rows} changed rows upserted into {index}")
    return result


def _reason(exc: TransportError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    err = info.get("error")
    if isinstance(err, dict):
        return str(err.get("reason") or err.get("type"))
    return str(exc.error)


def _delete_quietly(client: OpenSearch, index: str) -> None:
    try:
        client.indices.delete(index=index, params={"ignore_unavailable": "true"})
    except Exception as exc:
        stderr_progress(f"warning: could not delete half-built index {index}: {exc}")


def run_sync(
    spec: SyncSpec,
    engine: sa.Engine,
    client: OpenSearch,
    prefix: str,
    *,
    incremental: bool = False,
    only: Iterable[str] = (),
    opts: Options | None = None,
    progress: Progress = stderr_progress,
) -> dict[str, Any]:
    """Sync every index of the spec (or `only` those); returns the JSON-able summary."""
    check_prefix(prefix)
    opts = opts or Options()
    wanted = [spec.index(n) for n in only] if only else list(spec.indices)
    started = time.monotonic()
    done: list[dict[str, Any]] = []
    step = incremental_sync_index if incremental else full_sync_index
    try:
        for index_spec in wanted:
            done.append(asdict(step(index_spec, engine, client, prefix, opts, progress)))
    except SyncFailed as exc:
        exc.summary = _summary("failed", prefix, incremental, [*done, exc.summary], started)
        exc.summary["error"] = exc.message
        raise
    except OSConnectionError as exc:
        raise UnavailableError(
            f"cannot reach OpenSearch: {exc.error}",
            hint="check PREVIEW_SYNC_OPENSEARCH_URL and network access to the domain",
        ) from None
    return _summary("ok", prefix, incremental, done, started)


def _summary(
    status: str, prefix: str, incremental: bool, indices: list[dict[str, Any]], started: float
) -> dict[str, Any]:
    rows = sum(int(i.get("rows", 0)) for i in indices)
    seconds = round(time.monotonic() - started, 3)
    return {
        "status": status,
        "mode": "incremental" if incremental else "full",
        "prefix": prefix,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": round(rows / seconds, 1) if seconds else 0.0,
        "indices": indices,
    }


def delete_prefix(client: OpenSearch, prefix: str) -> list[str]:
    """Delete every index whose name starts with `prefix` (aliases go with them)."""
    check_prefix(prefix)
    try:
        found = client.indices.get(index=f"{prefix}*", params={"expand_wildcards": "all"})
    except NotFoundError:
        return []
    names = sorted(i for i in found if i.startswith(prefix))
    # Explicit names, never a wildcard delete: shared domains set destructive_requires_name.
    for i in range(0, len(names), 50):
        client.indices.delete(index=",".join(names[i : i + 50]))
    return names
