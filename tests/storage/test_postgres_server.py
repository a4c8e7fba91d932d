"""The PostgreSQL server as the instances meet it: work that one instance does at a time (the
sweep, the Telegram poller) by advisory locks (on SQLite there is one instance, which always has
it); a server that cannot be reached at start or goes away in the middle, and comes back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import Database, DatabaseUnavailable
from tests.pgcluster import Cluster, free_port, running


async def test_one_instance_sweeps_at_a_time_and_the_other_skips(pg_cluster: Cluster) -> None:
    url = pg_cluster.database()
    a, b = await Database.open(url), await Database.open(url)
    try:
        async with a.exclusive("sweep") as a_sweeps:
            async with b.exclusive("sweep") as b_sweeps:
                assert a_sweeps and not b_sweeps
            async with b.exclusive("digest") as other_work:
                assert other_work  # a lock per kind of work
        async with b.exclusive("sweep") as b_sweeps:
            assert b_sweeps  # released when A's sweep ended
    finally:
        await a.close()
        await b.close()


async def test_a_second_poller_is_refused_until_the_first_instance_is_gone(
    pg_cluster: Cluster,
) -> None:
    url = pg_cluster.database()
    a, b = await Database.open(url), await Database.open(url)
    try:
        assert await a.hold("telegram-poller")
        assert not await b.hold("telegram-poller")
        await a.close()  # the instance stops (or dies: its connection closes either way)
        assert await b.hold("telegram-poller")
    finally:
        await b.close()


async def test_an_instance_whose_liveness_lock_was_lost_takes_a_new_mark(
    pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.postgres

    url = pg_cluster.database()
    a = await Database.open(url)
    try:
        first = await a.instance()
        assert await a.instance() == first  # kept while it runs
        await _terminate_lock_holders(url)  # a failover or a lost connection ends the lock
        monkeypatch.setattr(storage.postgres, "ALIVE_CHECK_S", 0.0)
        second = await a.instance()
        assert second != first
        assert await a.instance() == second
    finally:
        await a.close()


async def _terminate_lock_holders(url: str) -> None:
    import psycopg

    from storage.base import ALIVE_LOCKS

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks"
            " WHERE locktype = 'advisory' AND classid::bigint = %s",
            (ALIVE_LOCKS,),
        )


async def test_sqlite_has_one_instance_which_always_does_the_work(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async with db.exclusive("sweep") as mine:
            assert mine
        assert await db.hold("telegram-poller")
    finally:
        await db.close()


async def test_a_server_that_cannot_be_reached_is_tried_for_the_time_given_then_refused() -> None:
    url = f"postgresql://ppid@127.0.0.1:{free_port()}/ppid"  # nobody listens there
    with pytest.raises(DatabaseUnavailable) as caught:
        await Database.open(url, wait_s=1.5)
    assert "127.0.0.1" in caught.value.where and "password" not in caught.value.where


def test_a_command_on_an_unreachable_server_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PPID_DATABASE_URL", f"postgresql://ppid:rahasia@127.0.0.1:{free_port()}/x")
    assert main(["opd", "list"]) == 1
    err = capsys.readouterr().err
    assert "Basis data tidak dapat dihubungi" in err and "rahasia" not in err


async def test_a_server_that_goes_away_fails_the_unit_of_work_and_serves_again_when_back() -> None:
    with running(durable=True) as cluster:  # a server of its own, to stop and start
        url = cluster.database()
        db = await Database.open(url)
        try:
            async with db.transaction() as uow:
                await uow.opds.upsert("DINKES", "Dinas Kesehatan")
                await uow.commit()
            cluster.stop_server()
            with pytest.raises(DatabaseUnavailable):
                async with db.transaction() as uow:
                    await uow.opds.upsert("DISDIK", "Dinas Pendidikan")
                    await uow.commit()
            cluster.start()
            # The pool drops the broken connections it meets, then serves: try until it does.
            deadline = time.monotonic() + 60
            while True:
                try:
                    async with db.read() as uow:
                        codes = [o.code for o in await uow.opds.all()]
                    break
                except DatabaseUnavailable:
                    assert time.monotonic() < deadline, "the pool never served again"
            assert codes == ["DINKES"]  # the committed row stayed, the failed one left nothing
        finally:
            await db.close()


async def test_health_reads_a_postgresql_database_without_changing_it(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from bot.config import Settings
    from bot.health import check

    url = pg_cluster.database()
    settings = Settings(data_dir=tmp_path, database_url=url)  # type: ignore[arg-type]
    report = await check(settings, datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
    kinds = [p.code for p in report.problems]
    assert "no_database" not in kinds and "unreadable" not in kinds
    nobody = f"postgresql://ppid:geheim@127.0.0.1:{free_port()}/x"
    gone = Settings(data_dir=tmp_path, database_url=nobody)  # type: ignore[arg-type]
    report = await check(gone, datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
    unreadable = [p for p in report.problems if p.code == "unreadable"]
    assert unreadable and "geheim" not in unreadable[0].message


async def test_a_nudge_in_one_instance_wakes_the_other_instances(pg_cluster: Cluster) -> None:
    import asyncio

    url = pg_cluster.database()
    a, b = await Database.open(url), await Database.open(url)
    woken = asyncio.Event()
    try:
        await b.listen("ppid_kick", woken.set)
        a.notify("ppid_kick")
        await asyncio.wait_for(woken.wait(), 30)
    finally:
        await a.close()
        await b.close()


async def test_instances_started_together_migrate_once_and_an_older_one_refuses_a_newer_schema(
    pg_cluster: Cluster,
) -> None:
    import asyncio

    from storage.db import SchemaTooNew, migration_files

    url = pg_cluster.database(migrated=False)
    first, second = await asyncio.gather(Database.open(url), Database.open(url))
    try:
        names = [name for _, name, _ in migration_files()]
        assert await first.applied_migrations() == names  # recorded once, under the lock
        async with first.transaction() as uow:  # a newer version of the bot upgraded it
            await uow.meta._execute(
                "INSERT INTO schema_migrations (number, name, applied_at)"
                " VALUES (999, '999_from_the_future.sql', '2030-01-01')"
            )
            await uow.commit()
    finally:
        await first.close()
        await second.close()
    with pytest.raises(SchemaTooNew) as caught:
        await Database.open(url)
    assert caught.value.unknown == [999]
