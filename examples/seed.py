"""Seed data for a multi-tenant survey app, shared by tests, the sync bench and the reference app.

`create_schema(engine)` creates `tenants`, `surveys` and `responses`; `populate(engine, rows, seed)`
fills them with `rows` responses (plus proportionate tenants and surveys) that exercise what a real
database holds: free text with unicode and emoji, quotes and newlines, NULLs, DECIMAL scores,
DATETIMEs and JSON columns. The same `(rows, seed)` always yields the same data. Inserts go in
multi-row batches, so 200k responses load in seconds.

Run it directly to seed a database:
    python -m examples.seed mysql+pymysql://root@127.0.0.1:3306/app --rows 20000
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False, index=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
)

responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("survey_id", sa.Integer, sa.ForeignKey("surveys.id"), nullable=False, index=True),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False, index=True),
    sa.Column("respondent_email", sa.String(320), nullable=True),
    sa.Column("answer_text", sa.Text, nullable=False),
    sa.Column("score", sa.Numeric(5, 2), nullable=True),
    sa.Column("submitted_at", sa.DateTime, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False, index=True),
)

EPOCH = datetime(2024, 1, 1, 9, 0, 0)
BATCH = 5000

_COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Soylent",
    "Müller & Söhne", "Café Lumière", "Zürich Analytics", "東京データ", "Škoda Partners",
]  # fmt: skip
_TOPICS = [
    "Onboarding", "Checkout", "Support", "Pricing", "Mobile app", "Delivery", "Search",
    "Dashboard", "Billing", "Accessibility", "Recruiting", "Office move",
]  # fmt: skip
_OPENERS = [
    "I love", "I'm frustrated with", "Honestly,", "Could you improve", "Great job on",
    "Not sure about", "Please fix", "Really enjoyed", "Confusing:", "Why does",
]  # fmt: skip
_SUBJECTS = [
    "the checkout flow", "search results", "the new dashboard", "delivery times",
    "the mobile app", "customer support", "pricing tiers", "password reset", "dark mode",
    "the export to CSV", "notifications", "the onboarding e-mail",
]  # fmt: skip
_TAILS = [
    ".", "!", "?", " 👍", " 😡", " 🚀🚀", " — merci beaucoup.", " (très bien).", ", danke schön!",
    " とても良い。", " 很好用。", " ¡Muy bien!", ' "it just works".', " it's O'Brien's fav\\orite.",
    ".\nSecond line: more details follow.", " naïve café façade.", " Ωμέγα ok.", "",
]  # fmt: skip
_CHANNELS = ["web", "email", "ios", "android", "kiosk"]
_LOCALES = ["en-US", "de-DE", "fr-FR", "ja-JP", "es-ES", "pt-BR", "zh-CN"]


def create_schema(engine: sa.Engine) -> None:
    """Create the three tables (no-op for tables that already exist)."""
    metadata.create_all(engine)


def drop_schema(engine: sa.Engine) -> None:
    metadata.drop_all(engine)


def counts_for(rows: int) -> tuple[int, int]:
    """(tenants, surveys) that go with `rows` responses: a handful of tenants, ~1 survey per 50."""
    n_tenants = max(2, min(200, rows // 5000 + 2))
    n_surveys = max(3, min(10000, rows // 50 + 3))
    return n_tenants, n_surveys


def _tenant_rows(n: int, rnd: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(1, n + 1):
        name = f"{rnd.choice(_COMPANIES)} {i}"
        out.append(
            {
                "id": i,
                "name": name,
                "slug": f"tenant-{i}",
                "created_at": EPOCH + timedelta(days=i, seconds=rnd.randrange(86400)),
            }
        )
    return out


def _survey_rows(n: int, n_tenants: int, rnd: random.Random) -> list[dict[str, Any]]:
    out = []
    for i in range(1, n + 1):
        created = EPOCH + timedelta(days=30 + i % 300, seconds=rnd.randrange(86400))
        topic = rnd.choice(_TOPICS)
        out.append(
            {
                "id": i,
                "tenant_id": 1 + (i - 1) % n_tenants,
                "title": f"{topic} survey #{i}",
                "description": None
                if rnd.random() < 0.2
                else f"How do you feel about {topic.lower()}? Tell us — ✨ honestly ✨.",
                "settings": {
                    "anonymous": rnd.random() < 0.3,
                    "max_score": 10,
                    "languages": rnd.sample(_LOCALES, 2),
                    "theme": {"color": rnd.choice(["#1e88e5", "#43a047", "#e53935"])},
                },
                "created_at": created,
                "updated_at": created + timedelta(hours=rnd.randrange(1, 500)),
            }
        )
    return out


def _answer(rnd: random.Random) -> str:
    text = f"{rnd.choice(_OPENERS)} {rnd.choice(_SUBJECTS)}{rnd.choice(_TAILS)}"
    if rnd.random() < 0.1:  # some long answers, like real free text
        text += " " + " ".join(rnd.choice(_SUBJECTS) for _ in range(rnd.randrange(10, 60)))
    return text


def _metadata(rnd: random.Random) -> dict[str, Any]:
    return {
        "channel": rnd.choice(_CHANNELS),
        "locale": rnd.choice(_LOCALES),
        "duration_s": rnd.randrange(5, 1800),
        "tags": rnd.sample(["nps", "beta", "vip", "churn-risk", "new"], rnd.randrange(3)),
    }


_SCORES = [Decimal(v) / Decimal(100) for v in range(1001)]


def response_batches(
    rows: int, n_tenants: int, n_surveys: int, rnd: random.Random, batch: int = BATCH
) -> Iterator[list[dict[str, Any]]]:
    """Responses 1..rows in lists of `batch` dicts, generated lazily to keep memory flat.

    Answers and metadata come from pools drawn once per seed, and each row takes its fields
    from the bits of one 64-bit draw: generation is then cheap next to the INSERTs.
    """
    answers = [_answer(rnd) for _ in range(2048)]
    metas = [_metadata(rnd) for _ in range(1024)]
    base = EPOCH + timedelta(days=60)
    chunk: list[dict[str, Any]] = []
    for i in range(1, rows + 1):
        r = rnd.getrandbits(64)
        survey_id = 1 + (r & 0xFFFFF) % n_surveys
        submitted = base + timedelta(seconds=i * 37 + ((r >> 20) & 0xFFF))
        chunk.append(
            {
                "id": i,
                "survey_id": survey_id,
                "tenant_id": 1 + (survey_id - 1) % n_tenants,
                "respondent_email": None if (r >> 32) & 3 == 0 else f"user{i}@example.com",
                "answer_text": answers[(r >> 34) & 0x7FF],
                "score": None if (r >> 45) & 7 == 0 else _SCORES[((r >> 48) & 0x3FF) % 1001],
                "submitted_at": submitted,
                "metadata": metas[(r >> 20) & 0x3FF],
                "updated_at": submitted + timedelta(minutes=(r >> 58) * 150 + (r >> 10) % 150),
            }
        )
        if len(chunk) >= batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def populate(engine: sa.Engine, rows: int, seed: int = 0) -> dict[str, int]:
    """Create the schema if needed and insert `rows` responses; returns the row count per table.

    Expects empty tables (ids are fixed, so the same seed gives identical data everywhere).
    """
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    create_schema(engine)
    rnd = random.Random(seed)
    n_tenants, n_surveys = counts_for(rows)
    with engine.begin() as conn:
        conn.execute(tenants.insert(), _tenant_rows(n_tenants, rnd))
        conn.execute(surveys.insert(), _survey_rows(n_surveys, n_tenants, rnd))
    for chunk in response_batches(rows, n_tenants, n_surveys, rnd):
        # One transaction per batch: the driver sends each as multi-row INSERTs.
        with engine.begin() as conn:
            conn.execute(responses.insert(), chunk)
    return {"tenants": n_tenants, "surveys": n_surveys, "responses": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url", help="SQLAlchemy database URL, e.g. mysql+pymysql://root@host/db")
    parser.add_argument("--rows", type=int, default=10000, help="number of responses")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(populate(sa.create_engine(args.url), args.rows, args.seed))


if __name__ == "__main__":
    main()
