"""A throw-away PostgreSQL cluster for the tests: Debian's server, started once per test run in a
temporary directory on a free port, fast and unsafe (no fsync), stopped at the end.

Each test gets a database of its own, copied from a template that has every migration applied
(`CREATE DATABASE ... TEMPLATE`, a file copy: far faster than migrating each time). `make test`
installs Debian's `postgresql` package when the server is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

USER = "ppid"
TEMPLATE = "ppid_template"


def server_bin() -> Path:
    """The directory of Debian's PostgreSQL programs (the newest version installed)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL's server is not installed: apt-get install postgresql")


def _version(path: Path) -> int:
    return int(path.parent.parent.name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One running server; `database()` makes a fresh migrated database and returns its URL."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable  # a commit survives a crash of the server (slower)
        self.dir = Path(tempfile.mkdtemp(prefix="ppid-pg-"))
        self.port = free_port()
        self._bin = server_bin()
        self._names = itertools.count(1)
        self._template_ready = False

    def _run(self, *args: str) -> None:
        # The server refuses to run as root: when the tests run as root (CI), it runs as the
        # `postgres` user that Debian's package creates.
        command = [*args]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """Make the cluster (the first time) and start its server."""
        data = self.dir / "data"
        if not data.exists():
            self._run(str(self._bin / "initdb"), "-D", str(data), "-U", USER, "-A", "trust",
                      "-E", "UTF8", "--no-sync", "--locale=C")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(self._bin / "pg_ctl"), "-D", str(data), "-o", options,
                  "-l", str(self.dir / "log"), "-w", "-t", "120", "start")  # fmt: skip

    def url(self, name: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.encode())

    def database(self, *, migrated: bool = True) -> str:
        """A new empty database (migrated: a copy of the template), as its URL."""
        name = f"t{next(self._names)}"
        if not migrated:
            self._admin(f"CREATE DATABASE {name}")
            return self.url(name)
        if not self._template_ready:
            self._admin(f"CREATE DATABASE {TEMPLATE}")
            _migrate(self.url(TEMPLATE))
            self._template_ready = True
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def stop_server(self) -> None:
        """Stop the server at once, as a crash or a failover would (the files stay)."""
        self._run(str(self._bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m",
                  "immediate", "-w", "stop")  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)


def _migrate(url: str) -> None:
    """Apply the migrations, on a thread of its own: the caller may be inside an event loop."""
    from storage.db import Database

    async def run() -> None:
        db = await Database.open(url)
        await db.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@contextlib.contextmanager
def running(*, durable: bool = False) -> Iterator[Cluster]:
    cluster = Cluster(durable=durable)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
