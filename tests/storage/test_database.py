"""The database on both engines: migrations recorded once, the unit of work, the append-only
audit; and SQLite's own pragmas, its read-only side connection, and another process's lock
waited for off the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot.workdays import Override
from storage import engine
from storage.db import Database, DatabaseUnavailable, migration_files, split_sql

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))


async def test_a_new_database_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        assert await db.pragma("journal_mode") == "wal"
        assert await db.pragma("foreign_keys") == 1
        # The loop's connection never waits for a lock itself: a worker thread does.
        assert await db.pragma("busy_timeout") == 0
    finally:
        await db.close()


async def test_units_of_work_one_after_another_let_the_loop_serve_others(
    db_target: Path | str,
) -> None:
    # A sweep of many units, a view run again and again: others get the loop in between,
    # though SQLite's statements run on the loop's thread without awaiting anything.
    db = await Database.open(db_target)
    served: list[str] = []

    async def someone_else() -> None:
        served.append("a tap")

    try:
        waiting = asyncio.ensure_future(someone_else())  # ready, waiting for its turn
        units = 0
        while not served and units < 100:
            async with db.transaction() as uow:
                await uow.meta.set("sweep", str(units))
                await uow.commit()
            async with db.read() as uow:
                await uow.meta.get("sweep")
            units += 1
        assert served == ["a tap"] and units < 100
        await waiting
    finally:
        await db.close()


async def test_a_write_waits_for_another_process_s_lock_while_the_loop_serves_others(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)  # the CLI, say
    loop = asyncio.get_running_loop()
    tried = asyncio.Event()

    def traced(sql: str) -> None:  # called in a worker thread too
        if sql == "BEGIN IMMEDIATE":
            loop.call_soon_threadsafe(tried.set)

    await db.trace(traced)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        other.execute("INSERT INTO meta (key, value) VALUES ('cli', 'was here')")

        async def write() -> None:
            async with db.transaction() as uow:
                await uow.meta.set("bot", "too")
                await uow.commit()

        writing = asyncio.create_task(write())
        await asyncio.wait_for(tried.wait(), timeout=30)  # the write has found the lock taken
        # Only the loop can let the other connection go on: had the write waited on the
        # loop's thread, nothing would run here until its busy timeout ran out.
        other.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=30)
        async with db.read() as uow:
            assert await uow.meta.get("cli") == "was here"
            assert await uow.meta.get("bot") == "too"
    finally:
        other.close()
        await db.close()


async def test_a_write_cancelled_while_it_waits_for_another_process_leaves_no_transaction_open(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    loop = asyncio.get_running_loop()
    begins: list[str] = []
    waiting = asyncio.Event()

    def traced(sql: str) -> None:  # the second BEGIN is the worker thread's, waiting
        if sql == "BEGIN IMMEDIATE":
            begins.append(sql)
            if len(begins) == 2:
                loop.call_soon_threadsafe(waiting.set)

    await db.trace(traced)
    try:
        other.execute("BEGIN IMMEDIATE")

        async def write() -> None:
            async with db.transaction() as uow:
                await uow.meta.set("bot", "cancelled")
                await uow.commit()

        writing = asyncio.create_task(write())
        await asyncio.wait_for(waiting.wait(), timeout=30)
        writing.cancel()  # the bot stopping while the write waits
        other.execute("ROLLBACK")  # the other process lets go: the thread's BEGIN goes through
        with pytest.raises(asyncio.CancelledError):
            await writing
        await db.trace(None)
        async with db.transaction() as uow:  # not "a transaction within a transaction"
            await uow.meta.set("bot", "kept")
            await uow.commit()
        other.execute("BEGIN IMMEDIATE")  # and the other process can write again
        other.execute("ROLLBACK")
        async with db.read() as uow:
            assert await uow.meta.get("bot") == "kept"
    finally:
        other.close()
        await db.close()


async def test_a_write_still_locked_out_after_the_busy_timeout_is_left_for_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)  # the test need not wait 5 s
    db = await Database.open(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseUnavailable):  # the intake's "try again later", not a crash
            async with db.transaction() as uow:
                await uow.meta.set("bot", "lost?")
        async with db.read() as uow:
            with pytest.raises(DatabaseUnavailable):  # a write standing alone, the same
                await uow.meta.set("bot", "lost?")
        other.execute("ROLLBACK")
        async with db.transaction() as uow:  # the lock is free again: the database is usable
            await uow.meta.set("bot", "kept")
            await uow.commit()
        async with db.read() as uow:
            assert await uow.meta.get("bot") == "kept"
    finally:
        other.close()
        await db.close()


async def test_every_shipped_migration_is_applied_once_and_recorded(db_target: Path | str) -> None:
    path = db_target
    db = await Database.open(path)
    names = [name for _, name, _ in migration_files()]  # the same names on both engines
    assert await db.applied_migrations() == names
    assert await db.migrate() == []
    await db.close()
    again = await Database.open(path)
    assert await again.applied_migrations() == names
    await again.close()


async def test_a_failing_migration_leaves_nothing_behind(db_target: Path | str) -> None:
    db = await Database.open(db_target)
    bad = [(999, "999_bad.sql", "CREATE TABLE half (x INTEGER);\nNOT SQL AT ALL;")]
    with pytest.raises((sqlite3.OperationalError, psycopg.errors.SyntaxError)):
        await db.migrate(bad)
    assert "999_bad.sql" not in await db.applied_migrations()
    async with db.transaction() as uow:
        with pytest.raises((sqlite3.OperationalError, psycopg.errors.UndefinedTable)):
            await uow.calendar._all("SELECT x FROM half")
    await db.close()


async def test_a_unit_of_work_without_commit_rolls_back(db_target: Path | str) -> None:
    db = await Database.open(db_target)
    async with db.transaction() as uow:
        await uow.calendar.put(Override(date(2027, 1, 4), "holiday", "Libur"), by="t", at=NOW)
    async with db.transaction() as uow:
        assert await uow.calendar.overrides() == []
    await db.close()


async def test_a_unit_of_work_that_raises_rolls_back_even_after_writes(
    db_target: Path | str,
) -> None:
    db = await Database.open(db_target)
    with pytest.raises(RuntimeError):
        async with db.transaction() as uow:
            await uow.calendar.put(Override(date(2027, 1, 4), "holiday", "Libur"), by="t", at=NOW)
            raise RuntimeError("boom")
    async with db.transaction() as uow:
        assert await uow.calendar.overrides() == []
    await db.close()


async def test_committed_overrides_survive_a_reopen_and_can_be_replaced(
    db_target: Path | str,
) -> None:
    path = db_target
    db = await Database.open(path)
    async with db.transaction() as uow:
        await uow.calendar.put(Override(date(2027, 1, 4), "holiday", "Libur"), by="t", at=NOW)
        await uow.calendar.put(
            Override(date(2027, 1, 4), "holiday", "Libur daerah"), by="t", at=NOW
        )
        await uow.commit()
    await db.close()
    db = await Database.open(path)
    async with db.transaction() as uow:
        assert await uow.calendar.overrides() == [
            Override(date(2027, 1, 4), "holiday", "Libur daerah")
        ]
        assert await uow.calendar.remove(date(2027, 1, 4))
        assert not await uow.calendar.remove(date(2027, 1, 4))
        await uow.commit()
    await db.close()


async def test_the_audit_trail_refuses_updates_and_deletes(db_target: Path | str) -> None:
    db = await Database.open(db_target)
    async with db.transaction() as uow:
        await uow.audit.append(at=NOW, action="test")
        await uow.commit()
    for sql in ("UPDATE audit SET action = 'x'", "DELETE FROM audit"):
        with pytest.raises((sqlite3.IntegrityError, psycopg.errors.RaiseException),
                           match="append-only"):  # fmt: skip
            async with db.transaction() as uow:
                await uow.audit._execute(sql)
    async with db.transaction() as uow:
        assert [a.action for a in await uow.audit.all()] == ["test"]
    await db.close()


def test_sql_splitting_keeps_trigger_bodies_whole() -> None:
    script = (
        "CREATE TABLE a (x);\n-- comment\n"
        "CREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n    SELECT RAISE(ABORT, 'no');\nEND;\n"
    )
    statements = split_sql(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


async def test_a_read_aside_neither_waits_for_a_unit_of_work_nor_writes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async with db.transaction() as uow:  # holds the database, as a long unit of work would
            await uow.opds.upsert("DINKES", "Dinas Kesehatan")
            async with db.read_aside() as aside:  # before: every read waited for the lock
                assert await aside.opds.all() == []  # what is committed, nothing else
            await uow.commit()
        async with db.read_aside() as aside:
            assert [o.code for o in await aside.opds.all()] == ["DINKES"]
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                await aside.opds.upsert("DISDIK", "Dinas Pendidikan")
    finally:
        await db.close()
