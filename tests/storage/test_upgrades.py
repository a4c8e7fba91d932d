"""Upgrades: a database made by every earlier migration, with data in it, upgrades cleanly to the
current schema and the current code reads it; a database of a newer version is refused untouched.

The migrations are discovered from storage/migrations, so a new one is tested at once: the
database at each point is built by applying the migrations up to it, each followed by its rows
from `SEEDS` (written against the schema of that moment). A new migration that adds a table or
column should add rows for it to `SEEDS` under its number.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import make_ctx, open_core
from bot.config import Settings
from bot.services import cases
from storage.db import Database, SchemaTooNew, SqliteDatabase, migration_files
from storage.engine import sqlite_connect
from storage.files import FileStore

# Backups, restores and upgrades of the SQLite file itself.
pytestmark = pytest.mark.sqlite_only

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
T = "2027-03-01T09:00:00+07:00"
U = "2027-03-01T02:00:00+00:00"
SHA = "a" * 64

SEEDS: dict[int, list[str]] = {
    1: [
        f"INSERT INTO calendar_overrides VALUES ('2027-01-04', 'holiday', 'Libur daerah', 'cli', '{T}')"
    ],
    2: [
        "INSERT INTO opds (id, code, name) VALUES (1, 'DINKES', 'Dinas Kesehatan')",
        "INSERT INTO users (id, name, role, opd_id, external_id, chat_id, created_at) VALUES"
        f" (1, 'Admin', 'admin', NULL, '101', '101', '{T}'),"
        f" (2, 'Bapak Andi', 'pejabat_pid', NULL, '102', '102', '{T}'),"
        f" (3, 'Ibu Rina', 'ppid_utama', NULL, '103', '103', '{T}'),"
        f" (4, 'Ibu Sari', 'ppid_pendukung', 1, '104', '104', '{T}')",
        "INSERT INTO invitations (token, role, created_by, created_at, expires_at, used_by,"
        f" used_at) VALUES ('tok', 'admin', 'cli', '{T}', '{T}', 1, '{T}')",
        f"INSERT INTO rounds (id, name, created_by, created_at) VALUES (1, 'Uji', 2, '{T}')",
        f"INSERT INTO cases (id, round_id, opd_id, step, created_at) VALUES (1, 1, 1, 3, '{T}')",
        "INSERT INTO tasks (id, case_id, step, started_at, due_at, done_at, done_by, outcome)"
        f" VALUES (1, 1, 1, '{T}', '{T}', '{T}', 2, 'forwarded'),"
        f" (2, 1, 2, '{T}', '{T}', '{T}', 3, 'forwarded'),"
        f" (3, 1, 3, '{T}', '2027-03-15T16:00:00+07:00', NULL, NULL, NULL)",
        "INSERT INTO entries (id, case_id, number, title, summary, category, holder,"
        " responsible, made, forms, retention, resolution, review) VALUES (1, 1, 1,"
        " 'Profil Dinas', 'Ringkasan', 'berkala', 'Sekretariat', 'Kadis', '2027, Pontianak',"
        " 'softcopy', '5 tahun', 'documents', 'approved')",
        "INSERT INTO documents (id, case_id, entry_id, step, sha256, size, mime, name,"
        f" uploaded_by, uploaded_at) VALUES (1, 1, 1, 3, '{SHA}', 10, 'application/pdf',"
        f" 'profil.pdf', 4, '{T}')",
        "INSERT INTO audit (at, user_id, role, case_id, step, action) VALUES"
        f" ('{T}', 2, 'pejabat_pid', 1, 1, 'round_created'),"
        f" ('{T}', 3, 'ppid_utama', 1, 2, 'approved')",
        f"INSERT INTO dialogs (user_id, kind, data, updated_at) VALUES (4, 'files', '{{}}', '{T}')",
        "INSERT INTO outbox (id, key, user_id, payload, created_at, not_before, state, sent_at)"
        f' VALUES (1, \'case:1:handover:3:4\', 4, \'{{"kind": "handover", "case_id": 1,'
        f" \"step\": 3}}', '{U}', '{U}', 'sent', '{U}'),"
        f' (2, \'task:3:reminder:1:4\', 4, \'{{"kind": "reminder", "case_id": 1,'
        f" \"step\": 3, \"task_id\": 3, \"level\": 1}}', '{U}', '{U}', 'pending', NULL)",
    ],
    3: [
        f"UPDATE tasks SET notified_until = '{T}' WHERE id = 3",
        f"INSERT INTO digest_runs VALUES ('2027-03-01', '{T}')",
    ],
    4: [
        "INSERT INTO entries (id, case_id, number, title, summary, category, holder,"
        " responsible, made, forms, retention, withdrawn_at, withdrawn_reason, withdrawn_by)"
        " VALUES (2, 1, 2, 'Lama', 'R', 'berkala', 'S', 'K', '2027', 'cetak', '1 tahun',"
        f" '{T}', 'usang', 3)"
    ],
    5: [
        "INSERT INTO outbox (id, key, user_id, payload, created_at, not_before, state,"
        ' parts_sent, last_error) VALUES (3, \'task:3:reminder:2:4\', 4, \'{"kind": "reminder",'
        f' "case_id": 1, "step": 3, "task_id": 3, "level": 2}}\', \'{U}\', \'{U}\', \'skipped\','
        " 0, 'superseded')"
    ],
    6: [
        "INSERT INTO round_schedules (id, months, name_pattern, created_by, created_at)"
        f" VALUES (1, '1,7', 'DIP Semester {{semester}} {{year}}', 2, '{T}')",
        "INSERT INTO scheduled_rounds VALUES (1, '2027-01', 1)",
    ],
    7: [f"UPDATE outbox SET in_flight_since = '{U}' WHERE id = 1"],
    8: ["UPDATE tasks SET next_notice_at = '2027-03-10T00:30:00+00:00' WHERE id = 3"],
    9: [
        f"INSERT INTO meta VALUES ('last_sweep', '{T}')",
        f"INSERT INTO processed_updates VALUES (77, '{T}')",
    ],
    10: [
        "UPDATE outbox SET bundle_id = 1 WHERE id = 1",
        "UPDATE users SET unreachable_since = NULL WHERE id = 4",
    ],
    11: [
        "INSERT INTO documents (id, case_id, entry_id, step, sha256, size, mime, name,"
        " uploaded_by, uploaded_at, removed_kind, removed_at, removed_by, removed_reason) VALUES"
        f" (2, 1, 1, 3, '{'b' * 64}', 5, 'application/pdf', 'salah.pdf', 4, '{T}', 'rejected',"
        f" '{T}', 3, 'tidak terbaca')"
    ],
    12: [f"INSERT INTO processed_updates VALUES ('whatsapp', 'wamid.HBgL', '{U}')"],
    13: ["UPDATE documents SET channel = 'telegram' WHERE id = 2"],
    14: [
        f"UPDATE users SET last_seen_at = '{U}', phone = '6281100000004' WHERE id = 4",
        "UPDATE outbox SET brief = 1 WHERE id = 1",
        f"INSERT INTO channel_messages VALUES ('whatsapp', 'wamid.A', 1, 'read', '{U}', NULL)",
        f"INSERT INTO channel_media VALUES ('whatsapp', '{SHA}', '1234567890', '{U}')",
    ],
    16: [
        "INSERT INTO absences (id, user_id, starts, ends, stand_in_id, created_by, created_at)"
        f" VALUES (1, 3, '2027-03-01', '2027-03-05', NULL, 1, '{T}')",
        "INSERT INTO audit (at, user_id, role, case_id, step, action, acting_for) VALUES"
        f" ('{T}', 4, 'ppid_pendukung', 1, 3, 'step3:forwarded', 3)",
    ],
    15: [
        'UPDATE documents SET data_check = \'{"counts":{"nik":12},"places":{"nik":[3,5]},'
        '"unit":"page"}\' WHERE id = 1'
    ],
    17: [
        "INSERT INTO exemption_decisions (entry_id, action, old_reference, old_until,"
        " new_reference, new_until, decided_by, decided_at) VALUES (1, 'extend', 'UK-1',"
        f" '2027-03-31', 'UK-2', '2028-03-31', 3, '{T}')"
    ],
    # Indexes only: a deadline moved after the upgrade goes through the new expression index.
    18: ["UPDATE tasks SET due_at = '2027-03-16T16:00:00+07:00' WHERE id = 3"],
}

MIGRATIONS = migration_files()


async def build_at(path: Path, last: int) -> dict[str, int]:
    """A database with the migrations up to number `last` and their seed rows; returns the row
    count of every table."""
    conn = sqlite_connect(path, busy_ms=0)
    db = SqliteDatabase(conn, path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        for migration in MIGRATIONS:
            if migration[0] > last:
                break
            await db.migrate([migration])
            for statement in SEEDS.get(migration[0], []):
                conn.execute(statement)
        return counts(conn)
    finally:
        conn.close()


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]  # fmt: skip
    found = {}
    for table in tables:
        (row,) = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchall()
        found[table] = int(row[0])
    return found


def test_the_migrations_are_discovered_from_the_folder_and_seeded() -> None:
    numbers = [n for n, _, _ in MIGRATIONS]
    assert numbers == sorted(numbers) and numbers[0] == 1 and len(numbers) >= 11
    assert set(SEEDS) <= set(numbers)


@pytest.mark.parametrize("last", [n for n, _, _ in MIGRATIONS[:-1]], ids=lambda n: f"from-{n:03d}")
async def test_a_database_of_an_earlier_migration_upgrades_to_the_current_one(
    tmp_path: Path, last: int
) -> None:
    path = tmp_path / "data" / "ppid.sqlite3"
    path.parent.mkdir()
    before = await build_at(path, last)
    db = await Database.open(path)  # what the bot does at start: apply what is missing
    try:
        assert await db.applied_migrations() == [name for _, name, _ in MIGRATIONS]
        assert await db.pragma("integrity_check") == "ok"
        async with db.read() as uow:
            assert await uow.calendar._all("PRAGMA foreign_key_check") == []
    finally:
        await db.close()
    conn = sqlite3.connect(path)
    try:
        after = counts(conn)
    finally:
        conn.close()
    for table, rows in before.items():
        if table != "schema_migrations":
            assert after[table] == rows, f"rows of {table} lost in the upgrade from {last}"

    # The current code reads what the old one wrote.
    settings = Settings(data_dir=path.parent)
    async with open_core(settings) as core:
        async with core.db.read() as uow:
            assert len(await uow.calendar.overrides()) == 1
            users = await uow.users.all()
            assert last < 2 or sorted(u.name for u in users) == [
                "Admin", "Bapak Andi", "Ibu Rina", "Ibu Sari"]  # fmt: skip
            assert last < 2 or len(await uow.outbox.listing(("pending", "sent"))) >= 2
            assert last < 2 or len(await uow.audit.for_case(1)) == (3 if last >= 16 else 2)
        if last >= 2:
            ctx = make_ctx(settings=settings, db=core.db, calendar=core.calendar,
                      files=FileStore(settings.documents_dir), clock=lambda: NOW)  # fmt: skip
            view = await cases.view(ctx, 1)
            assert view.case.step == 3 and view.entries[0].title == "Profil Dinas"


async def test_a_database_of_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "ppid.sqlite3"
    db = await Database.open(path)
    await db.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (999, '999_from_the_future.sql', '2030-01-01')"
        )
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew) as caught:
        await Database.open(path)
    assert caught.value.unknown == [999]
    assert caught.value.shipped == MIGRATIONS[-1][0]
    assert path.read_bytes() == before
