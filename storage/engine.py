"""The two database engines behind one small connection interface: SQLite through the standard
`sqlite3` module (the embedded default, one process) and PostgreSQL through psycopg 3 (several
instances).

The repositories write their SQL once, with `?` placeholders and the SQL both engines share;
`PgConn` turns the placeholders into psycopg's (`%s`) once per statement text. A row is read by
name (`row["title"]`) or by position (`row[0]`) on both engines.

SQLite runs on the event loop's thread (`SqliteConn`): with WAL and the indexes a statement of a
tap takes microseconds, far less than handing it to a thread and back (aiosqlite's hop for every
statement was the bot's largest cost per update in the throughput benchmark,
benchmarks/README.md). What can take long (the sweep's and the digest's reads over every open
task, exports, health's look) runs through aiosqlite, in its worker thread, on a connection of
its own (`AsideSqliteConn`). The loop never waits for another process's write lock: a statement that finds it taken waits for it in a worker thread instead,
and if it is still taken after `BUSY_TIMEOUT_MS`, `DatabaseUnavailable` tells the caller to try
again later (a chat's update stays unconfirmed, its person is told why they wait).

Why not SQLAlchemy: the statements were written and tested already as plain SQL, and its
asyncio layer would add a greenlet switch to every statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import aiosqlite

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import RowMaker

Dialect = Literal["sqlite", "postgresql"]
T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process's (the CLI's) write lock
STATEMENT_CACHE = 512  # prepared statements kept per connection: the repositories' texts fit


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached (PostgreSQL down, a failover, the network) or, on SQLite,
    another process has held the write lock for longer than `BUSY_TIMEOUT_MS`. Nothing of the
    unit of work was kept; the same work may be tried again later."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class DatabaseBusy(DatabaseUnavailable):
    """SQLite: another process (the command line, a restore) has held the write lock for
    longer than `BUSY_TIMEOUT_MS`."""


class RolledBack(RuntimeError):
    """COMMIT found the transaction failed (PostgreSQL): a statement of the unit of work failed
    and its error was caught, so the server rolled everything back instead. SQLite would have
    committed the other statements; PostgreSQL keeps none, and says so here."""


class Row(Protocol):
    """A result row: by name or by position; `keys()` lists the names."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Conn(Protocol):
    """What the repositories run their SQL on: one open connection of either engine."""

    dialect: Dialect

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns how many rows it changed."""

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table keyed by `id`; returns the new id."""

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One statement for many parameter rows; returns how many rows changed."""


def sqlite_connect(
    target: Path | str, *, busy_ms: int, uri: bool = False, read_only: bool = False
) -> sqlite3.Connection:
    """A `sqlite3` connection as the storage layer uses it: rows by name, BEGIN and COMMIT
    issued by us (`isolation_level=None`), usable from a worker thread (each connection is
    used by one unit of work at a time, which its owner's lock guarantees)."""
    conn = sqlite3.connect(
        target, uri=uri, timeout=busy_ms / 1000, isolation_level=None,
        check_same_thread=False, cached_statements=STATEMENT_CACHE,
    )  # fmt: skip
    conn.row_factory = sqlite3.Row
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or one of its extended codes (SQLITE_BUSY_RECOVERY after another process
    crashed mid-write, ...): another connection holds the lock this statement needs."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


def _all(raw: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    return raw.execute(sql, params).fetchall()


def _execute(raw: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    return raw.execute(sql, params).rowcount


def _insert(raw: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    rowid = raw.execute(sql, params).lastrowid
    assert rowid is not None
    return rowid


def _execute_many(raw: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    return max(raw.executemany(sql, rows).rowcount, 0)


class SqliteConn:
    """A `sqlite3` connection used on the event loop's thread. Its own busy timeout is 0: a
    statement that finds another process's lock is run again in a worker thread, waiting up
    to `BUSY_TIMEOUT_MS` there while the loop serves everyone else (a statement that got
    SQLITE_BUSY did nothing, so running it again is safe)."""

    dialect: Dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection, where: str = "database") -> None:
        self.raw = raw
        self.where = where

    def _wait_and_run(self, fn: Callable[..., T], *args: Any) -> T:
        """In a worker thread: `fn` with the long busy timeout, then the short one again."""
        self.raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            return fn(self.raw, *args)
        finally:
            self.raw.execute("PRAGMA busy_timeout = 0")

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(self.raw, *args)
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return await self._wait(fn, *args)

    async def _wait(self, fn: Callable[..., T], *args: Any) -> T:
        job = asyncio.ensure_future(asyncio.to_thread(self._wait_and_run, fn, *args))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            # A thread cannot be stopped: let the statement end before the connection is used
            # again (its owner's lock is released by the cancellation), so that the loop never
            # meets it busy in the thread and whatever it began is rolled back by the caller.
            while not job.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(job)
            if not job.cancelled():
                job.exception()  # seen: the caller was cancelled, its outcome is moot
            raise
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            raise DatabaseBusy(self.where, "another process holds the write lock") from exc

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._run(_all, sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._run(_execute, sql, params)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._run(_insert, sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        batch = list(rows)
        if not self.raw.in_transaction and len(batch) > 1:
            # Outside a transaction each row commits alone: one that found the lock taken
            # would leave the rows before it written, and running the batch again would
            # write them twice. Such a batch waits in a worker thread from its start.
            return await self._wait(_execute_many, sql, batch)
        return await self._run(_execute_many, sql, batch)


async def aside_connect(
    target: Path | str, *, busy_ms: int, uri: bool = False, read_only: bool = False
) -> aiosqlite.Connection:
    """An aiosqlite connection (its statements run in aiosqlite's thread), set up as
    `sqlite_connect` sets up the loop's own."""
    conn = await aiosqlite.connect(
        target, uri=uri, timeout=busy_ms / 1000, isolation_level=None,
        cached_statements=STATEMENT_CACHE,
    )  # fmt: skip
    conn.row_factory = sqlite3.Row
    if read_only:
        await conn.execute("PRAGMA query_only = ON")
    return conn


class AsideSqliteConn:
    """SQLite through aiosqlite, whose thread runs every statement: for the reads that grow
    with the organisation, which must not hold up the loop. Its busy timeout is the long one;
    it waits in that thread."""

    dialect: Dialect = "sqlite"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    # execute_fetchall is one hop to aiosqlite's thread instead of three (execute, fetch, close).
    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self.raw.execute_fetchall(sql, params))

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self.raw.execute(sql, params)
        return cur.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self.raw.execute(sql, params)
        rowid = cur.lastrowid
        assert rowid is not None
        return rowid

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        cur = await self.raw.executemany(sql, rows)
        return max(cur.rowcount, 0)


class PgRow:
    """A PostgreSQL row that reads like `sqlite3.Row`: by name or position."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: int | str, /) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Any:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def pg_row(cursor: psycopg.AsyncCursor[Any]) -> RowMaker[PgRow]:
    """psycopg's row factory for `PgRow`: the names are read once per result."""
    names = [c.name for c in cursor.description or ()]
    index = {name: i for i, name in enumerate(names)}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(index, values)

    return make


@lru_cache(maxsize=2048)
def pg_sql(sql: str, with_params: bool) -> str:
    """`sql` with `?` placeholders as psycopg's `%s` (a literal `%` doubled); quoted text and
    identifiers are left as they are."""
    if not with_params:
        return sql
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        if ch == "%":
            out.append("%%")
            continue
        out.append(ch)
    return "".join(out)


class PgConn:
    """A psycopg connection taken from the pool for one unit of work."""

    dialect: Dialect = "postgresql"

    def __init__(
        self, raw: psycopg.AsyncConnection[Any], trace: Callable[[str], object] | None = None
    ) -> None:
        self.raw = raw
        self._trace = trace

    async def _run(self, sql: str, params: Sequence[Any]) -> psycopg.AsyncCursor[Any]:
        if self._trace is not None:
            self._trace(sql)
        return await self.raw.execute(pg_sql(sql, bool(params)), params or None)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = await self._run(sql, params)
        if cur.description is None:
            return []
        return list(await cur.fetchall())

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._run(sql, params)
        if sql == "COMMIT" and cur.statusmessage == "ROLLBACK":
            # The server answers a COMMIT of a failed transaction with a rollback, no error.
            raise RolledBack("a statement of this unit of work failed: nothing was committed")
        return max(cur.rowcount, 0)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._run(sql + " RETURNING id", params)
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        batch = [tuple(r) for r in rows]
        if not batch:
            return 0
        if self._trace is not None:
            self._trace(sql)
        async with self.raw.cursor() as cur:
            await cur.executemany(pg_sql(sql, True), batch)
            return max(cur.rowcount, 0)
