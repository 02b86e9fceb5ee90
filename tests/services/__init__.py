"""Real services for tests and benchmarks: a MariaDB server and an OpenSearch node.

`mariadb.py` and `opensearch.py` are plain modules (the bench uses them too); `fixtures.py` wraps
them as pytest fixtures and is loaded by the root `conftest.py`.
"""
