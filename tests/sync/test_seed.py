"""The shared seed generator on a real MariaDB: deterministic, and as varied as real data."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from examples.seed import populate

pytestmark = pytest.mark.services


def _dump(url: str) -> list[tuple[object, ...]]:
    with sa.create_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT * FROM responses ORDER BY id"))]


def test_same_seed_gives_identical_rows(mariadb_server) -> None:
    """Tests and the bench compare documents with rows, so a seed must always give the same data."""
    a, b = mariadb_server.create_database(), mariadb_server.create_database()
    populate(sa.create_engine(a), 300, seed=7)
    populate(sa.create_engine(b), 300, seed=7)
    assert _dump(a) == _dump(b)


def test_rows_cover_nulls_unicode_decimal_and_json(mariadb_url: str) -> None:
    """The data must hold what breaks naive syncs: NULLs, 4-byte unicode, DECIMAL and JSON."""
    engine = sa.create_engine(mariadb_url)
    counts = populate(engine, 500, seed=1)
    rows = _dump(mariadb_url)
    assert len(rows) == counts["responses"] == 500
    emails = [r[3] for r in rows]
    scores = [r[5] for r in rows]
    texts = [r[4] for r in rows]
    assert None in emails and None in scores
    assert any(isinstance(s, Decimal) and s != s.to_integral() for s in scores if s is not None)
    assert any(any(ord(ch) > 0xFFFF for ch in t) for t in texts), "no emoji survived utf8mb4"
    with engine.connect() as conn:
        valid = conn.execute(sa.text("SELECT COUNT(*) FROM responses WHERE JSON_VALID(metadata)"))
        assert valid.scalar() == 500
