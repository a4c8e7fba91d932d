"""`python -m bot move-to-postgresql URL` as an admin meets it when a city's bot grows into a
province's: the SQLite file's every row lands in an empty PostgreSQL database, the bot carries on
there (new rows take new ids), and each bad input (a database in use, not a PostgreSQL address,
a bot already on PostgreSQL, no file) gets one Indonesian line and changes nothing."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import make_ctx
from bot.cli import main
from bot.config import Settings
from bot.demo import run_demo
from bot.services import cases
from bot.services.context import Ctx
from bot.sop import Role
from bot.workdays import Calendar
from storage import engine
from storage.db import Database
from storage.files import FileStore
from tests.pgcluster import Cluster

# The source is the SQLite file itself; the default run covers it (with its own PostgreSQL).
pytestmark = pytest.mark.sqlite_only


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


async def counts(db: Database) -> dict[str, int]:
    async with db.read() as uow:
        return {t: await uow.tables.count(t) for t in await uow.tables.names()}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A city's data folder after the demo: rounds, cases, documents, notices, audit, people on
    both chat apps. Copied per test (a move must leave the file as it was)."""
    data = tmp_path_factory.mktemp("city") / "data"
    asyncio.run(run_demo(data_dir=data))
    return data


@pytest.fixture
def data_dir(city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    shutil.copytree(city, data)
    monkeypatch.setenv("PPID_DATA_DIR", str(data))
    monkeypatch.delenv("PPID_DATABASE_URL", raising=False)
    return data


async def test_every_row_moves_and_the_bot_carries_on_there_with_new_ids(
    data_dir: Path, pg_cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_cluster.database(migrated=False)
    source = await Database.open(Settings(data_dir=data_dir).database_path)
    before = await counts(source)
    await source.close()
    assert before["cases"] and before["audit"] and before["outbox"] and before["documents"]

    assert await asyncio.to_thread(run, ["move-to-postgresql", url]) == 0
    out = capsys.readouterr().out
    assert "Selesai:" in out and "password" not in out
    assert f"- audit: {before['audit']} baris" in out

    target = await Database.open(url)
    try:
        assert await counts(target) == before
        async with target.read() as uow:
            pejabat = next(u for u in await uow.users.all() if u.role == Role.PEJABAT)
            opds = [o.id for o in await uow.opds.all()][:2]
        [view, _] = await cases.create_round(
            _ctx(data_dir, target), pejabat, "Uji setelah pindah", opds
        )
        # New rows take ids after the moved ones (the id counters were carried on).
        assert view.case.id > before["cases"]
    finally:
        await target.close()
    source = await Database.open(Settings(data_dir=data_dir).database_path)
    assert await counts(source) == before  # the file stays, for going back
    await source.close()


async def test_a_database_in_use_is_refused_and_left_as_it_was(
    data_dir: Path, pg_cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_cluster.database(migrated=False)
    assert await asyncio.to_thread(run, ["move-to-postgresql", url]) == 0
    target = await Database.open(url)
    moved = await counts(target)
    await target.close()
    capsys.readouterr()

    assert await asyncio.to_thread(run, ["move-to-postgresql", url]) == 2
    err = capsys.readouterr().err
    assert "sudah berisi data" in err and "Tidak ada yang diubah" in err
    target = await Database.open(url)
    assert await counts(target) == moved
    await target.close()


async def test_a_bot_left_writing_makes_the_move_wait_then_stop_with_nothing_moved(
    data_dir: Path, pg_cluster: Cluster, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)  # the test need not wait 5 s
    url = pg_cluster.database(migrated=False)
    bot = sqlite3.connect(Settings(data_dir=data_dir).database_path, isolation_level=None)
    try:
        bot.execute("BEGIN IMMEDIATE")  # the running bot, in the middle of a write
        assert await asyncio.to_thread(run, ["move-to-postgresql", url]) == 1
        assert "sedang dipakai proses lain" in capsys.readouterr().err
    finally:
        bot.close()
    target = await Database.open(url)
    assert set((await counts(target)).values()) == {0}
    await target.close()


def test_an_address_that_is_not_postgresql_is_refused(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["move-to-postgresql", "mysql://kominfo@db/ppid"]) == 2
    assert "Tujuan harus alamat PostgreSQL" in capsys.readouterr().err


def test_a_bot_already_on_postgresql_has_no_file_to_move(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PPID_DATABASE_URL", "postgresql://ppid@db/ppid")
    assert run(["move-to-postgresql", "postgresql://ppid@db2/ppid"]) == 2
    assert "sudah memakai PostgreSQL" in capsys.readouterr().err


def test_a_data_folder_without_a_database_has_nothing_to_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PPID_DATA_DIR", str(tmp_path / "kosong"))
    monkeypatch.delenv("PPID_DATABASE_URL", raising=False)
    assert run(["move-to-postgresql", "postgresql://ppid@db/ppid"]) == 2
    assert "tidak ada yang dipindahkan" in capsys.readouterr().err
    assert not (tmp_path / "kosong" / "ppid.sqlite3").exists()


def _ctx(data_dir: Path, db: Database) -> Ctx:
    settings = Settings(data_dir=data_dir)
    return make_ctx(settings=settings, db=db, calendar=Calendar(),
                    files=FileStore(settings.documents_dir),
                    clock=lambda: datetime(2027, 7, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak")))  # fmt: skip
