"""`preview sync` end to end on a real MariaDB and a real OpenSearch node."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from opensearchpy.exceptions import NotFoundError

from examples.seed import create_schema
from preview.sync.engine import SyncFailed, delete_prefix, run_sync
from preview.sync.spec import parse_spec
from tests.sync.conftest import ROWS, SPEC_PATH, bad_mapping_spec

pytestmark = pytest.mark.services


def _quiet(_: str) -> None:
    pass


def _sync(spec, engine, client, prefix, opts, **kw: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return run_sync(spec, engine, client, prefix, opts=opts, progress=_quiet, **kw)


def _count(client, alias: str) -> int:  # type: ignore[no-untyped-def]
    return int(client.count(index=alias)["count"])


def _versions(client, prefix: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    try:
        return sorted(client.indices.get(index=f"{prefix}{name}-*"))
    except NotFoundError:
        return []


def _alias_target(client, alias: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(client.indices.get_alias(name=alias))


def _expected_response(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "survey_id": row.survey_id,
        "tenant_id": row.tenant_id,
        "respondent_email": row.respondent_email,
        "answer_text": row.answer_text,
        "score": None if row.score is None else format(row.score, "f"),
        "submitted_at": row.submitted_at.isoformat(),
        "metadata": json.loads(row.metadata),
        "updated_at": row.updated_at.isoformat(),
    }


def test_sampled_documents_equal_their_rows(seeded, client, prefix, spec, opts) -> None:
    """Each document is its row: NULL → null, DECIMAL → exact digits, DATETIME → ISO, JSON."""
    _sync(spec, seeded, client, prefix, opts)
    with seeded.connect() as conn:
        sample = conn.execute(
            sa.text(
                "SELECT * FROM responses WHERE id IN (1, 2, 150, 300) "
                "OR id = (SELECT MIN(id) FROM responses WHERE respondent_email IS NULL) "
                "OR id = (SELECT MIN(id) FROM responses WHERE score IS NULL) "
                "OR id = (SELECT MIN(id) FROM responses WHERE answer_text LIKE '%😡%')"
            )
        ).fetchall()
    assert len(sample) >= 4
    assert any(r.respondent_email is None for r in sample)
    assert any(r.score is None for r in sample)
    for row in sample:
        doc = client.get(index=f"{prefix}responses", id=str(row.id))["_source"]
        assert doc == _expected_response(row)


def test_query_index_nests_joined_columns(seeded, client, prefix, spec, opts) -> None:
    """`to: tenant.name` puts the joined column under a nested object, and JSON is parsed."""
    _sync(spec, seeded, client, prefix, opts)
    with seeded.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT s.id, s.settings, t.name, t.slug FROM surveys s "
                "JOIN tenants t ON t.id = s.tenant_id WHERE s.id = 2"
            )
        ).one()
    doc = client.get(index=f"{prefix}surveys", id="2")["_source"]
    assert doc["tenant"] == {"name": row.name, "slug": row.slug}
    assert doc["settings"] == json.loads(row.settings)
    assert "tenant_name" not in doc


def test_document_counts_equal_source_rows(seeded, client, prefix, spec, opts) -> None:
    """After a full run each alias holds exactly as many documents as its source has rows."""
    summary = _sync(spec, seeded, client, prefix, opts)
    with seeded.connect() as conn:
        surveys = conn.execute(sa.text("SELECT COUNT(*) FROM surveys")).scalar()
        responses = conn.execute(sa.text("SELECT COUNT(*) FROM responses")).scalar()
    assert _count(client, f"{prefix}responses") == responses == ROWS
    assert _count(client, f"{prefix}surveys") == surveys
    assert summary["status"] == "ok"
    assert summary["rows"] == ROWS + surveys


def test_reader_never_sees_an_empty_or_partial_index(seeded, client, prefix, spec, opts) -> None:
    """While a rebuild moves the alias, every search sees complete indices only: the old, the
    new, or (for the instant between the two index-scoped alias calls) both, never a missing
    or partially loaded one. POST /_aliases would be atomic but is a cluster-level call a
    preview's role must not be granted (preview/sync/aliases.py, swap_aliases)."""
    alias = f"{prefix}responses"
    _sync(spec, seeded, client, prefix, opts, only=["responses"])
    with seeded.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO responses SELECT id + 100000, survey_id, tenant_id, "
                "respondent_email, answer_text, score, submitted_at, metadata, updated_at "
                "FROM responses WHERE id <= 120"
            )
        )
    seen: list[int | str] = []
    stop = threading.Event()

    def reader() -> None:
        from preview.sync.engine import make_client

        own = make_client(
            f"http://{client.transport.hosts[0]['host']}:{client.transport.hosts[0]['port']}"
        )
        while not stop.is_set():
            try:
                seen.append(
                    int(
                        own.search(index=alias, body={"size": 0, "track_total_hits": True})["hits"][
                            "total"
                        ]["value"]
                    )
                )
            except Exception as exc:
                seen.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        _sync(spec, seeded, client, prefix, opts, only=["responses"])
        _sync(spec, seeded, client, prefix, opts, only=["responses"])
    finally:
        stop.set()
        thread.join()
    assert len(seen) > 10, "the reader did not run during the rebuilds"
    complete = {ROWS, ROWS + 120}
    both = {ROWS + ROWS + 120, 2 * (ROWS + 120)}
    assert set(seen) <= complete | both, sorted({str(s) for s in seen})
    assert seen[-1] == ROWS + 120


def test_mapping_conflict_fails_and_keeps_the_old_alias(seeded, client, prefix, spec, opts) -> None:
    """Rejected documents stop the run with the first errors; the live alias and index survive."""
    _sync(spec, seeded, client, prefix, opts)
    alias = f"{prefix}responses"
    before = _alias_target(client, alias)
    with pytest.raises(SyncFailed) as failed:
        _sync(bad_mapping_spec(spec), seeded, client, prefix, opts, only=["responses"])
    message = str(failed.value)
    assert "rejected" in message and "answer_text" in message
    assert failed.value.summary["status"] == "failed"
    assert failed.value.summary["indices"][-1]["errors"], "no first errors reported"
    assert _alias_target(client, alias) == before
    assert _versions(client, prefix, "responses") == before, "half-built index left behind"
    assert _count(client, alias) == ROWS


def test_mapping_conflict_on_first_run_creates_nothing(seeded, client, prefix, spec, opts) -> None:
    """Without an old index a failed first run leaves no alias and no index at all."""
    with pytest.raises(SyncFailed):
        _sync(bad_mapping_spec(spec), seeded, client, prefix, opts, only=["responses"])
    assert _versions(client, prefix, "responses") == []
    assert not client.indices.exists_alias(name=f"{prefix}responses")


def test_non_unique_id_column_fails_verification(seeded, client, prefix, spec, opts) -> None:
    """Fewer documents than rows (ids collide) fails verification; the alias is not created."""
    data = spec.model_dump(by_alias=True)
    data["indices"] = [i for i in data["indices"] if i["name"] == "responses"]
    data["indices"][0]["id_column"] = "tenant_id"
    with pytest.raises(SyncFailed) as failed:
        _sync(parse_spec(data), seeded, client, prefix, opts)
    assert f"after loading {ROWS} rows" in str(failed.value)
    assert _versions(client, prefix, "responses") == []


def test_empty_table_gives_an_empty_live_index(engine, client, prefix, spec, opts) -> None:
    """An empty source still publishes the alias (searches return nothing, not 404)."""
    create_schema(engine)
    summary = _sync(spec, engine, client, prefix, opts)
    assert summary["rows"] == 0
    assert _count(client, f"{prefix}responses") == 0
    assert _count(client, f"{prefix}surveys") == 0


def test_rerun_is_idempotent(seeded, client, prefix, spec, opts) -> None:
    """A second full run gives the same documents, one version per index, the old one deleted."""
    first = _sync(spec, seeded, client, prefix, opts)
    doc_before = client.get(index=f"{prefix}responses", id="17")["_source"]
    second = _sync(spec, seeded, client, prefix, opts)
    for name in ("responses", "surveys"):
        versions = _versions(client, prefix, name)
        assert len(versions) == 1
        assert _alias_target(client, f"{prefix}{name}") == versions
    old = {i["name"]: i["index"] for i in first["indices"]}
    assert {d for i in second["indices"] for d in i["deleted"]} == set(old.values())
    assert _count(client, f"{prefix}responses") == ROWS
    assert client.get(index=f"{prefix}responses", id="17")["_source"] == doc_before


def test_incremental_upserts_rows_changed_since_the_watermark(
    seeded, client, prefix, spec, opts
) -> None:
    """Changed and new rows reach the live index in place; unchanged rows are not re-read."""
    full = _sync(spec, seeded, client, prefix, opts, only=["responses"])
    watermark = datetime.fromisoformat(full["indices"][0]["watermark"])
    later = watermark + timedelta(hours=1)
    with seeded.begin() as conn:
        conn.execute(
            sa.text("UPDATE responses SET answer_text = :t, updated_at = :u WHERE id IN (5, 6, 7)"),
            {"t": "edited ✏️", "u": later},
        )
        conn.execute(
            sa.text(
                "INSERT INTO responses SELECT 9999, survey_id, tenant_id, NULL, 'new row 🆕', "
                "NULL, submitted_at, metadata, :u FROM responses WHERE id = 1"
            ),
            {"u": later},
        )
    inc = _sync(spec, seeded, client, prefix, opts, only=["responses"], incremental=True)
    alias = f"{prefix}responses"
    assert inc["indices"][0]["index"] == full["indices"][0]["index"], "incremental rebuilt"
    assert inc["rows"] == 4 + _rows_at(seeded, watermark)
    assert client.get(index=alias, id="6")["_source"]["answer_text"] == "edited ✏️"
    assert client.get(index=alias, id="9999")["_source"]["answer_text"] == "new row 🆕"
    assert _count(client, alias) == ROWS + 1
    assert inc["indices"][0]["watermark"] == later.isoformat()


def _rows_at(engine: sa.Engine, when: datetime) -> int:
    with engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT COUNT(*) FROM responses WHERE updated_at = :w"), {"w": when}
        ).scalar()
    return int(n or 0)


def test_incremental_without_a_full_run_is_refused(seeded, client, prefix, spec, opts) -> None:
    """Incremental mode needs the live index (and its watermark) that a full run creates."""
    from contracts.errors import UsageError

    with pytest.raises(UsageError, match="full"):
        _sync(spec, seeded, client, prefix, opts, incremental=True)


def test_delete_prefix_removes_only_that_previews_indices(seeded, client, spec, opts) -> None:
    """Deleting pr-1- leaves pr-12- alone, although one prefix is a prefix of the other."""
    import uuid

    base = f"d{uuid.uuid4().hex[:6]}"
    one, twelve = f"{base}-1-", f"{base}-12-"
    try:
        _sync(spec, seeded, client, one, opts, only=["surveys"])
        _sync(spec, seeded, client, twelve, opts, only=["surveys"])
        deleted = delete_prefix(client, one)
        assert deleted and all(d.startswith(one) for d in deleted)
        assert not client.indices.exists_alias(name=f"{one}surveys")
        assert _count(client, f"{twelve}surveys") > 0
        assert delete_prefix(client, one) == []
    finally:
        delete_prefix(client, twelve)


def test_cli_prints_progress_and_a_final_json_summary(seeded, opensearch_url, prefix) -> None:
    """`preview sync` exits 0, reports rows/s on stderr, and ends stdout with one JSON line."""
    from click.testing import CliRunner

    from preview.cli import cli

    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["sync", "--spec", str(SPEC_PATH), "--chunk-size", "50"],
        env={
            "PREVIEW_SYNC_DATABASE_URL": seeded.url.render_as_string(hide_password=False),
            "PREVIEW_SYNC_OPENSEARCH_URL": opensearch_url,
            "PREVIEW_SYNC_INDEX_PREFIX": prefix,
        },
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "ok"
    assert {i["name"]: i["docs"] for i in summary["indices"]}["responses"] == ROWS
    assert "rows/s" in result.stderr
