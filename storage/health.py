"""What `health` reads from the database, over a read-only connection of its own.

Read-only on purpose: a health check must never create a missing database, apply a migration,
or wait behind the bot's own connection (a stuck bot must not make its health check hang). It
also records the outcome of each backup in `meta`, with a short write of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.workdays import Override
from storage.backup import integrity_problem
from storage.base import instant
from storage.engine import AsideSqliteConn, Conn, PgConn, aside_connect, pg_row
from storage.journal import utc
from storage.uow import UnitOfWork

BACKUP_OK = "backup_ok_at"
BACKUP_FAILED = "backup_failed_at"
BACKUP_ERROR = "backup_error"
WAITING_LIMIT = 1000  # rows looked at for "waiting too long"; more than that is stuck anyway


@dataclass
class DbFacts:
    """The database's side of the health report."""

    migrations: list[int]
    created_at: datetime | None  # when the first migration ran
    last_sweep: datetime | None
    backup_ok_at: datetime | None
    backup_failed_at: datetime | None
    backup_error: str | None
    # (not_before, next_try_at) of pending rows of reachable people due before the cut-off
    waiting: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    held: int = 0  # pending or failed rows of people who cannot be reached (on purpose)
    failed: int = 0  # failed rows of people who can be reached
    integrity: str | None = None  # None: the quick check passed
    overrides: list[Override] = field(default_factory=list)


def _instant(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)


async def read_facts(target: Path | str, due_before: datetime) -> DbFacts:
    """The facts of the database at `target` (a SQLite file, or a PostgreSQL URL, read only);
    `FileNotFoundError` when there is no SQLite file."""
    if isinstance(target, str):
        import psycopg

        try:
            async with await psycopg.AsyncConnection.connect(
                target, autocommit=True, row_factory=pg_row, connect_timeout=5,
                options="-c default_transaction_read_only=on",
            ) as pg:  # fmt: skip
                return await _facts(PgConn(pg), due_before)
        except psycopg.Error as exc:  # told as "unreadable", with the server's reason
            raise ValueError(str(exc).strip()) from exc
    path = target
    if not await asyncio.to_thread(path.is_file):
        raise FileNotFoundError(path)
    # In a worker thread: the bot's event loop serves the health endpoint too.
    conn = await aside_connect(f"file:{path}?mode=ro", uri=True, busy_ms=5000)
    try:
        facts = await _facts(AsideSqliteConn(conn), due_before)
    finally:
        await conn.close()
    facts.integrity = await asyncio.to_thread(integrity_problem, path)
    return facts


async def _facts(conn: Conn, due_before: datetime) -> DbFacts:
    rows = await conn.all("SELECT number, applied_at FROM schema_migrations ORDER BY number")
    migrations = [int(r[0]) for r in rows]
    created = _instant(rows[0][1].replace("Z", "+00:00")) if rows else None
    uow = UnitOfWork(conn, autocommit=True)
    meta = {k: await uow.meta.get(k) for k in ("last_sweep", BACKUP_OK, BACKUP_FAILED)}
    facts = DbFacts(
        migrations=migrations, created_at=created,
        last_sweep=_instant(meta["last_sweep"]), backup_ok_at=_instant(meta[BACKUP_OK]),
        backup_failed_at=_instant(meta[BACKUP_FAILED]),
        backup_error=await uow.meta.get(BACKUP_ERROR),
        overrides=await uow.calendar.overrides(),
    )  # fmt: skip
    cut = utc(due_before)
    waiting = await conn.all(
        "SELECT o.not_before, o.next_try_at FROM outbox o JOIN users u ON u.id = o.user_id"
        " WHERE o.state = 'pending' AND o.not_before <= ?"
        " AND (o.next_try_at IS NULL OR o.next_try_at <= ?)"
        " AND u.active = 1 AND u.chat_id IS NOT NULL AND u.unreachable_since IS NULL"
        " ORDER BY o.not_before LIMIT ?",
        (cut, cut, WAITING_LIMIT),
    )
    facts.waiting = [(datetime.fromisoformat(r[0]), _instant(r[1])) for r in waiting]
    counts = await conn.all(
        "SELECT"
        " SUM(CASE WHEN o.state IN ('pending', 'failed') AND u.unreachable_since IS NOT NULL"
        " THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN o.state = 'failed' AND u.unreachable_since IS NULL AND u.active = 1"
        " THEN 1 ELSE 0 END)"
        " FROM outbox o JOIN users u ON u.id = o.user_id"
        " WHERE o.state IN ('pending', 'failed')"
    )
    row = counts[0]
    facts.held, facts.failed = int(row[0] or 0), int(row[1] or 0)
    return facts


async def record_backup(path: Path, at: datetime, error: str | None) -> None:
    """Remember how the latest backup went (`error` None: it succeeded), for `health`."""
    conn = await aside_connect(path, busy_ms=30_000)
    try:
        await conn.execute("BEGIN IMMEDIATE")
        uow = UnitOfWork(AsideSqliteConn(conn))
        if error is None:
            await uow.meta.set(BACKUP_OK, instant(at))
        else:
            await uow.meta.set(BACKUP_FAILED, instant(at))
            await uow.meta.set(BACKUP_ERROR, error[:300])
        await uow.commit()
    finally:
        await conn.close()  # uncommitted: rolled back
