"""The OpenSearch client of `preview sync` and how its failures read: the URL and prefix checks,
SigV4 or plain HTTP, an opensearch-py error told in a few words with the fix, progress lines."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import TransportError

from contracts.errors import UnavailableError, UsageError

_INDEX_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,60}$")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_IP = re.compile(r"[0-9a-fA-F:.]+")

Progress = Callable[[str], None]


def stderr_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _host_name(host: str) -> bool:
    """A DNS name or an IP literal (checked label by label: no backtracking on long input)."""
    if _IP.fullmatch(host):
        return True
    return len(host) <= 253 and all(_LABEL.fullmatch(p) for p in host.rstrip(".").split("."))


def check_prefix(prefix: str) -> str:
    if not _INDEX_PREFIX.match(prefix):
        raise UsageError(
            f"index prefix {prefix!r} (--prefix / PREVIEW_SYNC_INDEX_PREFIX) is not usable",
            hint="set PREVIEW_SYNC_INDEX_PREFIX / --prefix to lowercase letters, digits and '-', "
            "e.g. pr-123-",
        )
    return prefix


def make_client(url: str, *, aws_region: str | None = None, pool: int = 8) -> OpenSearch:
    """opensearch-py client: SigV4-signed (service "es") when a region is given, else plain HTTP."""
    from urllib.parse import urlparse

    where = "--opensearch-url / PREVIEW_SYNC_OPENSEARCH_URL"
    fix = "set PREVIEW_SYNC_OPENSEARCH_URL to the domain endpoint, e.g. https://search-x.es.amazonaws.com"
    try:
        parts = urlparse(url if "://" in url else f"https://{url}")
        port = parts.port
    except ValueError as exc:  # a bad port or bracket
        raise UsageError(f"{where} {url!r} is not a URL: {exc}", hint=fix) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{where} {url!r} has no http(s) host", hint=fix)
    if not _host_name(parts.hostname):
        raise UsageError(f"{where} {url!r}: host {parts.hostname!r} is not a host name", hint=fix)
    ssl = parts.scheme == "https"
    host = {"host": parts.hostname, "port": port or (443 if ssl else 80)}
    common: dict[str, Any] = {
        "hosts": [host],
        "use_ssl": ssl,
        "verify_certs": ssl,
        "timeout": 120,
        "max_retries": 0,  # we retry ourselves, with backoff, per chunk
        "pool_maxsize": pool,
        "http_compress": False,
    }
    if aws_region:
        import boto3
        from opensearchpy import RequestsAWSV4SignerAuth, RequestsHttpConnection

        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise UnavailableError(
                "no AWS credentials for SigV4", hint="run with a task role or AWS_PROFILE set"
            )
        auth = RequestsAWSV4SignerAuth(credentials, aws_region, "es")
        return OpenSearch(http_auth=auth, connection_class=RequestsHttpConnection, **common)
    if parts.username:
        common["http_auth"] = (parts.username, parts.password or "")
    return OpenSearch(**common)


def reason(exc: TransportError) -> str:
    """The reason OpenSearch gave in its error body, else the error text."""
    info = exc.info if isinstance(exc.info, dict) else {}
    err = info.get("error")
    if isinstance(err, dict):
        return str(err.get("reason") or err.get("type"))
    return str(exc.error)


def describe_error(exc: BaseException) -> str:
    """The real cause of an opensearch-py error in a few words ('Connection refused', ...)."""
    if isinstance(exc, OSConnectionError):
        text = f"{exc.info!r} {exc.error}"
        found = re.search(r"\[Errno -?\d+\] ([^'\")(]+)", text)
        if found:
            return found.group(1).strip().rstrip(".,")
        if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
            return "timed out"
        if "RemoteDisconnected" in text or "closed connection" in text.lower():
            return "connection closed without a response"
        return str(exc.error)[:200]
    if isinstance(exc, TransportError):
        return f"HTTP {exc.status_code}: {reason(exc)}"
    return str(exc)[:200]


def hint_for(exc: BaseException) -> str:
    if isinstance(exc, OSConnectionError):
        return "check PREVIEW_SYNC_OPENSEARCH_URL and network access to the domain, then re-run"
    if isinstance(exc, TransportError) and exc.status_code in (401, 403):
        return "check the task role and the domain's access policy"
    return "re-run `preview sync`; the previous indices are still live"
