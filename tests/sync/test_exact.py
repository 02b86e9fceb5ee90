"""Search data arrives exactly: DECIMALs keep every digit, a spec that does not fit its source is
refused before anything is created, and failures name their real cause without tracebacks.

Real MariaDB and a real OpenSearch node.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from contracts.errors import USAGE, UnavailableError, UsageError
from preview.sync.engine import Options, make_client, run_sync
from preview.sync.spec import parse_spec
from tests.sync.conftest import SPEC_PATH, reference_spec, responses_index
from tests.sync.faults import fault_proxy

pytestmark = pytest.mark.services
REPO = Path(__file__).resolve().parents[2]

# DECIMAL(15,4): 15 digits, the widest a scaled_float indexes exactly; DECIMAL(30,10): keyword;
# DECIMAL(18,0): long. Values that a float would change, and two that differ in the last digit.
PRICES = [
    (1, "12345678901.2345", "99999999999999999999.9999999999", "123456789012345678"),
    (2, "12345678901.2346", "0.0000000001", "-999999999999999999"),
    (3, "0.1000", "12345678901234567890.1234567891", "0"),
    (4, "-99999999999.9999", "-0.3000000000", "900719925474099"),
    (5, None, None, None),
]


def _prices_spec(**mapping: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {"type": "long"},
        "amount": {"type": "scaled_float", "scaling_factor": 10000},
        "huge": {"type": "keyword"},
        "whole": {"type": "long"},
    }
    props.update(mapping)
    return {
        "indices": [
            {
                "name": "prices",
                "table": "prices",
                "id_column": "id",
                "mapping": {"dynamic": "strict", "properties": props},
                "settings": {"number_of_replicas": 0},
            }
        ]
    }


@pytest.fixture
def prices(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE prices (id INT PRIMARY KEY, amount DECIMAL(15,4), "
                "huge DECIMAL(30,10), whole DECIMAL(18,0))"
            )
        )
        conn.execute(
            sa.text("INSERT INTO prices VALUES (:i, :a, :h, :w)"),
            [{"i": i, "a": a, "h": h, "w": w} for i, a, h, w in PRICES],
        )
    return engine


def _quiet(_: str) -> None:
    pass


def test_decimal_columns_round_trip_exactly(prices, client, prefix) -> None:
    """Each DECIMAL reaches _source as its exact digits (a JSON string), NULL as null."""
    run_sync(parse_spec(_prices_spec()), prices, client, prefix, progress=_quiet)
    with prices.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.text("SELECT * FROM prices"))}
    for row_id, row in rows.items():
        doc = client.get(index=f"{prefix}prices", id=str(row_id))["_source"]
        for col in ("amount", "huge", "whole"):
            value = getattr(row, col)
            if value is None:
                assert doc[col] is None
            else:
                assert isinstance(doc[col], str), (col, doc[col])
                assert Decimal(doc[col]) == value and doc[col] == format(value, "f")


def test_scaled_decimal_sorts_and_filters_exactly(prices, client, prefix) -> None:
    """Sorting and range/term filters on the scaled_float field see every one of 15 digits."""
    run_sync(parse_spec(_prices_spec()), prices, client, prefix, progress=_quiet)
    alias = f"{prefix}prices"
    hits = client.search(
        index=alias, body={"query": {"exists": {"field": "amount"}}, "sort": [{"amount": "asc"}]}
    )["hits"]["hits"]
    ordered = sorted((Decimal(a), i) for i, a, _, _ in PRICES if a is not None)
    assert [int(h["_id"]) for h in hits] == [i for _, i in ordered]
    term = client.search(index=alias, body={"query": {"term": {"amount": "12345678901.2346"}}})
    assert [h["_id"] for h in term["hits"]["hits"]] == ["2"]
    above = client.search(
        index=alias, body={"query": {"range": {"amount": {"gt": "12345678901.2345"}}}}
    )
    assert [h["_id"] for h in above["hits"]["hits"]] == ["2"]


@pytest.mark.parametrize(
    ("field", "mapping", "named"),
    [
        ("amount", {"type": "double"}, "'double' cannot hold it exactly"),
        ("amount", {"type": "scaled_float", "scaling_factor": 100}, "needs 10000"),
        ("huge", {"type": "scaled_float", "scaling_factor": 10**10}, "exact only up to 15"),
        ("whole", {"type": "integer"}, "integer cannot hold it exactly"),
        ("huge", {"type": "keyword", "fields": {"n": {"type": "float"}}}, "'float'"),
    ],
)
def test_lossy_decimal_mapping_is_refused_up_front(
    prices, client, prefix, field: str, mapping: dict[str, Any], named: str
) -> None:
    """A mapping that would round a DECIMAL is a usage error naming the column; nothing created."""
    spec = parse_spec(_prices_spec(**{field: mapping}))
    with pytest.raises(UsageError, match=named) as refused:
        run_sync(spec, prices, client, prefix, progress=_quiet)
    assert f"column {field!r} is DECIMAL(" in str(refused.value)
    assert refused.value.exit_code == USAGE
    assert client.indices.get(index=f"{prefix}*", params={"allow_no_indices": "true"}) == {}


def _surveys(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in data["indices"] if i["name"] == "surveys")
    return found


def _columns_lists_a_missing_one(data: dict[str, Any]) -> None:
    responses_index(data)["columns"].append("answer")


def _transform_of_missing_table_column(data: dict[str, Any]) -> None:
    index = responses_index(data)
    del index["columns"]  # every column of the table
    index["transforms"]["metdata"] = {"json": True}


def _transform_of_missing_query_column(data: dict[str, Any]) -> None:
    _surveys(data)["transforms"]["tenant_title"] = {"to": "tenant.title"}


def _missing_table(data: dict[str, Any]) -> None:
    responses_index(data)["table"] = "responses_v2"


def _query_id_column_missing(data: dict[str, Any]) -> None:
    _surveys(data)["id_column"] = "survey_id"


MISFITS = [
    ("`columns` names a column the table lacks", _columns_lists_a_missing_one, "answer"),
    ("transform of a column the table lacks", _transform_of_missing_table_column, "metdata"),
    ("transform of a column the query lacks", _transform_of_missing_query_column, "tenant_title"),
    ("table that does not exist", _missing_table, "responses_v2"),
    ("id column the query does not return", _query_id_column_missing, "survey_id"),
]


@pytest.mark.parametrize(("case", "mutate", "named"), MISFITS, ids=[m[0] for m in MISFITS])
def test_spec_that_does_not_fit_its_source_is_refused_up_front(
    seeded, client, prefix, case: str, mutate: Any, named: str
) -> None:
    """Exit 2 naming the column, before any index of the run (even a fine one) is created."""
    data = reference_spec()
    mutate(data)
    with pytest.raises(UsageError) as refused:
        run_sync(parse_spec(data), seeded, client, prefix, progress=_quiet)
    assert refused.value.exit_code == USAGE
    assert named in str(refused.value)
    assert client.indices.get(index=f"{prefix}*", params={"allow_no_indices": "true"}) == {}


def test_unreachable_bulk_is_not_called_an_overloaded_domain(
    seeded, client, opensearch_url, prefix, spec
) -> None:
    """Connections to _bulk that fail are reported as unreachable, with the URL to check."""

    def rule(method: str, path: str) -> str | None:
        return "drop" if "_bulk" in path else None

    opts = Options(chunk_size=100, parallelism=2, batch=100, backoff=0.001, max_retries=2)
    with (
        fault_proxy(opensearch_url, rule) as (_, url),
        pytest.raises(UnavailableError) as failed,
    ):
        run_sync(spec, seeded, make_client(url), prefix, only=["responses"], opts=opts)
    message = str(failed.value)
    assert "overloaded" not in message
    assert "cannot reach OpenSearch" in message and "PREVIEW_SYNC_OPENSEARCH_URL" in message


def _cli(spec_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "preview.cli",
            "sync",
            "--spec",
            str(spec_path),
            "--chunk-size",
            "20",
            "--batch",  # stop mid-stream: rows are still unread when a rejection ends the run
            "100",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={**os.environ, **env},
        timeout=300,
    )


def test_cli_failures_leave_no_traceback_on_stderr(
    seeded, opensearch_url, prefix, tmp_path: Path
) -> None:
    """A run stopped by rejected documents exits 2 with one error and no 'Exception ignored'."""
    data = reference_spec()
    responses_index(data)["mapping"]["properties"]["answer_text"] = {"type": "date"}
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    env = {
        "PREVIEW_SYNC_DATABASE_URL": seeded.url.render_as_string(hide_password=False),
        "PREVIEW_SYNC_OPENSEARCH_URL": opensearch_url,
        "PREVIEW_SYNC_INDEX_PREFIX": prefix,
    }
    result = _cli(spec_path, env)
    assert result.returncode == USAGE, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, (
        result.stderr
    )
    assert json.loads(result.stdout.strip().splitlines()[-1])["status"] == "failed"
    assert "rejected" in result.stderr


def test_cli_refused_database_names_the_connection(prefix, opensearch_url, tmp_path: Path) -> None:
    """A refused database connection exits 3 naming it, with no traceback."""
    env = {
        "PREVIEW_SYNC_DATABASE_URL": "mysql+pymysql://u:p@127.0.0.1:9/app",
        "PREVIEW_SYNC_OPENSEARCH_URL": opensearch_url,
        "PREVIEW_SYNC_INDEX_PREFIX": prefix,
    }
    result = _cli(SPEC_PATH, env)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert "Can't connect" in result.stderr or "refused" in result.stderr, result.stderr
