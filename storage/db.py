"""SQLite access: one connection in WAL mode, numbered migrations, and the unit of work; and a
read-only connection beside it for the long reads (`Database.read_aside`).

Every change goes through `Database.transaction()`: a unit of work that holds the connection
exclusively, starts `BEGIN IMMEDIATE`, and rolls back unless `commit()` was called. One asyncio
lock serialises units of work, so concurrent handlers never see each other's uncommitted rows and
two simultaneous presses of one button are decided one after the other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer version of the bot: this code must not touch it.

    `unknown` are the migration numbers recorded in the file that this code does not ship."""

    def __init__(self, path: Path, unknown: list[int], shipped: int) -> None:
        super().__init__(f"{path}: migrations {unknown} are newer than this code ({shipped})")
        self.path = path
        self.unknown = unknown
        self.shipped = shipped


def migration_files() -> list[tuple[int, str, str]]:
    """The shipped migrations as (number, name, sql), in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number = int(name.split("_", 1)[0])
        found.append((number, name, entry.read_text(encoding="utf-8")))
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"duplicate migration numbers in {sorted(numbers)}")
    return sorted(found)


class Database:
    """The application's SQLite database file."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._aside: aiosqlite.Connection | None = None  # opened by the first `read_aside()`
        self._aside_lock = asyncio.Lock()
        self._trace: Callable[[str], object] | None = None

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database at `path` and apply pending migrations."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, sqlite3 must not do it implicitly.
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        db = cls(conn, path)
        try:
            await db.migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        if self._aside is not None:
            await self._aside.close()
            self._aside = None
        await self._conn.close()

    async def migrate(self, migrations: Iterable[tuple[int, str, str]] | None = None) -> list[str]:
        """Apply the migrations not yet recorded in `schema_migrations`; return their names."""
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with self._conn.execute("SELECT number FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        plan = list(migrations) if migrations is not None else migration_files()
        if migrations is None:
            # A newer bot ran on this file: its schema may mean things this code does not know,
            # and writing to it could corrupt what the newer version relies on. Stop, untouched.
            shipped = {number for number, _, _ in plan}
            unknown = sorted(done - shipped)
            if unknown:
                raise SchemaTooNew(self.path, unknown, max(shipped, default=0))
        applied = []
        for number, name, sql in plan:
            if number in done:
                continue
            # executescript() would COMMIT on its own; running the statements one by one keeps
            # each migration all-or-nothing together with its record.
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in split_sql(sql):
                    await self._conn.execute(statement)
                await self._conn.execute(
                    "INSERT INTO schema_migrations (number, name, applied_at)"
                    " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                    (number, name),
                )
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")
            log.info("applied migration %s", name)
            applied.append(name)
        return applied

    async def applied_migrations(self) -> list[str]:
        async with self._conn.execute("SELECT name FROM schema_migrations ORDER BY number") as cur:
            return [row[0] for row in await cur.fetchall()]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work; it commits only through `uow.commit()`, otherwise rolls back."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            uow = UnitOfWork(self._conn)
            try:
                yield uow
            finally:
                # in_transaction also covers a COMMIT that went through while its await was
                # cancelled: there is nothing left to roll back then.
                if not uow.committed and self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """Reads without a transaction: each statement sees what was committed when it ran.

        Every statement of a transaction costs a hop to aiosqlite's thread, and BEGIN and ROLLBACK
        are two more; the views (/tugas, /status, a case's card) need no snapshot across their
        statements, only the other units of work kept out, which the lock does. Writes that stand
        alone (marking an update handled, pruning old marks) may run here too: in autocommit
        mode each is its own transaction. Writes that must succeed or fail together belong in
        `transaction()`.
        """
        async with self._lock:
            yield UnitOfWork(self._conn, autocommit=True)

    @asynccontextmanager
    async def read_aside(self) -> AsyncIterator[UnitOfWork]:
        """Reads on a second, read-only connection that neither waits for the units of work
        nor holds them up (in WAL mode SQLite's readers and its one writer go side by side):
        for the reads that grow with the organisation (the sweep's list of due tasks, the
        digest's count of every task due), so that nobody's tap waits behind them. Each
        statement sees what was committed when it ran. One such read at a time, and each hop
        goes to a thread of its own: short reads (a tap's view) are faster under the lock (the
        throughput benchmark: /status there cost 160 ms instead of 10 under load)."""
        async with self._aside_lock:
            if self._aside is None:
                conn = await aiosqlite.connect(self.path, isolation_level=None)
                conn.row_factory = aiosqlite.Row
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await conn.execute("PRAGMA query_only = ON")
                if self._trace is not None:
                    await conn.set_trace_callback(self._trace)
                self._aside = conn
            yield UnitOfWork(self._aside, autocommit=True)

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with every statement run from now on (None stops), on both
        connections: for debugging, and for tests that count the queries a use case costs."""
        self._trace = callback
        # sqlite3 takes None to stop tracing; aiosqlite's annotation leaves None out.
        await self._conn.set_trace_callback(callback)  # type: ignore[arg-type]
        if self._aside is not None:
            await self._aside.set_trace_callback(callback)  # type: ignore[arg-type]

    async def pragma(self, name: str) -> Any:
        async with self._conn.execute(f"PRAGMA {name}") as cur:
            row = await cur.fetchone()
            return None if row is None else row[0]


def split_sql(script: str) -> list[str]:
    """Split a migration into statements; `;` ends a statement outside BEGIN...END blocks."""
    statements: list[str] = []
    current: list[str] = []
    depth = 0
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        upper = stripped.upper()
        if upper.endswith("BEGIN"):
            depth += 1
        if depth and upper.startswith("END"):
            depth -= 1
        if depth == 0 and stripped.endswith(";"):
            statements.append("\n".join(current))
            current = []
    if current:
        statements.append("\n".join(current))
    return statements
