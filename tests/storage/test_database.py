"""The database on both engines: migrations recorded once, the unit of work, the append-only
audit; and SQLite's own pragmas and read-only side connection."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import psycopg
import pytest

from bot.workdays import Override
from storage.db import Database, migration_files, split_sql

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))


async def test_a_new_database_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        assert await db.pragma("journal_mode") == "wal"
        assert await db.pragma("foreign_keys") == 1
        assert await db.pragma("busy_timeout") == 5000
    finally:
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
    with pytest.raises((aiosqlite.OperationalError, psycopg.errors.SyntaxError)):
        await db.migrate(bad)
    assert "999_bad.sql" not in await db.applied_migrations()
    async with db.transaction() as uow:
        with pytest.raises((aiosqlite.OperationalError, psycopg.errors.UndefinedTable)):
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
        with pytest.raises((aiosqlite.IntegrityError, psycopg.errors.RaiseException),
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
            with pytest.raises(aiosqlite.OperationalError, match="readonly"):
                await aside.opds.upsert("DISDIK", "Dinas Pendidikan")
    finally:
        await db.close()
