"""Root conftest: registers the shared service fixtures (MariaDB, OpenSearch) for every test package."""

pytest_plugins = ["tests.services.fixtures"]
