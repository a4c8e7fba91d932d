"""PostgreSQL: the database of several bot instances (a province, a national service).

A pool of psycopg connections; each unit of work takes one, READ COMMITTED. There is no lock in
the process: each state change checks its row's version or locks the row, so two instances
decide two presses of one button one after the other, as one instance does on SQLite.

Migrations run under an advisory lock, so two instances started together (an upgrade) apply
them once; an instance older than the schema refuses to start (`SchemaTooNew`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg import pq
from psycopg_pool import AsyncConnectionPool

from storage.db import (
    MIGRATION_LOCK,
    Database,
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

POOL_SIZE = 10  # connections per instance: units of work at once (the SQLite engine has one)
# Connections that hold the claim of an event while it is handled (`handling`), apart from the
# pool of the units of work, which the handlers need meanwhile: two channels' intakes, each
# handling up to 16 events at once (`bot.intake.MAX_PEOPLE_AT_ONCE`).
CLAIMS_SIZE = 32
CONNECT_TIMEOUT_S = 10


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo("", **{k: str(v) for k, v in info.items()})


class PostgresDatabase(Database):
    """The application's database on a PostgreSQL server."""

    dialect: Dialect = "postgresql"

    def __init__(
        self,
        pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]],
        url: str,
        claims: AsyncConnectionPool[psycopg.AsyncConnection[Any]] | None = None,
    ) -> None:
        self._pool = pool
        self._claims = claims or pool
        self.url = url
        self.where = safe_url(url)
        self._trace: Callable[[str], object] | None = None

    @classmethod
    async def connect(cls, url: str, *, size: int = POOL_SIZE) -> PostgresDatabase:
        # autocommit: units of work issue BEGIN and COMMIT themselves, reads need none.
        pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url, min_size=1, max_size=size, open=False, timeout=CONNECT_TIMEOUT_S,
            kwargs={"autocommit": True, "row_factory": pg_row, "connect_timeout": CONNECT_TIMEOUT_S},
        )  # fmt: skip
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        # Opened at once, filled on demand (a bot without updates holds one connection here).
        claims: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            url, min_size=1, max_size=CLAIMS_SIZE, open=False, timeout=CONNECT_TIMEOUT_S,
            kwargs={"autocommit": True, "row_factory": pg_row, "connect_timeout": CONNECT_TIMEOUT_S},
        )  # fmt: skip
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
        if self._claims is not self._pool:
            await self._claims.close()
        await self._pool.close()

    async def migrate(self, migrations: Iterable[tuple[int, str, str]] | None = None) -> list[str]:
        plan = list(migrations) if migrations is not None else migration_files("postgresql")
        names = {n: name for n, name, _ in migration_files("sqlite")}
        applied: list[str] = []
        async with self._pool.connection() as conn:
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
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT name FROM schema_migrations ORDER BY number")
            return [str(row[0]) for row in await cur.fetchall()]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._pool.connection() as conn:
            await conn.execute("BEGIN")
            uow = UnitOfWork(PgConn(conn, self._trace))
            try:
                yield uow
            finally:
                status = conn.info.transaction_status
                if not uow.committed and status in (IN_TRANSACTION, IN_ERROR):
                    await conn.execute("ROLLBACK")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        async with self._pool.connection() as conn:
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
        async with self._claims.connection() as conn:
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

    def read_aside(self) -> Any:
        # Readers never wait for writers on PostgreSQL: any pooled connection will do.
        return self.read()

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        self._trace = callback
