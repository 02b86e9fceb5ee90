"""Backpressure: 429/5xx answers to `_bulk` are retried with backoff, not treated as data errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from preview.sync.engine import Options, make_client, run_sync
from tests.sync.faults import fault_proxy

pytestmark = pytest.mark.services


class _Throttle:
    """A fault-proxy rule: the next `_bulk` calls get the statuses in `refuse`, from the proxy."""

    def __init__(self, refuse: list[int]) -> None:
        self.refuse = list(refuse)  # status codes for the next _bulk calls
        self.refused = 0

    def __call__(self, method: str, path: str) -> int | None:
        if "_bulk" not in path or not self.refuse:
            return None
        self.refused += 1
        return self.refuse.pop(0)


@pytest.fixture
def throttle(opensearch_url: str) -> Iterator[tuple[_Throttle, str]]:
    rule = _Throttle([429, 503, 429])
    with fault_proxy(opensearch_url, rule) as (_, url):
        yield rule, url


def test_throttled_bulk_requests_are_retried_until_complete(
    seeded, client, prefix, spec, throttle
) -> None:
    """Three refused _bulk calls (429, 503, 429) cost retries, never documents."""
    proxy, url = throttle
    opts = Options(chunk_size=100, parallelism=2, batch=100, backoff=0.01)
    summary = run_sync(
        spec, seeded, make_client(url), prefix, only=["responses"], opts=opts, progress=print
    )
    assert proxy.refused == 3
    assert summary["indices"][0]["retries"] == 3
    assert int(client.count(index=f"{prefix}responses")["count"]) == summary["rows"] > 0


def test_endless_throttling_gives_up_and_leaves_nothing(
    seeded, client, prefix, spec, throttle
) -> None:
    """When the domain never accepts writes the run fails as unavailable, with no index left."""
    from contracts.errors import UnavailableError

    proxy, url = throttle
    proxy.refuse = [429] * 1000
    opts = Options(chunk_size=100, parallelism=2, batch=100, backoff=0.001, max_retries=3)
    with pytest.raises(UnavailableError, match="refusing writes"):
        run_sync(spec, seeded, make_client(url), prefix, only=["responses"], opts=opts)
    # HEAD on a wildcard answers 200 even when nothing matches, so list instead.
    left = client.indices.get(index=f"{prefix}*", params={"allow_no_indices": "true"})
    assert left == {}
