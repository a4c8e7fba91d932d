"""The database: numbered migrations and the unit of work, on either engine.

`Database.open(target)` opens a SQLite file (a path: the embedded default, one process) or a
PostgreSQL server (a `postgresql://` URL: several instances). Every change goes through
`Database.transaction()`: a unit of work that rolls back unless `commit()` was called.

- SQLite: one connection in WAL mode, used on the event loop's thread (`storage.engine`);
  `BEGIN IMMEDIATE`; one asyncio lock serialises units of work, so concurrent handlers never
  see each other's uncommitted rows. A read-only connection beside it, used in a worker
  thread, serves the long reads (`read_aside`).
- PostgreSQL: a pool of connections, one per unit of work, READ COMMITTED. No lock in the
  process: each state change checks its row's version or locks it (`SELECT ... FOR UPDATE`),
  so two instances decide two presses of one button one after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.base import instant
from storage.engine import (
    BUSY_TIMEOUT_MS,
    AsideSqliteConn,
    Dialect,
    SqliteConn,
    aside_connect,
    sqlite_connect,
)
from storage.engine import DatabaseBusy as DatabaseBusy  # re-exported: callers import it here
from storage.engine import DatabaseUnavailable as DatabaseUnavailable  # the same
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer version of the bot: this code must not touch it.

    `unknown` are the migration numbers recorded in the file that this code does not ship."""

    def __init__(self, path: Path | str, unknown: list[int], shipped: int) -> None:
        super().__init__(f"{path}: migrations {unknown} are newer than this code ({shipped})")
        self.path = path
        self.unknown = unknown
        self.shipped = shipped


MIGRATION_LOCK = 7_270_418  # PostgreSQL advisory lock: one instance migrates at a time
COVERS = "-- covers: "


def _sql_files(package: str) -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files(package).iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number = int(name.split("_", 1)[0])
        found.append((number, name, entry.read_text(encoding="utf-8")))
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"duplicate migration numbers in {sorted(numbers)}")
    return sorted(found)


def migration_files(dialect: Dialect = "sqlite") -> list[tuple[int, str, str]]:
    """The shipped migrations of an engine as (number, name, sql), in order.

    One numbered history for both engines. SQLite runs `storage/migrations/*.sql`. PostgreSQL
    starts from `migrations/postgresql/NNN_baseline.sql`, the schema of migrations 1..NNN at
    once (its first line: `-- covers: 1-NNN`); after it, a number runs its own file in
    `migrations/postgresql/` when there is one, else the shared file."""
    shared = _sql_files("storage.migrations")
    if dialect == "sqlite":
        return shared
    own = _sql_files("storage.migrations.postgresql")
    base = own[0]
    top = covered(base[2], base[0])[-1]
    mine = {n: (n, name, sql) for n, name, sql in own[1:]}
    return [base, *(mine.get(n, (n, name, sql)) for n, name, sql in shared if n > top)]


def covered(sql: str, number: int) -> list[int]:
    """The migration numbers a file records when applied: a baseline's range, else its own."""
    first = sql.split("\n", 1)[0]
    if first.startswith(COVERS):
        low, high = first.removeprefix(COVERS).split("-")
        return list(range(int(low), int(high) + 1))
    return [number]


class Database:
    """The application's database, on either engine (see the module's docstring)."""

    dialect: Dialect
    where: str  # the file or the server, for messages (no password)
    concurrent: bool = False  # units of work of other instances run at the same time

    @classmethod
    async def open(cls, target: Path | str, *, wait_s: float = 0.0) -> Database:
        """Open the database at `target` (a SQLite path, or a `postgresql://` URL), creating
        what is missing, and apply pending migrations. A server that cannot be reached is
        tried again for `wait_s` seconds (the running bot waits for as long as it takes),
        then `DatabaseUnavailable`."""
        if isinstance(target, str) and target.split(":", 1)[0] in ("postgresql", "postgres"):
            from storage.postgres import PostgresDatabase

            return await PostgresDatabase.connect(target, wait_s=wait_s)
        return await SqliteDatabase.connect(Path(target))

    async def close(self) -> None:
        raise NotImplementedError

    def transaction(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work; it commits only through `uow.commit()`, otherwise rolls back."""
        raise NotImplementedError

    def read(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        """Reads without a transaction: each statement sees what was committed when it ran.
        Writes that stand alone (marking an update handled) may run here too, each its own
        transaction; writes that must succeed or fail together belong in `transaction()`."""
        raise NotImplementedError

    def read_aside(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        """Reads that grow with the organisation (the sweep's due tasks, the digest's counts),
        kept off the path of people's taps."""
        raise NotImplementedError

    def handling(
        self, channel: str, event_id: str, at: datetime, seen: bool | None = None
    ) -> contextlib.AbstractAsyncContextManager[bool]:
        """Claim an incoming event for handling, once across every instance: the block is told
        False when it was handled already (`seen`, when known, says whether it was), True when
        this instance is to handle it now. The event is recorded as handled when the block ends
        without an exception, and stays unrecorded otherwise, so that the platform's next
        delivery (after a crash too) handles it again. A handler's acts are committed in units
        of work of their own, before its answer is sent: the record comes after both."""
        raise NotImplementedError

    async def migrate(self, migrations: Iterable[tuple[int, str, str]] | None = None) -> list[str]:
        """Apply the migrations not yet recorded in `schema_migrations`; return their names."""
        raise NotImplementedError

    async def applied_migrations(self) -> list[str]:
        raise NotImplementedError

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with every statement run from now on (None stops): for debugging,
        and for tests that count the queries a use case costs."""
        raise NotImplementedError

    @property
    def path(self) -> Path:
        """The SQLite file (the backup reads it directly)."""
        raise NotImplementedError(f"{self.dialect} has no database file")

    @property
    def source(self) -> Path | str:
        """What another process opens to read the database by itself (the site build, see
        `storage.register`): the SQLite file, or the server's URL."""
        return self.path

    async def pragma(self, name: str) -> Any:
        """A SQLite pragma's value (SQLite only)."""
        raise NotImplementedError(f"{self.dialect} has no pragmas")

    def exclusive(
        self, name: str, *, wait: bool = False
    ) -> contextlib.AbstractAsyncContextManager[bool]:
        """Work that one instance does at a time (the sweep, a site build): yields True when
        this instance holds `name` until the block ends, False when another instance holds it
        (skip the work); with `wait`, waits for it instead (always True). SQLite has one
        instance: always True."""
        raise NotImplementedError

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        """Call `wake` whenever any instance calls `notify(channel)`, for as long as this
        database is open (PostgreSQL's LISTEN; SQLite has one instance: nothing to hear)."""

    def notify(self, channel: str) -> None:
        """Wake the listeners of `channel` in every instance, soon (fire and forget)."""

    async def instance(self) -> int:
        """This running instance's mark, stamped on the outbox rows it sends
        (`OutboxRepository.claim_many`): while it runs, the other instances can tell that it
        does (`Repository._gone`). SQLite has one process: 0."""
        return 0

    async def hold(self, name: str) -> bool:
        """Hold `name` for as long as this database is open (the Telegram poller: Telegram
        gives the updates to one poller only); False when another instance holds it."""
        raise NotImplementedError


def check_not_newer(where: Path | str, done: set[int], plan: list[tuple[int, str, str]]) -> None:
    """A newer bot ran on this database: its schema may mean things this code does not know,
    and writing to it could corrupt what the newer version relies on. Stop, untouched."""
    shipped = {n for number, _, sql in plan for n in covered(sql, number)}
    unknown = sorted(done - shipped)
    if unknown:
        raise SchemaTooNew(where, unknown, max(shipped, default=0))


def applied_at() -> str:
    return instant(datetime.now(UTC))


class SqliteDatabase(Database):
    """The application's SQLite database file."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._raw = conn
        self._path = path
        self.where = str(path)
        self._conn = SqliteConn(conn, self.where)
        self._lock = asyncio.Lock()
        self._aside: aiosqlite.Connection | None = None  # opened by the first `read_aside()`
        self._aside_lock = asyncio.Lock()
        self._trace: Callable[[str], object] | None = None

    @property
    def path(self) -> Path:
        return self._path

    @classmethod
    async def connect(cls, path: Path) -> SqliteDatabase:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Busy timeout 0: the loop never waits for a lock (SqliteConn waits in a thread).
        conn = sqlite_connect(path, busy_ms=0)
        db = cls(conn, path)
        try:
            for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
                await db._conn.execute(f"PRAGMA {pragma}")
            await db.migrate()
        except BaseException:
            conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._aside_lock:  # not under a read in a worker thread
            if self._aside is not None:
                await self._aside.close()
                self._aside = None
        self._raw.close()

    async def migrate(self, migrations: Iterable[tuple[int, str, str]] | None = None) -> list[str]:
        conn = self._conn
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in await conn.all("SELECT number FROM schema_migrations")}
        plan = list(migrations) if migrations is not None else migration_files("sqlite")
        if migrations is None:
            check_not_newer(self._path, done, plan)
        applied = []
        for number, name, sql in plan:
            if number in done:
                continue
            # executescript() would COMMIT on its own; running the statements one by one keeps
            # each migration all-or-nothing together with its record.
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in split_sql(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, applied_at()),
                )
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
            log.info("applied migration %s", name)
            applied.append(name)
        return applied

    async def applied_migrations(self) -> list[str]:
        rows = await self._conn.all("SELECT name FROM schema_migrations ORDER BY number")
        return [row[0] for row in rows]

    async def _turn(self) -> None:
        """Let the loop serve others before a unit of work: the statements run on the loop's
        thread without awaiting anything, and an asyncio lock that is free is taken without a
        pause, so work made only of units of work (a sweep of many units, a view run again and
        again) would otherwise hold the loop for as long as it lasts."""
        await asyncio.sleep(0)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        await self._turn()
        async with self._lock:
            uow = UnitOfWork(self._conn)
            try:
                # Inside the try: a BEGIN that waited for another process's lock and was
                # cancelled meanwhile is rolled back below (`SqliteConn._wait` lets it end).
                await self._conn.execute("BEGIN IMMEDIATE")
                yield uow
            finally:
                # in_transaction also covers a COMMIT that went through while its await was
                # cancelled: there is nothing left to roll back then.
                if not uow.committed and self._raw.in_transaction:
                    self._raw.execute("ROLLBACK")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        # No transaction: the views need no snapshot across their statements, only the other
        # units of work kept out, which the lock does (and BEGIN and ROLLBACK cost two more
        # statements).
        await self._turn()
        async with self._lock:
            yield UnitOfWork(self._conn, autocommit=True)

    @asynccontextmanager
    async def read_aside(self) -> AsyncIterator[UnitOfWork]:
        """On a second, read-only connection, in aiosqlite's worker thread, that neither waits
        for the units of work nor holds them up (in WAL mode SQLite's readers and its one writer go
        side by side). One such read at a time. Only for reads that grow with the
        organisation: a short read (a tap's view) is faster under the lock on the loop's
        thread than through a thread and back."""
        async with self._aside_lock:
            if self._aside is None:
                self._aside = await aside_connect(
                    self._path, busy_ms=BUSY_TIMEOUT_MS, read_only=True
                )
                if self._trace is not None:
                    await self._aside.set_trace_callback(self._trace)
            yield UnitOfWork(AsideSqliteConn(self._aside), autocommit=True)

    @asynccontextmanager
    async def handling(
        self, channel: str, event_id: str, at: datetime, seen: bool | None = None
    ) -> AsyncIterator[bool]:
        # One process: the intake never hands out one event twice at once; whether it was
        # handled is read first, and the record written after it, in a statement of its own.
        if seen is None:
            async with self.read() as uow:
                seen = event_id in await uow.updates.seen(channel, [event_id])
        yield not seen
        async with self.read() as uow:
            await uow.updates.mark(channel, event_id, at)

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        self._trace = callback
        self._raw.set_trace_callback(callback)
        if self._aside is not None:
            # None turns tracing off, as in sqlite3 (aiosqlite's annotation leaves it out).
            await self._aside.set_trace_callback(callback)  # type: ignore[arg-type]

    @asynccontextmanager
    async def exclusive(self, name: str, *, wait: bool = False) -> AsyncIterator[bool]:
        yield True

    async def hold(self, name: str) -> bool:
        return True

    async def pragma(self, name: str) -> Any:
        rows = await self._conn.all(f"PRAGMA {name}")
        return rows[0][0] if rows else None


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
