"""Fixtures for the sync tests: a client of the real node, a unique prefix, a seeded database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from examples.seed import populate

SPEC_PATH = Path(__file__).resolve().parents[2] / "examples" / "app" / "search-spec.yaml"
ROWS = 300


@pytest.fixture(scope="session")
def client(opensearch_url: str):  # type: ignore[no-untyped-def]
    from preview.sync.engine import make_client

    return make_client(opensearch_url)


@pytest.fixture
def prefix(client) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A prefix no other test uses; its indices are deleted afterwards."""
    from preview.sync.engine import delete_prefix

    value = f"t{uuid.uuid4().hex[:8]}-"
    yield value
    delete_prefix(client, value)


@pytest.fixture
def engine(mariadb_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mariadb_url)
    yield eng
    eng.dispose()


@pytest.fixture
def seeded(engine: sa.Engine) -> sa.Engine:
    """The survey schema with ROWS responses (seed 0)."""
    populate(engine, ROWS, seed=0)
    return engine


@pytest.fixture
def spec():  # type: ignore[no-untyped-def]
    from preview.sync.spec import load_spec

    return load_spec(SPEC_PATH)


@pytest.fixture
def opts():  # type: ignore[no-untyped-def]
    """Small chunks so even a few hundred rows travel in many parallel _bulk requests."""
    from preview.sync.engine import Options

    return Options(chunk_size=40, parallelism=3, batch=100)


def reference_spec() -> dict[str, Any]:
    """The example app's sync spec as plain data, for tests to edit."""
    data: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def responses_index(data: dict[str, Any]) -> dict[str, Any]:
    """The `responses` index of spec data (edited in place by the caller)."""
    found: dict[str, Any] = next(i for i in data["indices"] if i["name"] == "responses")
    return found


def bad_mapping_spec(spec):  # type: ignore[no-untyped-def]
    """The spec with `responses.answer_text` mapped as a date: OpenSearch rejects every row."""
    from preview.sync.spec import parse_spec

    data = spec.model_dump(by_alias=True)
    responses_index(data)["mapping"]["properties"]["answer_text"] = {"type": "date"}
    return parse_spec(data)
