"""Deleting a preview's search indices on a real OpenSearch node."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from preview.aws import OpenSearchIndices

pytestmark = pytest.mark.services

OTHERS = ["pr-120-surveys", "pr-1-surveys", "staging-surveys"]


def _names(client: OpenSearch) -> set[str]:
    return {n for n in client.indices.get(index="*") if not n.startswith(".")}


def test_down_deletes_only_the_prs_indices(opensearch_url: str) -> None:
    """pr-12- indices go; pr-120-, pr-1- and staging indices stay; a re-run deletes nothing."""
    client = OpenSearch(hosts=[opensearch_url])
    for name in ["pr-12-surveys", "pr-12-answers", *OTHERS]:
        client.indices.create(index=name)
    try:
        cleaner = OpenSearchIndices.from_url(opensearch_url, "us-east-1")
        assert cleaner.delete("pr-12-") == 2
        assert _names(client) >= set(OTHERS)
        assert not {n for n in _names(client) if n.startswith("pr-12-")}
        assert cleaner.delete("pr-12-") == 0
    finally:
        for name in OTHERS:
            client.indices.delete(index=name, ignore_unavailable=True)


@pytest.mark.parametrize("prefix", ["", "*", "pr-", "pr-12", "staging-", "pr-0-"])
def test_refuses_prefixes_that_could_hit_other_indices(prefix: str) -> None:
    """Only an exact `pr-<N>-` prefix is accepted, so a bug can never wipe the shared domain."""
    with pytest.raises(ValueError):
        OpenSearchIndices(client=None).delete(prefix)
