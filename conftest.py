"""Root conftest: registers the shared service fixtures (MariaDB, OpenSearch) for all tests."""

pytest_plugins = ["tests.services.fixtures"]
