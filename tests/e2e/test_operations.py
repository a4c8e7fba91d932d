"""Running for years: a backup taken while a round runs restores into a bot that shows the same
status, audit trail and documents; health and /healthz tell a healthy bot from a stopped or
stuck one and from failed notices; failed backups and unexpected errors reach the admins."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.channels.telegram.application import build_application
from bot.cli import main
from bot.config import Settings
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import FakeTelegram
from bot.health import check
from bot.sop import Role
from bot.upkeep import daily_backup
from storage.backup import create_backup, verify_backup
from tests.e2e.conftest import Clock, Harness, fake_settings, serving
from tests.e2e.processes import eventually
from tests.e2e.test_webhook import free_port

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4 "
WIB = ZoneInfo("Asia/Pontianak")


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def audit_trail(settings: Settings) -> list[tuple[Any, ...]]:
    return rows(settings.database_path, "SELECT * FROM audit ORDER BY id")


def documents_by_hash(settings: Settings) -> dict[str, str]:
    """Every document row's hash, mapped to the hash of the bytes in the store."""
    found = {}
    for (sha,) in rows(settings.database_path, "SELECT sha256 FROM documents ORDER BY id"):
        path = settings.documents_dir / sha[:2] / sha[2:4] / sha
        found[sha] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"
    return found


def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """Run a command of `python -m bot` against `settings`' data folder."""
    monkeypatch.setenv("PPID_DATA_DIR", str(settings.data_dir))
    try:
        return main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


async def status_text(person: FakePerson) -> str:
    await person.send("/status")
    return (await person.wait_until(lambda m: m.text.startswith("Uji"))).text


@pytest.mark.sqlite_only  # the bot's own backups are of the SQLite file
async def test_a_backup_taken_while_a_round_runs_restores_to_the_same_status_audit_and_documents(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeTelegram() as fake:
        first = fake_settings(fake, tmp_path / "data")
        app = build_application(first, clock=clock, rate_limit=False)
        async with serving(fake, first, clock, app) as h:
            await h.add_opds("DINKES")
            andi, rina, sari = await h.join_team(6001)
            case_id = await h.round_at_step3(andi, rina, "DINKES", ["A", "B", "C", "D"])

            # Step 3 runs in the chat: the OPD sends its documents while a backup is taken.
            async def uploads() -> None:
                for n in range(1, 5):
                    await sari.send_document(f"dok-{n}.pdf", PDF + bytes([n]) * 5000,
                                             caption=f"#{n}")  # fmt: skip
                    await sari.wait_for_text(f"untuk entri #{n}")

            during = tmp_path / "during.tar.gz"
            await sari.send_document("dok-0.pdf", PDF + b"zero", caption="#1")
            await sari.wait_for_text("untuk entri #1")
            _, taken = await asyncio.gather(
                uploads(),
                asyncio.to_thread(create_backup, first.database_path, first.documents_dir,
                                  first.public_settings(), during, clock.now),
            )  # fmt: skip
            # Whatever the moment, the snapshot is consistent: the audit trail as it was then,
            # and every document it names, with the right bytes.
            assert verify_backup(during).documents == taken.documents
            assert taken.missing == []
            monkeypatch.setenv("PPID_DATA_DIR", str(tmp_path / "mid"))
            assert await asyncio.to_thread(main, ["restore", str(during)]) == 0
            mid = Settings(data_dir=tmp_path / "mid")
            assert audit_trail(mid) == audit_trail(first)[: len(audit_trail(mid))]
            assert all(a == b for a, b in documents_by_hash(mid).items())

            # The round still runs (step 3); the backup the admin takes now is restored below.
            before_status = await status_text(rina)
            before_audit = audit_trail(first)
            before_docs = documents_by_hash(first)
            assert len(before_docs) == 5 and all(a == b for a, b in before_docs.items())
            final = tmp_path / "final.tar.gz"
            assert await asyncio.to_thread(cli, first, monkeypatch, "backup", "--out",
                                           str(final)) == 0  # fmt: skip

        second = fake_settings(fake, tmp_path / "restored")
        assert await asyncio.to_thread(cli, second, monkeypatch, "restore", str(final)) == 0
        app = build_application(second, clock=clock, rate_limit=False)
        async with serving(fake, second, clock, app) as h:
            assert await status_text(rina) == before_status
            assert audit_trail(second)[: len(before_audit)] == before_audit
            assert documents_by_hash(second) == before_docs
            async with h.ctx.db.read() as uow:
                docs = await uow.documents.for_case(case_id)
            assert {d.sha256 for d in docs} == set(before_docs)
            assert all(h.ctx.files.exists(d.sha256) for d in docs)


@pytest.fixture
def health_port() -> int:
    return free_port()


@pytest.fixture
def settings_overrides(health_port: int, tmp_path: Path) -> dict[str, Any]:
    return {"health_port": health_port, "backup_dir": tmp_path / "backups", "backup_keep": 2}


async def healthz(port: int) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/healthz")
    return answer.status_code, answer.json()


async def swept(h: Harness) -> None:
    """Wait for the bot's first sweep (its job runs right after the start)."""

    async def done() -> bool | None:
        async with h.ctx.db.read() as uow:
            return True if await uow.meta.get("last_sweep") else None

    await eventually(done, "the first sweep")


def codes(report: dict[str, Any]) -> list[str]:
    return [p["code"] for p in report["problems"]]


@pytest.mark.sqlite_only  # the bot's own backups are of the SQLite file
async def test_health_and_healthz_say_a_running_bot_with_a_backup_is_healthy(
    harness: Harness, health_port: int
) -> None:
    await swept(harness)
    assert await daily_backup(harness.ctx) is not None
    report = await check(harness.settings, harness.clock.now)
    assert report.healthy, report.lines()
    status, body = await healthz(health_port)
    assert status == 200 and body["healthy"] is True and body["integrity"] == "ok"


async def test_health_says_a_stuck_bot_has_not_swept_and_healthz_answers_503(
    harness: Harness, health_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await swept(harness)
    await daily_backup(harness.ctx)
    release = asyncio.Event()

    async def stuck(*_: object, **__: object) -> int:
        await release.wait()
        return 0

    monkeypatch.setattr("bot.scheduler.sweep", stuck)
    harness.clock.advance(minutes=6)
    try:
        status, body = await healthz(health_port)
        assert status == 503 and codes(body) == ["not_swept"]
        assert "tidak memeriksa tenggat selama 6 menit" in body["problems"][0]["message"]
    finally:
        release.set()


async def test_health_says_a_stopped_bot_has_not_swept(
    tmp_path: Path,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with FakeTelegram() as fake:
        settings = fake_settings(fake, tmp_path / "data")
        app = build_application(settings, clock=clock, rate_limit=False)
        async with serving(fake, settings, clock, app) as h:
            await swept(h)
            await daily_backup(h.ctx)
            assert (await check(settings, clock.now)).healthy
    clock.advance(minutes=10)  # the bot is stopped: nobody sweeps any more
    report = await check(settings, clock.now)
    assert [p.code for p in report.problems] == ["not_swept"]
    monkeypatch.setenv("PPID_CLOCK_START", clock.now.isoformat())
    assert await asyncio.to_thread(cli, settings, monkeypatch, "health") == 1
    out = capsys.readouterr().out
    assert "tidak memeriksa tenggat selama 10 menit" in out and "tidak berjalan atau macet" in out


async def test_failed_notices_fail_health_while_held_ones_are_only_reported(
    harness: Harness, health_port: int
) -> None:
    await swept(harness)
    await daily_backup(harness.ctx)
    rina = await harness.join(6102, "Ibu Rina", Role.UTAMA)
    budi = await harness.join(6103, "Bapak Budi", Role.PEJABAT)
    now = harness.clock.now
    users = [await harness.user(rina), await harness.user(budi)]
    async with harness.ctx.db.transaction() as uow:
        for n, user in enumerate(users):
            await uow.outbox.enqueue(key=f"x:{n}", user_id=user.id, now=now, not_before=now,
                                     payload={"kind": "digest"})  # fmt: skip
        ids = [r.id for r in await uow.outbox.listing(("pending",))]
        await uow.outbox.mark_failed_many(ids, "Bad Request: message is too long")
        await uow.users.mark_unreachable(users[1].id, now)  # Budi blocked the bot: held
        await uow.commit()
    status, body = await healthz(health_port)
    assert status == 503 and codes(body) == ["notices_failed"]
    assert body["notices_failed"] == 1 and body["notices_held"] == 1
    report = await check(harness.settings, now)
    assert report.lines()[0] == "1 notifikasi gagal terkirim; lihat: python -m bot outbox."
    assert "1 notifikasi ditahan" in report.lines()[-1]


async def test_notices_waiting_in_office_hours_for_over_ten_minutes_fail_health(
    harness: Harness, health_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await swept(harness)
    await daily_backup(harness.ctx)
    rina = await harness.join(6202, "Ibu Rina", Role.UTAMA)

    async def jammed(*_: object, **__: object) -> int:
        return 0  # a dispatcher that never delivers

    monkeypatch.setattr(harness.scheduler.dispatcher, "run_once", jammed)
    now = harness.clock.now
    user = await harness.user(rina)
    async with harness.ctx.db.transaction() as uow:
        await uow.outbox.enqueue(key="stuck:1", user_id=user.id, now=now, not_before=now,
                                 payload={"kind": "digest"})  # fmt: skip
        await uow.meta.set("last_sweep", (now + timedelta(minutes=11)).isoformat())
        await uow.commit()
    harness.clock.advance(minutes=11)
    status, body = await healthz(health_port)
    assert status == 503 and codes(body) == ["notices_stuck"]
    assert (
        "1 notifikasi menunggu lebih dari 10 menit pada jam kerja" in body["problems"][0]["message"]
    )


@pytest.mark.sqlite_only  # the bot's own backups are of the SQLite file
async def test_a_failed_daily_backup_is_told_to_the_admins_and_fails_health(
    harness: Harness, tmp_path: Path
) -> None:
    await swept(harness)
    admin = await harness.join(6301, "Admin Diskominfo", Role.ADMIN)
    jobs = harness.app.job_queue.get_jobs_by_name("daily-backup")
    assert len(jobs) == 1
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    ctx = replace(harness.ctx, settings=harness.settings.model_copy(
        update={"backup_dir": blocker / "x"}))  # fmt: skip
    assert await daily_backup(ctx) is None
    told = await admin.wait_for_text("Cadangan harian PPID Bot gagal")
    assert "not-a-folder" in told.text
    report = await check(ctx.settings, harness.clock.now)
    assert [p.code for p in report.problems] == ["backup_failed"]


@pytest.mark.sqlite_only  # the bot's own backups are of the SQLite file
async def test_the_daily_backup_keeps_the_newest_ones(harness: Harness, tmp_path: Path) -> None:
    await swept(harness)
    (tmp_path / "backups").mkdir()
    killed = tmp_path / "backups" / ".ppid-backup-20270228-020000.tar.gz.x1y2.part"
    killed.write_bytes(b"half a backup, the process was killed")
    written = []
    for _ in range(3):
        path = await daily_backup(harness.ctx)
        assert path is not None
        written.append(path)
        harness.clock.advance(days=1)
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert kept == [p.name for p in written[1:]]
    assert verify_backup(written[-1]).migrations


async def test_an_unexpected_error_reaches_the_admins_once_per_kind_and_hour(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers import base

    async def broken(req: base.Request) -> object:
        raise RuntimeError("database on fire")

    admin = await harness.join(6401, "Admin Diskominfo", Role.ADMIN)
    rina = await harness.join(6402, "Ibu Rina", Role.UTAMA)
    monkeypatch.setitem(base.COMMANDS, "status", broken)
    for _ in range(3):
        await rina.send("/status")
        await rina.wait_for_text("terjadi kesalahan")
    told = await admin.wait_for_text("kesalahan tak terduga")
    assert "RuntimeError" in told.text and "database on fire" not in told.text
    harness.clock.advance(minutes=30)
    await rina.send("/status")
    await rina.wait_for_text("terjadi kesalahan")
    await harness.scheduler.dispatcher.run_once()
    assert sum("kesalahan tak terduga" in m.text for m in admin.messages) == 1
    harness.clock.advance(minutes=31)
    await rina.send("/status")
    await rina.wait_for_text("terjadi kesalahan")
    await admin.wait_for_text("kesalahan tak terduga")
    assert sum("kesalahan tak terduga" in m.text for m in admin.messages) == 2


@pytest.fixture
async def webhook_health(tmp_path: Path, clock: Clock) -> AsyncIterator[tuple[Harness, int]]:
    async with FakeTelegram() as fake:
        port = free_port()
        settings = fake_settings(
            fake, tmp_path / "data", webhook_url=f"http://127.0.0.1:{port}/telegram",
            webhook_port=port, webhook_secret="s3cret-s3cret-s3cret", backup_dir=tmp_path / "backups",
        )  # fmt: skip
        app = build_application(settings, clock=clock, rate_limit=False)
        async with serving(fake, settings, clock, app) as h:
            yield h, port


async def test_healthz_answers_on_the_webhook_port(webhook_health: tuple[Harness, int]) -> None:
    h, port = webhook_health
    await swept(h)
    await daily_backup(h.ctx)
    status, body = await healthz(port)
    assert status == 200 and body["healthy"] is True
    h.clock.advance(minutes=6)
    status, body = await healthz(port)
    assert status == 503 and codes(body) == ["not_swept"]


@pytest.mark.sqlite_only  # the file itself; on PostgreSQL: tests/storage/test_postgres_server.py
async def test_the_bot_refuses_to_start_on_a_database_of_a_newer_version(tmp_path: Path) -> None:
    from storage.db import Database
    from tests.e2e.processes import bot_env, bot_process

    data = tmp_path / "data"
    db = await Database.open(data / "ppid.sqlite3")
    await db.close()
    conn = sqlite3.connect(data / "ppid.sqlite3")
    with conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, '099_future.sql', '2030-01-01')")
    conn.close()
    before = (data / "ppid.sqlite3").read_bytes()
    async with FakeTelegram() as fake:
        env = bot_env(fake, data, tmp_path, datetime(2027, 3, 1, 9, 0, tzinfo=WIB))
        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot.log") as bot:
            assert await asyncio.wait_for(bot.proc.wait(), 30) == 2, bot.log()
            log = bot.log()
    assert "sudah dipakai oleh versi PPID Bot yang lebih baru (migrasi 99" in log
    assert "Traceback" not in log, log
    assert (data / "ppid.sqlite3").read_bytes() == before
