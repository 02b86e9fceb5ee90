"""Reading rows: one SELECT streamed through a server-side cursor, so memory stays flat.

SQLAlchemy Core with `stream_results` makes PyMySQL use an unbuffered SSCursor (psycopg a named
cursor); rows arrive in partitions of `batch` and are turned into documents on the way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from contracts.errors import UnavailableError, UsageError
from preview.sync.spec import IndexSpec


def build_select(spec: IndexSpec, dialect: sa.Dialect, since: datetime | None) -> sa.Executable:
    """The statement for one index; with `since`, only rows whose updated_at >= since."""
    quote = dialect.identifier_preparer.quote
    if spec.table is not None:
        *schema, name = spec.table.split(".")
        table = sa.table(name, schema=schema[0] if schema else None)
        cols: list[Any] = [sa.column(c) for c in spec.columns] if spec.columns else [sa.text("*")]
        stmt = sa.select(*cols).select_from(table)
        if since is not None:
            stmt = stmt.where(sa.column(spec.updated_at_column or "") >= since)
        return stmt
    assert spec.query is not None
    query = spec.query.strip().rstrip(";")
    if since is None:
        return sa.text(query)
    col = quote(spec.updated_at_column or "")
    return sa.text(f"SELECT * FROM ({query}) AS preview_sync_src WHERE {col} >= :since").bindparams(
        since=since
    )


def _parse_json(value: Any) -> Any:
    if isinstance(value, (str, bytes, bytearray)):
        return json.loads(value)
    return value  # drivers that already decode JSON (psycopg) hand us objects


def document_builder(
    spec: IndexSpec, keys: list[str]
) -> Callable[[tuple[Any, ...]], tuple[str, dict[str, Any]]]:
    """A function row -> (_id, document) precomputed for the result's column order."""
    missing = [c for c in (spec.id_column, spec.updated_at_column) if c and c not in keys]
    if missing:
        raise UsageError(
            f"index {spec.name}: column(s) {missing} are not in the source result {keys}",
            hint="fix id_column / updated_at_column or the query in the spec",
        )
    id_pos = keys.index(spec.id_column)
    flat: list[tuple[int, str, bool]] = []
    nested: list[tuple[int, list[str], bool]] = []
    for pos, col in enumerate(keys):
        t = spec.transforms.get(col)
        parse = bool(t and t.json_)
        field = spec.field_for(col)
        if "." in field:
            nested.append((pos, field.split("."), parse))
        else:
            flat.append((pos, field, parse))

    if not nested:
        # The common shape: dict(zip()) builds the document in C, then JSON columns are parsed.
        names = [f for _, f, _ in flat]
        json_fields = [f for _, f, parse in flat if parse]

        def build_flat(row: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
            doc = dict(zip(names, row, strict=True))
            for f in json_fields:
                if doc[f] is not None:
                    doc[f] = _parse_json(doc[f])
            return str(row[id_pos]), doc

        return build_flat

    def build(row: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
        doc: dict[str, Any] = {}
        for pos, field, parse in flat:
            value = row[pos]
            doc[field] = _parse_json(value) if parse and value is not None else value
        for pos, path, parse in nested:
            value = row[pos]
            node = doc
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = _parse_json(value) if parse and value is not None else value
        return str(row[id_pos]), doc

    return build


def _mysql_iso(value: str) -> str:
    return value.replace(" ", "T", 1)


def _use_fast_decoders(dbapi_conn: Any) -> dict[int, Any] | None:
    """On PyMySQL, decode DATETIME straight to ISO text and DECIMAL to float for this query.

    The documents need exactly these JSON forms; parsing into datetime/Decimal objects only to
    format them back costs about a fifth of the sync's CPU, which on a small task competes
    with the cluster. Returns the decoders to restore, or None for other drivers.
    """
    decoders = getattr(dbapi_conn, "decoders", None)
    if not isinstance(decoders, dict) or not type(dbapi_conn).__module__.startswith("pymysql"):
        return None
    from pymysql import converters
    from pymysql.constants import FIELD_TYPE

    fast = dict(decoders)
    fast[FIELD_TYPE.DATETIME] = fast[FIELD_TYPE.TIMESTAMP] = _mysql_iso
    fast[FIELD_TYPE.DECIMAL] = fast[FIELD_TYPE.NEWDECIMAL] = float
    fast[FIELD_TYPE.DATE] = fast[FIELD_TYPE.TIME] = converters.through
    dbapi_conn.decoders = fast
    return decoders


def stream_rows(
    engine: sa.Engine, stmt: sa.Executable, batch: int
) -> Iterator[tuple[list[str], list[Any]]]:
    """Yield (column names, rows) partitions of `batch` rows from a server-side cursor."""
    try:
        with engine.connect() as conn:
            dbapi_conn = conn.connection.dbapi_connection
            saved = _use_fast_decoders(dbapi_conn)
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
            keys = list(result.keys())
            exhausted = False
            try:
                for part in result.partitions(batch):
                    yield keys, list(part)
                exhausted = True
            finally:
                if saved is not None:
                    dbapi_conn.decoders = saved  # type: ignore[union-attr]
                if not exhausted:
                    # Stopped early (a rejected document): closing an unbuffered cursor would
                    # read the rest of the table first, so drop the connection instead.
                    conn.invalidate()
            result.close()
    except sa.exc.OperationalError as exc:
        raise UnavailableError(
            f"database error while reading: {exc.orig}",
            hint="check PREVIEW_SYNC_DATABASE_URL (or PREVIEW_SYNC_DB_*) and that the clone is up",
        ) from None
    except sa.exc.ProgrammingError as exc:
        raise UsageError(
            f"the source query failed: {exc.orig}", hint="fix `table`/`columns`/`query` in the spec"
        ) from None
