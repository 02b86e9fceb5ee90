"""The smoke gate against the reference app over HTTPS with a private CA (as URL protection or an
internal preview zone would have), plus the HTTP listener that must redirect to it."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts.errors import SMOKE_FAILED
from smoke.health import check
from tests.smoke.conftest import APP_SHA, redirector, run_smoke

pytestmark = pytest.mark.services


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (also its own CA) and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "preview test CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_app(
    reference_app: tuple[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path, Any]]:
    """The reference app also on HTTPS, and an HTTP listener redirecting to it.

    Yields (https base URL, http URL, CA file, App).
    """
    from examples.app.app import serve

    _, app = reference_app
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server, thread = serve(app, tls=context)
    https_url = f"https://127.0.0.1:{server.server_port}"

    with redirector(308, https_url) as http_url:
        yield https_url, http_url, cert, app
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_suite_passes_over_https_with_the_redirect(
    tls_app: tuple[str, str, Path, Any], app: tuple[str, Any]
) -> None:
    """Over HTTPS with a trusted private CA, every check passes, the redirect check included."""
    https_url, http_url, ca, _ = tls_app
    env = {**os.environ, "SSL_CERT_FILE": str(ca)}
    code, summary = run_smoke(https_url, "--expected-sha", APP_SHA, "--http-url", http_url, env=env)
    assert code == 0, summary
    assert ": 9 passed in" in summary


def test_untrusted_certificate_fails_the_suite(
    tls_app: tuple[str, str, Path, Any], app: tuple[str, Any]
) -> None:
    """Without the CA the suite refuses the certificate instead of skipping verification."""
    https_url, http_url, _, _ = tls_app
    env = {k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"}
    code, summary = run_smoke(https_url, "--http-url", http_url, env=env)
    assert code == SMOKE_FAILED
    assert "test_health" in summary


def test_health_check_over_https(
    tls_app: tuple[str, str, Path, Any], app: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The health Lambda verifies the certificate like the suite does (trusted CA: healthy)."""
    https_url, _, ca, _ = tls_app
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    assert check(f"{https_url}/health", APP_SHA)["healthy"] is True
