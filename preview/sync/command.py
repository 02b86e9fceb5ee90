"""`preview sync`: seed (or incrementally update, or delete) a preview's OpenSearch indices.

Only stdlib and click at top level (the CLI lists commands without importing SQLAlchemy or
opensearch-py). Progress goes to stderr; the last stdout line is one JSON summary, also on failure,
so the Step Functions task that runs this can carry it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

_ENV = "PREVIEW_SYNC_"
F = TypeVar("F", bound=Callable[..., Any])


def _database_url(url: str | None) -> str:
    """PREVIEW_SYNC_DATABASE_URL, or one built from the PREVIEW_SYNC_DB_* parts ECS is given."""
    import os

    import sqlalchemy as sa

    from contracts.errors import UsageError

    if url:
        return url
    host = os.environ.get(f"{_ENV}DB_HOST")
    if not host:
        raise UsageError(
            "no source database configured",
            hint="set PREVIEW_SYNC_DATABASE_URL (e.g. mysql+pymysql://user:pw@host/db) or "
            "PREVIEW_SYNC_DB_HOST/_DB_NAME/_DB_USER/_DB_PASSWORD",
        )
    port = os.environ.get(f"{_ENV}DB_PORT", "")
    # isdigit() alone accepts digits int() refuses, such as '²'.
    if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise UsageError(
            f"PREVIEW_SYNC_DB_PORT={port!r} is not a port number (1-65535)", hint="e.g. 3306"
        )
    return sa.URL.create(
        os.environ.get(f"{_ENV}DB_DRIVER", "mysql+pymysql"),
        username=os.environ.get(f"{_ENV}DB_USER", "app_admin"),
        password=os.environ.get(f"{_ENV}DB_PASSWORD") or None,
        host=host,
        port=int(port) if port else None,
        database=os.environ.get(f"{_ENV}DB_NAME") or None,
        query={"charset": "utf8mb4"}
        if "mysql" in os.environ.get(f"{_ENV}DB_DRIVER", "mysql")
        else {},
    ).render_as_string(hide_password=False)


def _emit(summary: dict[str, Any]) -> None:
    sys.stderr.flush()
    click.echo(json.dumps(summary, ensure_ascii=False, default=str))


@dataclass(frozen=True)
class _Args:
    """The options of `preview sync`, as click passes them."""

    spec_path: str | None
    database_url: str | None
    opensearch_url: str
    prefix: str
    aws_region: str | None
    incremental: bool
    delete_prefix: bool
    only: tuple[str, ...]
    chunk_size: int
    parallelism: int
    batch: int


def _env_option(*decls: str, env: str, help: str, **kwargs: Any) -> Callable[[F], F]:
    """An option also read from PREVIEW_SYNC_<env>, which its help line names."""
    return click.option(*decls, envvar=f"{_ENV}{env}", help=f"{help} [env {_ENV}{env}]", **kwargs)


def _bounded(
    flag: str, low: int, high: int, default: int, help: str, envvar: str | None = None
) -> Callable[[F], F]:
    """An integer option within [low, high] whose default shows in --help."""
    return click.option(
        flag,
        type=click.IntRange(low, high),
        default=default,
        show_default=True,
        envvar=envvar,
        help=help,
    )


@click.command("sync")
@_env_option(
    "--spec",
    "spec_path",
    env="SPEC",
    type=click.Path(dir_okay=False),
    help="Sync spec YAML (indices, sources, mappings).",
)
@_env_option("--database-url", env="DATABASE_URL", help="SQLAlchemy URL of the source database.")
@_env_option("--opensearch-url", env="OPENSEARCH_URL", required=True, help="OpenSearch endpoint.")
@_env_option(
    "--prefix",
    env="INDEX_PREFIX",
    required=True,
    help="Index/alias prefix of this preview, e.g. pr-12-.",
)
@_env_option(
    "--aws-region",
    env="AWS_REGION",
    default=None,
    help="Sign requests with SigV4 for this region.",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Upsert rows changed since the stored watermark instead of rebuilding.",
)
@click.option(
    "--delete-prefix",
    is_flag=True,
    help="Delete every index of the prefix (on preview destroy) and exit.",
)
@click.option("--index", "only", multiple=True, help="Only this index of the spec (repeatable).")
@_bounded("--chunk-size", 1, 100_000, 2000, "Documents per _bulk request.", f"{_ENV}CHUNK_SIZE")
@_bounded("--parallelism", 1, 64, 4, "_bulk requests in flight.", f"{_ENV}PARALLELISM")
@_bounded("--batch", 100, 1_000_000, 5000, "Rows per server-side cursor fetch.")
def sync(**given: Any) -> None:
    """Seed a preview's OpenSearch indices from its database (versioned index + alias swap)."""
    from opensearchpy.exceptions import ConnectionError as OSConnectionError
    from opensearchpy.exceptions import TransportError

    from contracts.errors import PreviewError, UnavailableError
    from preview.sync import engine as eng

    args = _Args(**given)
    try:
        try:
            _run(args)
        except OSConnectionError as exc:
            raise UnavailableError(
                f"cannot reach OpenSearch at {args.opensearch_url}: {exc.error}",
                hint="check PREVIEW_SYNC_OPENSEARCH_URL and network access to the domain",
            ) from None
        except TransportError as exc:
            raise UnavailableError(
                f"OpenSearch refused a request ({exc.status_code}): {exc.error}",
                hint="with status 401/403 check the task role and the domain's access policy",
            ) from None
    except eng.SyncFailed as exc:
        _emit(exc.summary)
        raise
    except PreviewError as exc:
        _emit({"status": "failed", "prefix": args.prefix, "error": exc.message})
        raise


def _run(a: _Args) -> None:
    from contracts.errors import UsageError
    from preview.sync import engine as eng

    client = eng.make_client(a.opensearch_url, aws_region=a.aws_region, pool=a.parallelism + 2)
    if a.delete_prefix:
        deleted = eng.delete_prefix(client, eng.check_prefix(a.prefix))
        _emit({"status": "ok", "mode": "delete-prefix", "prefix": a.prefix, "deleted": deleted})
        return
    if not a.spec_path:
        raise UsageError("no sync spec given", hint="pass --spec FILE or set PREVIEW_SYNC_SPEC")
    import sqlalchemy as sa

    from preview.sync.spec import load_spec

    spec = load_spec(a.spec_path)
    url = _database_url(a.database_url)
    source = "PREVIEW_SYNC_DATABASE_URL" if a.database_url else "PREVIEW_SYNC_DB_* (DB_DRIVER, ...)"
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ModuleNotFoundError, ValueError) as exc:
        raise UsageError(
            f"database URL from {source} is not usable: {' '.join(str(exc).split())}",
            hint="use mysql+pymysql://user:pw@host:3306/db or postgresql+psycopg://...",
        ) from None
    opts = eng.Options(chunk_size=a.chunk_size, parallelism=a.parallelism, batch=a.batch)
    summary = eng.run_sync(
        spec, engine, client, a.prefix, incremental=a.incremental, only=a.only, opts=opts
    )
    _emit(summary)
