"""Pytest plugin (loaded by the root conftest.py): real MariaDB and OpenSearch fixtures.

Importing it is cheap and starts nothing; each service starts on first use and lives for the
session. A missing service fails the test with the install command; nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.services.mariadb import MariaDBServer


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    """A running mariadbd for the session; `.create_database()` returns a fresh database URL."""
    from tests.services.mariadb import ServiceError, start_mariadb

    try:
        server = start_mariadb()
    except ServiceError as exc:
        pytest.fail(f"MariaDB test service unavailable: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mariadb_url(mariadb_server: MariaDBServer) -> Iterator[str]:
    """SQLAlchemy URL (mysql+pymysql) of a fresh, empty utf8mb4 database, dropped afterwards."""
    url = mariadb_server.create_database()
    yield url
    mariadb_server.drop_database(url.rsplit("/", 1)[1].split("?", 1)[0])


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """http://127.0.0.1:PORT of a real OpenSearch node (or OPENSEARCH_URL when it is set)."""
    from tests.services.mariadb import ServiceError
    from tests.services.opensearch import opensearch_node

    try:
        manager = opensearch_node()
        url = manager.__enter__()
    except ServiceError as exc:
        pytest.fail(f"OpenSearch test service unavailable: {exc}", pytrace=False)
    try:
        yield url
    finally:
        manager.__exit__(None, None, None)
