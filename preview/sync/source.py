"""Reading rows: one SELECT streamed through a server-side cursor, so memory stays flat.

SQLAlchemy Core with `stream_results` makes PyMySQL use an unbuffered SSCursor (psycopg a named
cursor); rows arrive in partitions of `batch` and are turned into documents on the way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from contracts.errors import PreviewError, UnavailableError, UsageError
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
    """On PyMySQL, decode DATETIME straight to ISO text and DECIMAL to its exact text.

    The documents need exactly these JSON forms (a DECIMAL travels as a JSON string holding the
    server's digits, "12.30": never through a float); parsing into datetime/Decimal objects only
    to format them back costs about a fifth of the sync's CPU, which on a small task competes
    with the cluster. Returns the decoders to restore, or None for other drivers.
    """
    decoders = getattr(dbapi_conn, "decoders", None)
    if not isinstance(decoders, dict) or not type(dbapi_conn).__module__.startswith("pymysql"):
        return None
    from pymysql import converters
    from pymysql.constants import FIELD_TYPE

    fast = dict(decoders)
    fast[FIELD_TYPE.DATETIME] = fast[FIELD_TYPE.TIMESTAMP] = _mysql_iso
    fast[FIELD_TYPE.DECIMAL] = fast[FIELD_TYPE.NEWDECIMAL] = converters.through
    fast[FIELD_TYPE.DATE] = fast[FIELD_TYPE.TIME] = converters.through
    dbapi_conn.decoders = fast
    return decoders


def stream_rows(
    engine: sa.Engine, stmt: sa.Executable, batch: int
) -> Generator[tuple[list[str], list[Any]], None, None]:
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
                    # read the rest of the table first, so drop the connection instead, and
                    # tell PyMySQL's result so, or its __del__ later reads from the closed
                    # socket ("Exception ignored in ... AttributeError" on stderr).
                    pending = getattr(result.cursor, "_result", None)
                    if getattr(pending, "unbuffered_active", False):
                        pending.unbuffered_active = False  # type: ignore[union-attr]
                    conn.invalidate()
            result.close()
    except sa.exc.DBAPIError as exc:
        raise source_error(exc) from None


# MySQL/MariaDB server errors that mean "the statement is wrong", not "try again": PyMySQL
# raises most of them as OperationalError (e.g. 1054 unknown column), like a lost connection.
_STATEMENT_ERRORS = {1054, 1064, 1146, 1049, 1052, 1060, 1109, 1149, 1247, 1248, 1305}


def source_error(exc: sa.exc.DBAPIError) -> PreviewError:
    """The PreviewError a database error means: a wrong spec (2) or an unreachable source (3)."""
    orig = exc.orig
    code = orig.args[0] if orig is not None and orig.args else None
    if isinstance(exc, sa.exc.ProgrammingError) or code in _STATEMENT_ERRORS:
        return UsageError(
            f"the source query failed: {orig}", hint="fix `table`/`columns`/`query` in the spec"
        )
    return UnavailableError(
        f"database error while reading: {orig}",
        hint="check PREVIEW_SYNC_DATABASE_URL (or PREVIEW_SYNC_DB_*) and that the clone is up",
    )


@dataclass(frozen=True)
class SourceShape:
    """What one index's source returns: its column names and, per DECIMAL column, (p, s)."""

    columns: list[str]
    decimals: dict[str, tuple[int | None, int]]


def describe_source(engine: sa.Engine, spec: IndexSpec) -> SourceShape:
    """The source's shape without reading a row: reflection for a table, LIMIT 0 for a query.

    A table that is missing, a column of `columns` the table lacks, or a query that does not
    run is a UsageError (exit 2) naming it, before any index exists.
    """
    try:
        if spec.table is not None:
            return _describe_table(engine, spec)
        return _describe_query(engine, spec)
    except sa.exc.NoSuchTableError:
        raise UsageError(
            f"index {spec.name}: table {spec.table!r} does not exist in the source database",
            hint="fix `table` in the spec (or PREVIEW_SYNC_DATABASE_URL: the right database?)",
        ) from None
    except sa.exc.DBAPIError as exc:
        raise source_error(exc) from None


def _describe_table(engine: sa.Engine, spec: IndexSpec) -> SourceShape:
    assert spec.table is not None
    *schema, name = spec.table.split(".")
    reflected = sa.inspect(engine).get_columns(name, schema=schema[0] if schema else None)
    types = {c["name"]: c["type"] for c in reflected}
    if spec.columns:
        missing = [c for c in spec.columns if c not in types]
        if missing:
            raise UsageError(
                f"index {spec.name}: `columns` names {missing}, which table {spec.table!r} does "
                f"not have (it has {sorted(types)})",
                hint="fix `columns` in the spec",
            )
        names = list(spec.columns)
    else:
        names = list(types)
    decimals: dict[str, tuple[int | None, int]] = {}
    for col in names:
        t = types[col]
        if isinstance(t, sa.Numeric) and not isinstance(t, sa.Float) and t.scale is not None:
            decimals[col] = (t.precision, t.scale)
    return SourceShape(names, decimals)


def _describe_query(engine: sa.Engine, spec: IndexSpec) -> SourceShape:
    assert spec.query is not None
    query = spec.query.strip().rstrip(";")
    with engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT * FROM ({query}) AS preview_sync_probe LIMIT 0"))
        names = list(result.keys())
        cursor = result.cursor
        decimals = _decimal_fields(cursor) if cursor is not None else {}
        result.close()
    return SourceShape(names, decimals)


def _decimal_fields(cursor: Any) -> dict[str, tuple[int | None, int]]:
    """DECIMAL result columns with (precision, scale), from the driver's field descriptors."""
    out: dict[str, tuple[int | None, int]] = {}
    fields = getattr(getattr(cursor, "_result", None), "fields", None)
    if fields is not None:  # PyMySQL: length counts the sign and the point, not only digits
        from pymysql.constants import FIELD_TYPE

        for f in fields:
            if f.type_code in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
                unsigned = bool(f.flags & 32)
                precision = f.length - (1 if f.scale else 0) - (0 if unsigned else 1)
                out[f.name] = (precision, f.scale)
        return out
    for d in cursor.description or ():  # PEP 249: (name, type, _, _, precision, scale, _)
        if d[5] is not None and d[4] is not None and "numeric" in str(d[1]).lower():
            out[d[0]] = (d[4], d[5])
    return out
