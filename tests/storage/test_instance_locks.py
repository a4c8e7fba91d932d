"""Work that one instance does at a time on PostgreSQL (the sweep, the Telegram poller), by
advisory locks; on SQLite there is one instance, which always has it."""

from __future__ import annotations

from pathlib import Path

from storage.db import Database
from tests.pgcluster import Cluster


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


async def test_sqlite_has_one_instance_which_always_does_the_work(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async with db.exclusive("sweep") as mine:
            assert mine
        assert await db.hold("telegram-poller")
    finally:
        await db.close()
