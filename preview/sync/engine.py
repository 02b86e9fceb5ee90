"""Build, verify and publish OpenSearch indices from database rows.

Full run: first every index of the run is checked against its source (columns named in the spec
exist, DECIMAL columns are mapped exactly: `preflight`), before anything is created. Then per
index: create `<prefix><name>-<ts>` (explicit mapping, 0 replicas, refresh off) → stream rows →
parallel `_bulk` (retry 429/5xx with backoff: `bulk`) → restore replicas/refresh → refresh →
verify count == rows read. Only when EVERY index of the run is built are their aliases moved, all
or nothing (`aliases.swap_aliases`); then older versions no alias holds are deleted. Any rejected
document or failed check deletes the run's new indices and leaves every alias untouched, so a
reader only ever sees complete indices. When a reply is lost, the live aliases are read back
before anything is deleted: an alias never ends up pointing at nothing. Every call is
index-scoped (`/<prefix>.../...`), the only paths a preview's role is granted on a shared domain.
Incremental run: upsert rows with updated_at >= the watermark stored in the live index's `_meta`,
then advance it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import TransportError

from contracts.errors import PreviewError, UnavailableError, UsageError
from preview.sync.aliases import (
    alias_holders,
    delete_prefix,
    delete_quietly,
    delete_unaliased_versions,
    swap_aliases,
)
from preview.sync.bulk import BulkSender, Options, load
from preview.sync.client import (
    Progress,
    check_prefix,
    describe_error,
    hint_for,
    make_client,
    reason,
    stderr_progress,
)
from preview.sync.preflight import check_against_source
from preview.sync.source import describe_source
from preview.sync.spec import IndexSpec, SyncSpec

# What callers (the command, tests, bench) import from here.
__all__ = [
    "META_KEY",
    "IndexResult",
    "Options",
    "SyncFailed",
    "check_prefix",
    "delete_prefix",
    "describe_error",
    "make_client",
    "run_sync",
]

META_KEY = "preview_sync"


class SyncFailed(PreviewError):
    """The run stopped; nothing a reader sees changed. `summary` holds the counts."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str, summary: dict[str, Any]) -> None:
        super().__init__(message, hint=hint)
        self.summary = summary


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


@dataclass(frozen=True)
class _Run:
    """Where one run reads from and writes to, and how it reports."""

    engine: sa.Engine
    client: OpenSearch
    prefix: str
    opts: Options
    progress: Progress

    def load(
        self, spec: IndexSpec, index: str, since: datetime | None, label: str
    ) -> tuple[int, BulkSender, datetime | None]:
        return load(spec, self.engine, self.client, index, since, self.opts, self.progress, label)


def _meta(
    spec: IndexSpec, rows: int, watermark: datetime | str | None, built: str
) -> dict[str, Any]:
    wm = watermark.isoformat() if isinstance(watermark, datetime) else watermark
    return {META_KEY: {"name": spec.name, "rows": rows, "watermark": wm, "built_at": built}}


def _refuse_rejected(sender: BulkSender, result: IndexResult, message: str, hint: str) -> None:
    """Any rejected document fails the run, with the first errors in the message and summary."""
    if sender.rejected:
        raise SyncFailed(
            message + json.dumps(sender.errors, ensure_ascii=False),
            hint=hint,
            summary={**asdict(result), "errors": sender.errors, "rejected": sender.rejected},
        )


def _timed(result: IndexResult, rows: int, started: float) -> None:
    result.seconds = round(time.monotonic() - started, 3)
    result.rows_per_s = round(rows / result.seconds, 1) if result.seconds else 0.0


def _create_version(spec: IndexSpec, client: OpenSearch, alias: str, index: str, now: str) -> None:
    """Create the new, empty version of an index: explicit mapping, 0 replicas, refresh off."""
    if client.indices.exists(index=alias) and not alias_holders(client, alias):
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
        "mappings": {**spec.mapping, "_meta": _meta(spec, 0, None, now)},
    }
    try:
        client.indices.create(index=index, body=body)
    except TransportError as exc:
        if exc.status_code == 400:
            raise UsageError(
                f"index {spec.name}: OpenSearch rejected the mapping/settings: {reason(exc)}",
                hint="fix `mapping`/`settings` of this index in the spec",
            ) from None
        raise


def _fill_and_verify(spec: IndexSpec, run: _Run, result: IndexResult, now: str) -> int:
    """Load every row into the new version, restore its settings and check the count."""
    client, index = run.client, result.index
    rows, sender, watermark = run.load(spec, index, None, f"{spec.name} (full)")
    result.rows, result.retries = rows, sender.retries
    _refuse_rejected(
        sender,
        result,
        f"index {spec.name}: OpenSearch rejected {sender.rejected} document(s) "
        f"({sender.indexed} indexed, {rows} rows read); first errors: ",
        "the mapping does not fit the data: fix `mapping`/`transforms` in the spec",
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
    meta = _meta(spec, rows, watermark, now)
    client.indices.put_mapping(index=index, body={"_meta": meta})
    result.watermark = meta[META_KEY]["watermark"]
    return rows


def build_index(spec: IndexSpec, run: _Run) -> IndexResult:
    """Create, load and verify a new version of one index; no alias is touched.

    On any failure the new index (which no alias holds yet) is deleted and the error re-raised.
    """
    alias = f"{run.prefix}{spec.name}"
    now = datetime.now(UTC)
    index = f"{alias}-{now.strftime('%Y%m%d%H%M%S%f')}"
    result = IndexResult(name=spec.name, alias=alias, index=index, mode="full")
    _create_version(spec, run.client, alias, index, now.isoformat())
    started = time.monotonic()
    try:
        rows = _fill_and_verify(spec, run, result, now.isoformat())
    except BaseException:
        delete_quietly(run.client, index)
        raise
    _timed(result, rows, started)
    run.progress(
        f"{spec.name} (full): {rows} rows → {index} in {result.seconds:.1f}s "
        f"({result.rows_per_s:,.0f} rows/s)"
    )
    return result


def full_sync(specs: list[IndexSpec], run: _Run) -> list[IndexResult]:
    """Build every index of the run, then move all their aliases in one swap (all or nothing)."""
    built: list[IndexResult] = []
    try:
        for spec in specs:
            built.append(build_index(spec, run))
    except BaseException:
        # No alias holds any of them yet: the run leaves what readers see as it was.
        for done in built:
            delete_quietly(run.client, done.index)
        raise
    swap_aliases(run.client, {r.alias: r.index for r in built}, run.progress)
    for r in built:
        r.deleted = delete_unaliased_versions(
            run.client, run.prefix, r.name, r.alias, r.index, run.progress
        )
        run.progress(f"{r.name}: alias {r.alias} → {r.index}")
    return built


def _live_version(spec: IndexSpec, client: OpenSearch, alias: str) -> tuple[str, dict[str, Any]]:
    """The one index the alias holds and the `_meta` the last run stored on it."""
    if spec.updated_at_column is None:
        raise UsageError(
            f"index {spec.name} has no `updated_at_column`, so it cannot run incrementally",
            hint="add updated_at_column to the spec, or run without --incremental",
        )
    holders = alias_holders(client, alias)
    if len(holders) != 1:
        raise UsageError(
            f"alias {alias} points to {len(holders)} indices; incremental runs need exactly one",
            hint="run a full `preview sync` first",
        )
    index = holders[0]
    mapping = client.indices.get_mapping(index=index)[index]["mappings"]
    return index, (mapping.get("_meta") or {}).get(META_KEY) or {}


def incremental_sync_index(spec: IndexSpec, run: _Run) -> IndexResult:
    client, alias = run.client, f"{run.prefix}{spec.name}"
    index, stored = _live_version(spec, client, alias)
    since = datetime.fromisoformat(stored["watermark"]) if stored.get("watermark") else None
    result = IndexResult(name=spec.name, alias=alias, index=index, mode="incremental")
    started = time.monotonic()
    rows, sender, watermark = run.load(spec, index, since, f"{spec.name} (incremental)")
    result.rows, result.retries = rows, sender.retries
    client.indices.refresh(index=index)
    _refuse_rejected(
        sender,
        result,
        f"index {spec.name}: OpenSearch rejected {sender.rejected} of {rows} changed "
        "document(s); the watermark was not advanced. First errors: ",
        "the mapping does not fit the data: fix the spec and run a full sync",
    )
    result.docs = sender.indexed
    new_wm = max((w for w in (since, watermark) if w is not None), default=None)
    meta = _meta(spec, int(stored.get("rows") or 0), new_wm, str(stored.get("built_at")))
    client.indices.put_mapping(index=index, body={"_meta": meta})
    result.watermark = meta[META_KEY]["watermark"]
    _timed(result, rows, started)
    run.progress(f"{spec.name} (incremental): {rows} changed rows upserted into {index}")
    return result


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
    run = _Run(engine, client, prefix, opts or Options(), progress)
    wanted = [spec.index(n) for n in only] if only else list(spec.indices)
    for index_spec in wanted:  # every index checked before any is created
        check_against_source(index_spec, describe_source(engine, index_spec))
    started = time.monotonic()
    done: list[dict[str, Any]] = []
    try:
        if incremental:
            for index_spec in wanted:
                done.append(asdict(incremental_sync_index(index_spec, run)))
        else:
            done = [asdict(r) for r in full_sync(wanted, run)]
    except SyncFailed as exc:
        exc.summary = _summary("failed", prefix, incremental, [*done, exc.summary], started)
        exc.summary["error"] = exc.message
        raise
    except OSConnectionError as exc:
        raise UnavailableError(
            f"cannot reach OpenSearch: {describe_error(exc)}",
            hint=hint_for(exc),
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
