"""A real MariaDB server in a temporary datadir, for tests and benchmarks.

`start_mariadb()` returns a running `MariaDBServer`; `mariadb_server()` is the context-manager
form. The server listens on a free loopback port with grant tables skipped (any user, no password),
runs as root when we are root, and is stopped (and its datadir removed) on `stop()` or at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.services._process import die_with_parent, free_port, stop_child, tail

INSTALL_HINT = (
    "MariaDB is not installed: run `bash scripts/install-services.sh` "
    "(or `sudo apt-get install mariadb-server mariadb-client`)"
)


class ServiceError(RuntimeError):
    """A test service could not start; the message says why and how to fix it."""


def _find(binary: str, *candidates: str) -> str:
    found = shutil.which(binary)
    if found:
        return found
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise ServiceError(f"{binary} not found. {INSTALL_HINT}")


@dataclass
class MariaDBServer:
    """A running mariadbd. `url()` gives SQLAlchemy URLs; `create_database()` a fresh database."""

    port: int
    socket: str
    base_dir: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    host: str = "127.0.0.1"

    def url(self, database: str = "") -> str:
        return f"mysql+pymysql://root@{self.host}:{self.port}/{database}?charset=utf8mb4"

    def connect(self, database: str | None = None) -> Any:
        """A PyMySQL connection (autocommit) as root."""
        import pymysql

        return pymysql.connect(
            host=self.host,
            port=self.port,
            user="root",
            database=database,
            charset="utf8mb4",
            autocommit=True,
        )

    def create_database(self, name: str | None = None) -> str:
        """Create an empty utf8mb4 database and return its SQLAlchemy URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
        finally:
            conn.close()
        return self.url(name)

    def drop_database(self, name: str) -> None:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()

    def stop(self) -> None:
        proc, self.process = self.process, None
        stop_child(proc)
        shutil.rmtree(self.base_dir, ignore_errors=True)


def start_mariadb(*, timeout: float = 90.0, buffer_pool: str = "256M") -> MariaDBServer:
    """Initialise a datadir, start mariadbd on a free port and wait until it accepts queries."""
    mariadbd = _find("mariadbd", "/usr/sbin/mariadbd", "/usr/libexec/mariadbd")
    install_db = _find("mariadb-install-db", "/usr/bin/mariadb-install-db")
    base = tempfile.mkdtemp(prefix="preview-mariadb-")
    datadir = os.path.join(base, "data")
    log = os.path.join(base, "mariadb.log")
    user = ["--user=root"] if os.geteuid() == 0 else []
    init = subprocess.run(
        [
            install_db,
            "--no-defaults",
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise ServiceError(f"mariadb-install-db failed:\n{init.stdout}\n{init.stderr}")
    port = free_port()
    server = MariaDBServer(port=port, socket=os.path.join(base, "mysqld.sock"), base_dir=base)
    server.process = subprocess.Popen(
        [
            mariadbd,
            "--no-defaults",
            f"--datadir={datadir}",
            f"--socket={server.socket}",
            f"--pid-file={os.path.join(base, 'mysqld.pid')}",
            f"--log-error={log}",
            f"--tmpdir={base}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-grant-tables",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            f"--innodb-buffer-pool-size={buffer_pool}",
            # Test data is disposable: do not fsync every commit on a shared disk.
            "--innodb-flush-log-at-trx-commit=0",
            "--max-allowed-packet=64M",
            *user,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent(),
    )
    atexit.register(server.stop)
    deadline = time.monotonic() + timeout
    while True:
        if server.process is None or server.process.poll() is not None:
            server.stop()
            raise ServiceError(f"mariadbd exited while starting; its log:\n{tail(log)}")
        try:
            server.connect().close()
            return server
        except Exception as exc:  # pymysql raises several types while the server boots
            if time.monotonic() > deadline:
                server.stop()
                raise ServiceError(
                    f"mariadbd did not accept connections within {timeout:.0f}s ({exc}); "
                    f"its log:\n{tail(log)}"
                ) from exc
            time.sleep(0.2)


@contextmanager
def mariadb_server(**kwargs: float | str) -> Iterator[MariaDBServer]:
    server = start_mariadb(**kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
