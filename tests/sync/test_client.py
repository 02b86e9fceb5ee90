"""How `preview sync` talks to OpenSearch: SigV4 on AWS, plain HTTP locally."""

from __future__ import annotations

import pytest
import requests

from preview.sync.engine import make_client


def test_aws_region_signs_every_request_with_sigv4_for_es(monkeypatch: pytest.MonkeyPatch) -> None:
    """On AWS each request carries a SigV4 signature scoped to <region>/es over HTTPS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 40)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = make_client("https://search-pr.eu-west-1.es.amazonaws.com", aws_region="eu-west-1")
    conn = client.transport.get_connection()
    assert conn.host == "https://search-pr.eu-west-1.es.amazonaws.com:443"
    request = requests.Request("GET", f"{conn.host}/_cluster/health").prepare()
    signed = conn.session.auth(request)
    assert "/eu-west-1/es/aws4_request" in signed.headers["Authorization"]


def test_local_url_uses_plain_http_without_signing() -> None:
    """Locally (no region) the client speaks plain HTTP and signs nothing."""
    client = make_client("http://127.0.0.1:9200")
    conn = client.transport.get_connection()
    assert conn.host == "http://127.0.0.1:9200"
    assert getattr(conn, "session", None) is None
