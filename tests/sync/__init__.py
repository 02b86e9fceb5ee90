"""Tests for `preview sync` (database → OpenSearch) on a real MariaDB and a real OpenSearch node."""
