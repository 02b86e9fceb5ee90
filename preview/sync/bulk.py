"""Bulk loading for `preview sync`: rows streamed from the database become prebuilt NDJSON chunks,
sent to one index by parallel `_bulk` requests (429/5xx retried with backoff); the first rejected
document stops the load."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import TransportError

from contracts.errors import UnavailableError
from preview.sync.client import Progress, describe_error
from preview.sync.source import build_select, document_builder, stream_rows
from preview.sync.spec import IndexSpec

RETRY_STATUS = {429, 502, 503, 504}


@dataclass
class Options:
    chunk_size: int = 2000  # documents per _bulk request
    max_chunk_bytes: int = 8 * 1024 * 1024
    parallelism: int = 4  # _bulk requests in flight
    batch: int = 5000  # rows per server-side cursor fetch
    max_retries: int = 6
    backoff: float = 0.5  # first retry delay, doubled each time, capped at 30s
    first_errors: int = 5


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Exact digits as a JSON string ("12.30"): a JSON number would reach most readers as a
        # double. The field's mapping (scaled_float / keyword, checked by preflight) indexes it.
        return format(value, "f")
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
                if isinstance(exc, OSConnectionError):
                    attempt = self._backoff(attempt, describe_error(exc), reached=False)
                    continue
                if status in RETRY_STATUS:
                    attempt = self._backoff(attempt, f"_bulk answered {status}")
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

    def _backoff(self, attempt: int, why: str, *, reached: bool = True) -> int:
        if attempt >= self.opts.max_retries:
            if not reached:  # not an overloaded domain: it never answered
                raise UnavailableError(
                    f"cannot reach OpenSearch for _bulk after {attempt} retries: {why}",
                    hint="check PREVIEW_SYNC_OPENSEARCH_URL and network access to the domain",
                )
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


def load(
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
    stream = stream_rows(engine, build_select(spec, engine.dialect, since), opts.batch)
    try:
        for keys, part in stream:
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
        stream.close()  # now, not whenever the garbage collector finds the suspended generator
        sender.finish()
    if sender.fatal is not None:
        raise sender.fatal
    if isinstance(watermark, str):  # PyMySQL fast path hands DATETIMEs over as ISO text
        watermark = datetime.fromisoformat(watermark)
    return rows, sender, watermark
