"""PostgreSQL: the database of several bot instances (a province, a national service).

A pool of psycopg connections; each unit of work takes one, READ COMMITTED. There is no lock in
the process: each state change checks its row's version or locks the row, so two instances
decide two presses of one button one after the other, as one instance does on SQLite.

Migrations run under an advisory lock, so two instances started together (an upgrade) apply
them once; an instance older than the schema refuses to start (`SchemaTooNew`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg import pq, sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage.base import ALIVE_LOCKS
from storage.db import (
    MIGRATION_LOCK,
    Database,
    DatabaseUnavailable,
    applied_at,
    check_not_newer,
    covered,
    migration_files,
)
from storage.engine import Dialect, PgConn, pg_row
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

IN_TRANSACTION = pq.TransactionStatus.INTRANS
IN_ERROR = pq.TransactionStatus.INERROR

LOCKS = 7_270_419  # the advisory locks' namespace (`exclusive`, `hold`); a key: CRC32 of the name
POOL_SIZE = 10  # connections per instance: units of work at once (the SQLite engine has one)
# Connections that hold the claim of an event while it is handled (`handling`), apart from the
# pool of the units of work, which the handlers need meanwhile: two channels' intakes, each
# handling up to 16 events at once (`bot.intake.MAX_PEOPLE_AT_ONCE`).
CLAIMS_SIZE = 32
CONNECT_TIMEOUT_S = 10
ALIVE_CHECK_S = 30.0  # how often an instance asks whether it still holds its liveness lock


async def reachable(url: str, wait_s: float) -> None:
    """Return once the server takes a connection; try again for `wait_s` seconds (with a
    growing pause, logged), then `DatabaseUnavailable`."""
    started = time.monotonic()
    pause = 1.0
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if time.monotonic() - started + pause > wait_s:
                raise DatabaseUnavailable(safe_url(url), reason) from None
            log.warning("database %s unreachable (%s); trying again in %.0f s",
                        safe_url(url), reason, pause)  # fmt: skip
            await asyncio.sleep(pause)
            pause = min(pause * 2, 60.0)
            continue
        await conn.close()
        return


Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]


def _pool(url: str, size: int) -> Pool:
    """A pool (not yet open) of autocommit connections: units of work issue BEGIN and COMMIT
    themselves, reads need none."""
    return AsyncConnectionPool(
        url, min_size=1, max_size=size, open=False, timeout=CONNECT_TIMEOUT_S,
        kwargs={"autocommit": True, "row_factory": pg_row, "connect_timeout": CONNECT_TIMEOUT_S},
    )  # fmt: skip


def kept_open(url: str) -> str:
    """`url` for a connection an instance keeps for its life (its liveness, the poller's lock):
    a connect that gets no answer gives up, and a server that vanished without closing the
    connection is noticed within about a minute (keepalives), not TCP's quarter of an hour."""
    return psycopg.conninfo.make_conninfo(
        url, connect_timeout=CONNECT_TIMEOUT_S, keepalives=1, keepalives_idle=30,
        keepalives_interval=10, keepalives_count=3,
    )  # fmt: skip


def lock_key(name: str) -> int:
    """A stable 31-bit key for a lock's name (the same in every instance and version)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo("", **{k: str(v) for k, v in info.items()})


class PostgresDatabase(Database):
    """The application's database on a PostgreSQL server."""

    dialect: Dialect = "postgresql"
    concurrent = True

    def __init__(self, pool: Pool, url: str, claims: Pool | None = None) -> None:
        self._pool = pool
        self._claims = claims or pool
        self.url = url
        self.where = safe_url(url)
        self._traced: Callable[[str], object] | None = None
        self._held: list[psycopg.AsyncConnection[Any]] = []
        self._tasks: list[asyncio.Task[None]] = []  # listeners, notices on their way
        self._notifying = False
        self._alive: tuple[psycopg.AsyncConnection[Any], int] | None = None
        self._alive_lock = asyncio.Lock()
        self._alive_checked = 0.0

    @classmethod
    async def connect(
        cls, url: str, *, size: int = POOL_SIZE, wait_s: float = 0.0
    ) -> PostgresDatabase:
        await reachable(url, wait_s)
        pool = _pool(url, size)
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except PoolTimeout as exc:
            await pool.close()
            raise DatabaseUnavailable(safe_url(url), str(exc)) from None
        # Opened at once, filled on demand (a bot without updates holds one connection here).
        claims = _pool(url, CLAIMS_SIZE)
        db = cls(pool, url, claims)
        try:
            await claims.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            await db.migrate()
        except BaseException:
            await claims.close()
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for conn in self._held:
            await conn.close()
        self._held.clear()
        if self._alive is not None:
            await self._alive[0].close()
            self._alive = None
        if self._claims is not self._pool:
            await self._claims.close()
        await self._pool.close()

    @property
    def source(self) -> str:
        return self.url

    async def migrate(self, migrations: Iterable[tuple[int, str, str]] | None = None) -> list[str]:
        plan = list(migrations) if migrations is not None else migration_files("postgresql")
        names = {n: name for n, name, _ in migration_files("sqlite")}
        applied: list[str] = []
        async with self._connection() as conn:
            # One instance migrates at a time; the others wait here, then find nothing to do.
            await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                cur = await conn.execute("SELECT number FROM schema_migrations")
                done = {int(row[0]) for row in await cur.fetchall()}
                if migrations is None:
                    check_not_newer(self.where, done, plan)
                for number, name, sql in plan:
                    numbers = [n for n in covered(sql, number) if n not in done]
                    if not numbers:
                        continue
                    async with conn.transaction():
                        await conn.execute(sql.encode())  # the whole file: functions have `;`
                        for n in numbers:
                            await conn.execute(
                                "INSERT INTO schema_migrations (number, name, applied_at)"
                                " VALUES (%s, %s, %s)",
                                (n, names.get(n, name), applied_at()),
                            )
                    log.info("applied migration %s", name)
                    applied.append(name)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        return applied

    async def applied_migrations(self) -> list[str]:
        async with self._connection() as conn:
            cur = await conn.execute("SELECT name FROM schema_migrations ORDER BY number")
            return [str(row[0]) for row in await cur.fetchall()]

    @asynccontextmanager
    async def _connection(
        self, pool: Pool | None = None
    ) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A pooled connection (of the units of work, or `pool`); a server that went away is
        `DatabaseUnavailable`, whether the pool could not give a connection or a statement
        lost its connection."""
        try:
            async with (pool or self._pool).connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise DatabaseUnavailable(self.where, str(exc).strip()) from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._connection() as conn:
            # Through the traced connection, as on SQLite: a trace shows where each unit begins.
            pg = PgConn(conn, self._trace)
            await pg.execute("BEGIN")
            uow = UnitOfWork(pg)
            try:
                yield uow
            finally:
                status = conn.info.transaction_status
                if not uow.committed and status in (IN_TRANSACTION, IN_ERROR):
                    await pg.execute("ROLLBACK")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        async with self._connection() as conn:
            yield UnitOfWork(PgConn(conn, self._trace), autocommit=True)

    @asynccontextmanager
    async def handling(
        self, channel: str, event_id: str, at: datetime, seen: bool | None = None
    ) -> AsyncIterator[bool]:
        # The record is inserted at once, in a transaction kept open while the event is handled
        # and committed after it: another instance given the same event waits at its own insert
        # until this one ends, then finds the record (or, if this handling failed and rolled
        # back, or its instance died, takes the event itself). No lease: PostgreSQL ends the
        # transaction of a connection that dies. `seen` needs no read: the insert tells.
        if seen:
            yield False
            return
        async with self._connection(self._claims) as conn:
            await conn.execute("BEGIN")
            uow = UnitOfWork(PgConn(conn, self._trace))
            try:
                ours = await uow.updates.claim(channel, event_id, at)
                yield ours
                if ours:
                    await uow.commit()
            finally:
                status = conn.info.transaction_status
                if not uow.committed and status in (IN_TRANSACTION, IN_ERROR):
                    await conn.execute("ROLLBACK")

    def read_aside(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        # Readers never wait for writers on PostgreSQL: any pooled connection will do.
        return self.read()

    def _trace(self, sql: str) -> None:
        """Every statement of every connection: a trace set while a unit of work is open
        sees the rest of its statements too, as on SQLite."""
        if self._traced is not None:
            self._traced(sql)

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        self._traced = callback

    @asynccontextmanager
    async def exclusive(self, name: str, *, wait: bool = False) -> AsyncIterator[bool]:
        # A session lock on a pooled connection, released before the connection goes back.
        take = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        async with self._connection() as conn:
            cur = await conn.execute(f"SELECT {take}(%s, %s)", (LOCKS, lock_key(name)))
            row = await cur.fetchone()
            mine = wait or bool(row and row[0])
            try:
                yield mine
            finally:
                if mine:
                    await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCKS, lock_key(name)))

    async def listen(self, channel: str, wake: Callable[[], None]) -> None:
        ready = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._listening(channel, wake, ready)))
        await ready.wait()

    async def _listening(
        self, channel: str, wake: Callable[[], None], ready: asyncio.Event
    ) -> None:
        """A connection of its own that LISTENs; after a lost connection, listen again (and
        wake once: a notice may have been missed meanwhile)."""
        pause = 1.0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(kept_open(self.url), autocommit=True)
                async with conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    ready.set()
                    pause = 1.0
                    async for _ in conn.notifies():
                        wake()
            except psycopg.OperationalError as exc:
                ready.set()  # the instance runs on; its periodic passes are the fallback
                log.warning("listening for %s lost (%s); again in %.0f s", channel, exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 60.0)
                wake()

    def notify(self, channel: str) -> None:
        if self._notifying:
            return  # one is on its way: the listeners wake for it
        self._notifying = True
        task = asyncio.create_task(self._notify(channel))
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _notify(self, channel: str) -> None:
        try:
            async with self._connection() as conn:
                await conn.execute("SELECT pg_notify(%s, '')", (channel,))
        except DatabaseUnavailable as exc:
            log.warning("could not wake the other instances: %s", exc)
        finally:
            self._notifying = False

    async def instance(self) -> int:
        # A random key of ALIVE_LOCKS held on a connection of its own for as long as the
        # instance runs: the server ends it when the process dies, and then the instance's
        # stamps are taken over at once. A lost connection takes a new key (the old stamps
        # may then be sent again by another instance: the in-flight limit).
        async with self._alive_lock:
            return await self._instance()

    async def _instance(self) -> int:
        alive = self._alive
        if alive is not None and await self._still_held(*alive):
            return alive[1]
        while True:
            key = secrets.randbelow(2**31 - 1) + 1
            try:
                conn = await psycopg.AsyncConnection.connect(kept_open(self.url), autocommit=True)
            except psycopg.OperationalError as exc:
                raise DatabaseUnavailable(self.where, str(exc).strip()) from exc
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (ALIVE_LOCKS, key))
            row = await cur.fetchone()
            if row and row[0]:
                if alive is not None:
                    await alive[0].close()
                self._alive = (conn, key)
                self._alive_checked = time.monotonic()
                return key
            await conn.close()  # another instance drew the same key: draw again

    async def _still_held(self, conn: psycopg.AsyncConnection[Any], key: int) -> bool:
        """Whether the instance's lock is still held: asked of the server at most every
        `ALIVE_CHECK_S` (a failover moves the database to a server that never saw the lock; a
        lost connection lost it), else taken on trust."""
        if conn.closed or conn.broken:
            return False
        now = time.monotonic()
        if now - self._alive_checked < ALIVE_CHECK_S:
            return True
        try:
            # A server gone silent (a half-open connection) is one that lost the lock.
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                cur = await conn.execute(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid::bigint = %s AND objid::bigint = %s",
                    (ALIVE_LOCKS, key),
                )
                held = await cur.fetchone() is not None
        except (psycopg.OperationalError, TimeoutError):
            held = False
        self._alive_checked = now
        if not held:
            log.warning("this instance's liveness lock was lost; taking a new one")
        return held

    async def hold(self, name: str) -> bool:
        # A connection of its own, outside the pool, kept open: the lock ends with it, also
        # when this instance dies (the server sees the connection close).
        conn = await psycopg.AsyncConnection.connect(kept_open(self.url), autocommit=True)
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCKS, lock_key(name)))
        row = await cur.fetchone()
        if not (row and row[0]):
            await conn.close()
            return False
        self._held.append(conn)
        return True
