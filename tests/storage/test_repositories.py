"""The repositories against a real SQLite file: what each one promises, one promise per test."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot.models import DueNotice, Invitation, OutboxRow
from bot.sop import Role
from storage.db import Database
from storage.uow import UnitOfWork

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))
ENTRY: dict[str, Any] = {
    "title": "Laporan keuangan",
    "summary": "Ringkasan",
    "category": "berkala",
    "holder": "Dinas",
    "responsible": "Kepala Dinas",
    "made": "2027, Pontianak",
    "forms": "softcopy",
    "retention": "Sesuai JRA",
}
# What a broken constraint raises on either engine.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)


@pytest.fixture
async def db(db_target: Path | str) -> AsyncIterator[Database]:
    database = await Database.open(db_target)
    yield database
    await database.close()


async def add_user(
    uow: UnitOfWork, external_id: str, role: Role = Role.UTAMA, opd_id: int | None = None
) -> int:
    return await uow.users.add(
        name=f"Petugas {external_id}", role=role, opd_id=opd_id, channel="telegram",
        external_id=external_id, chat_id=external_id, now=NOW,
    )  # fmt: skip


async def add_case(uow: UnitOfWork, code: str = "DINKES") -> int:
    await uow.opds.upsert(code, f"Dinas {code}")
    opd = await uow.opds.by_code(code)
    assert opd is not None
    round_id = await uow.rounds.add("DIP Semester I 2027", None, NOW)
    return await uow.cases.add(round_id, opd.id, NOW)


# --- OPDs ----------------------------------------------------------------------------------------


async def test_an_opd_upsert_reports_only_real_changes(db: Database) -> None:
    async with db.transaction() as uow:
        assert await uow.opds.upsert("DINKES", "Dinas Kesehatan") is True
        assert await uow.opds.upsert("DINKES", "Dinas Kesehatan") is False
        assert await uow.opds.upsert("DINKES", "Dinas Kesehatan Kota") is True
        assert await uow.opds.upsert("DINKES", "Dinas Kesehatan Kota") is False
        await uow.commit()
    async with db.transaction() as uow:
        opds = await uow.opds.all()
    assert [(o.code, o.name) for o in opds] == [("DINKES", "Dinas Kesehatan Kota")]


async def test_opds_are_found_by_code_regardless_of_case_and_listed_by_name(db: Database) -> None:
    async with db.transaction() as uow:
        await uow.opds.upsert("KOMINFO", "Dinas Komunikasi dan Informatika")
        await uow.opds.upsert("BAPPEDA", "Badan Perencanaan")
        found = await uow.opds.by_code("kominfo")
        names = [o.name for o in await uow.opds.all()]
    assert found is not None and found.code == "KOMINFO"
    assert names == ["Badan Perencanaan", "Dinas Komunikasi dan Informatika"]


# --- users and invitations -------------------------------------------------------------------


async def test_a_user_is_found_by_channel_and_external_id(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "555")
        user = await uow.users.by_external("telegram", "555")
        assert await uow.users.by_external("telegram", "556") is None
        assert await uow.users.by_external("other", "555") is None
    assert user is not None
    assert (user.id, user.role, user.active, user.created_at) == (user_id, Role.UTAMA, True, NOW)


async def test_with_role_lists_active_holders_of_the_role_and_of_the_opd(db: Database) -> None:
    async with db.transaction() as uow:
        await uow.opds.upsert("A", "OPD A")
        await uow.opds.upsert("B", "OPD B")
        a, b = await uow.opds.by_code("A"), await uow.opds.by_code("B")
        assert a is not None and b is not None
        u1 = await add_user(uow, "1")
        u2 = await add_user(uow, "2")
        await add_user(uow, "3", Role.PEJABAT)
        pa = await add_user(uow, "4", Role.PENDUKUNG, a.id)
        await add_user(uow, "5", Role.PENDUKUNG, b.id)
        await uow.users.deactivate(u2, NOW)
        utama = [u.id for u in await uow.users.with_role(Role.UTAMA)]
        of_a = [u.id for u in await uow.users.with_role(Role.PENDUKUNG, a.id)]
    assert utama == [u1]
    assert of_a == [pa]


async def test_deactivating_a_user_succeeds_once(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        assert await uow.users.deactivate(user_id, NOW) is True
        assert await uow.users.deactivate(user_id, NOW) is False
        assert await uow.users.deactivate(999, NOW) is False
        user = await uow.users.get(user_id)
    assert user is not None and user.active is False


@pytest.mark.parametrize(
    ("role", "with_opd"), [(Role.PENDUKUNG, False), (Role.UTAMA, True), (Role.PEJABAT, True)]
)
async def test_only_a_ppid_pendukung_has_an_opd(db: Database, role: Role, with_opd: bool) -> None:
    async with db.transaction() as uow:
        await uow.opds.upsert("A", "OPD A")
        opd = await uow.opds.by_code("A")
        assert opd is not None
        with pytest.raises(INTEGRITY_ERRORS):
            await add_user(uow, "1", role, opd.id if with_opd else None)


async def test_the_same_person_cannot_be_added_twice(db: Database) -> None:
    async with db.transaction() as uow:
        await add_user(uow, "1")
        with pytest.raises(INTEGRITY_ERRORS):
            await add_user(uow, "1", Role.PEJABAT)


async def test_an_invitation_is_used_only_once(db: Database) -> None:
    invitation = Invitation(
        token="tok", role=Role.UTAMA, opd_id=None, name=None, created_by="cli", created_at=NOW,
        expires_at=NOW + timedelta(days=7), used_by=None, used_at=None,
    )  # fmt: skip
    async with db.transaction() as uow:
        first, second = await add_user(uow, "1"), await add_user(uow, "2")
        await uow.invitations.add(invitation)
        assert await uow.invitations.mark_used("tok", first, NOW) is True
        assert await uow.invitations.mark_used("tok", second, NOW) is False
        assert await uow.invitations.mark_used("unknown", second, NOW) is False
        stored = await uow.invitations.get("tok")
    assert stored is not None
    assert (stored.used_by, stored.used_at) == (first, NOW)


# --- rounds, cases and tasks -----------------------------------------------------------------


async def test_a_new_case_starts_in_step_1_at_version_1(db: Database) -> None:
    async with db.transaction() as uow:
        case = await uow.cases.get(await add_case(uow))
    assert case is not None
    assert (case.step, case.version, case.closed, case.closed_at) == (1, 1, False, None)


async def test_a_bump_succeeds_once_for_a_version(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        assert await uow.cases.bump(case_id, 1) is True
        assert await uow.cases.bump(case_id, 1) is False
        assert await uow.cases.bump(case_id, 3) is False
        assert await uow.cases.bump(case_id, 2) is True
        case = await uow.cases.get(case_id)
    assert case is not None and case.version == 3


async def test_moving_to_the_end_closes_the_case_and_then_its_round(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        case = await uow.cases.get(case_id)
        assert case is not None
        assert await uow.rounds.close_if_done(case.round_id, NOW) is False
        await uow.cases.move(case_id, 6, None, NOW)
        moved = await uow.cases.get(case_id)
        assert await uow.rounds.close_if_done(case.round_id, NOW) is True
        assert await uow.rounds.close_if_done(case.round_id, NOW) is False
        rnd = await uow.rounds.get(case.round_id)
    assert moved is not None and rnd is not None
    assert (moved.step, moved.version, moved.closed, moved.closed_at) == (6, 2, True, NOW)
    assert rnd.closed_at == NOW


async def test_a_case_has_at_most_one_open_task(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        first = await uow.tasks.open(case_id, 1, NOW, NOW + timedelta(days=1))
        await uow.commit()
    async with db.transaction() as uow:
        with pytest.raises(INTEGRITY_ERRORS):
            await uow.tasks.open(case_id, 2, NOW, NOW + timedelta(days=1))
    # Read afresh: after a failed statement PostgreSQL refuses the rest of its transaction.
    async with db.read() as uow:
        current = await uow.tasks.current(case_id)
    assert current is not None and current.id == first


async def test_closing_the_open_task_lets_the_next_one_open(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        user_id = await add_user(uow, "1", Role.PEJABAT)
        first = await uow.tasks.open(case_id, 1, NOW, NOW + timedelta(days=1))
        await uow.tasks.close(first, user_id, "forwarded", NOW + timedelta(hours=1))
        second = await uow.tasks.open(case_id, 2, NOW, NOW + timedelta(days=1))
        current = await uow.tasks.current(case_id)
        last = await uow.tasks.last_done(case_id)
        every = await uow.tasks.for_case(case_id)
    assert current is not None and current.id == second
    assert last is not None and (last.id, last.done_by, last.outcome) == (
        first,
        user_id,
        "forwarded",
    )
    assert [t.id for t in every] == [first, second]


async def test_open_cases_leave_out_the_closed_ones(db: Database) -> None:
    async with db.transaction() as uow:
        done, open_ = await add_case(uow, "DINKES"), await add_case(uow, "DISDIK")
        await uow.cases.move(done, 6, None, NOW)
        assert [c.id for c in await uow.cases.all(open_only=True)] == [open_]
        assert [c.id for c in await uow.cases.all()] == [done, open_]


# --- entries ---------------------------------------------------------------------------------


async def test_entries_are_numbered_and_removed_ones_keep_their_number(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        numbers = [(await uow.entries.add(case_id, ENTRY)).number for _ in range(3)]
        second = await uow.entries.by_number(case_id, 2)
        assert second is not None
        await uow.entries.remove(second.id)
        fourth = await uow.entries.add(case_id, ENTRY)
        assert await uow.entries.by_number(case_id, 2) is None
        assert await uow.entries.get(second.id) is None
        live = [e.number for e in await uow.entries.for_case(case_id)]
    assert numbers == [1, 2, 3]
    assert fourth.number == 4
    assert live == [1, 3, 4]


async def test_entry_numbers_are_per_case(db: Database) -> None:
    async with db.transaction() as uow:
        one, two = await add_case(uow, "A"), await add_case(uow, "B")
        await uow.entries.add(one, ENTRY)
        await uow.entries.add(one, ENTRY)
        first_of_two = await uow.entries.add(two, ENTRY)
    assert first_of_two.number == 1


async def test_an_entry_update_stores_dates_and_known_fields(db: Database) -> None:
    async with db.transaction() as uow:
        entry = await uow.entries.add(await add_case(uow), ENTRY)
        await uow.entries.update(
            entry.id, resolution="exempt", exempt_reference="UK/1", exempt_until=date(2030, 1, 2),
            published_at=NOW,
        )  # fmt: skip
        updated = await uow.entries.get(entry.id)
    assert updated is not None
    assert (updated.resolution, updated.exempt_until, updated.published_at) == (
        "exempt",
        date(2030, 1, 2),
        NOW,
    )


@pytest.mark.parametrize("field", ["removed", "case_id", "number", "id", "title = 'x', removed"])
async def test_an_entry_update_refuses_unknown_field_names(db: Database, field: str) -> None:
    async with db.transaction() as uow:
        entry = await uow.entries.add(await add_case(uow), ENTRY)
        with pytest.raises(ValueError, match="unknown entry fields"):
            await uow.entries.update(entry.id, **{field: 1})
        unchanged = await uow.entries.get(entry.id)
    assert unchanged == entry


# --- documents -------------------------------------------------------------------------------


async def test_the_same_document_is_found_for_the_same_target_only(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        user_id = await add_user(uow, "1", Role.PEJABAT)
        one = await uow.entries.add(case_id, ENTRY)
        two = await uow.entries.add(case_id, ENTRY)
        doc_id = await uow.documents.add(
            case_id=case_id, entry_id=one.id, step=3, sha256="a" * 64, size=10,
            mime="application/pdf", name="a.pdf", channel_file_id=None, uploaded_by=user_id,
            now=NOW,
        )  # fmt: skip
        draft_id = await uow.documents.add(
            case_id=case_id, entry_id=None, step=1, sha256="b" * 64, size=10,
            mime="application/pdf", name="draf.pdf", channel_file_id=None, uploaded_by=user_id,
            now=NOW,
        )  # fmt: skip
        same = await uow.documents.find_same(case_id, one.id, "a" * 64)
        other_entry = await uow.documents.find_same(case_id, two.id, "a" * 64)
        other_hash = await uow.documents.find_same(case_id, one.id, "c" * 64)
        same_draft = await uow.documents.find_same(case_id, None, "b" * 64)
        not_a_draft = await uow.documents.find_same(case_id, None, "a" * 64)
    assert same is not None and same.id == doc_id
    assert other_entry is None and other_hash is None and not_a_draft is None
    assert same_draft is not None and same_draft.id == draft_id


# --- outbox ----------------------------------------------------------------------------------


async def enqueue(
    uow: UnitOfWork, key: str, user_id: int, not_before: datetime = NOW, text: str = "a"
) -> bool:
    return await uow.outbox.enqueue(
        key=key, user_id=user_id, payload={"text": text}, now=NOW, not_before=not_before
    )


async def test_a_notice_key_is_queued_once(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        assert await enqueue(uow, "task:1:handover:0:1", user_id, text="first") is True
        assert await enqueue(uow, "task:1:handover:0:1", user_id, text="second") is False
        rows = await uow.outbox.listing()
    assert len(rows) == 1
    assert rows[0].payload == {"text": "first"}


@pytest.mark.parametrize(("delay", "due"), [(timedelta(hours=-1), True), (timedelta(0), True), (timedelta(seconds=1), False), (timedelta(days=1), False)])  # fmt: skip
async def test_a_notice_is_due_from_its_not_before(
    db: Database, delay: timedelta, due: bool
) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await enqueue(uow, "k", user_id, not_before=NOW + delay)
        rows = await uow.outbox.due(NOW)
    assert len(rows) == (1 if due else 0)


async def test_a_due_row_carries_the_decoded_payload_and_the_chat(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "77")
        await enqueue(uow, "k", user_id, text="halo")
        [row] = await uow.outbox.due(NOW)
    assert (row.payload, row.chat_id, row.channel) == ({"text": "halo"}, "77", "telegram")


async def test_every_outbox_read_returns_typed_rows_with_instants_flags_and_payload(
    db: Database,
) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "77")
        await enqueue(uow, "k", user_id, text="halo")
        [due] = await uow.outbox.due(NOW)
        await uow.outbox.mark_in_flight(due.id, NOW)
        [uncertain] = await uow.outbox.uncertain()
        await uow.outbox.mark_sent_many([due.id], NOW + timedelta(minutes=1), bundle_id=due.id)
        await uow.outbox.mark_brief_many([due.id], "window closed")
        [listed] = await uow.outbox.listing(("pending",))
        await uow.outbox.mark_sent_many([due.id], NOW + timedelta(minutes=2), bundle_id=due.id)
        [sent] = await uow.outbox.sent_rows()
        [bundled] = await uow.outbox.of_bundle(due.id, user_id)
        mine = await uow.outbox.of_user(due.id, user_id)
    assert isinstance(due, DueNotice) and due.last_seen_at is None and due.brief is False
    # Instants are datetimes (the same instant whatever zone they were written in), flags bools.
    assert (due.not_before, due.created_at, due.next_try_at) == (NOW, NOW, None)
    assert uncertain.in_flight_since == NOW and uncertain.payload == {"text": "halo"}
    assert (listed.state, listed.brief, listed.last_error) == ("pending", True, "window closed")
    assert sent.sent_at == NOW + timedelta(minutes=2) and sent.bundle_id == due.id
    assert isinstance(sent.sent_at, datetime) and sent.attempts == 2
    assert bundled == sent == mine and isinstance(mine, OutboxRow)


async def test_a_retried_notice_waits_until_its_next_try(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await enqueue(uow, "k", user_id)
        [row] = await uow.outbox.due(NOW)
        await uow.outbox.mark_retry(row.id, NOW + timedelta(minutes=5), "x" * 900)
        assert await uow.outbox.due(NOW + timedelta(minutes=4)) == []
        [again] = await uow.outbox.due(NOW + timedelta(minutes=5))
    assert again.attempts == 1
    assert again.last_error == "x" * 500


async def test_a_sent_notice_is_never_due_again(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await enqueue(uow, "k", user_id)
        [row] = await uow.outbox.due(NOW)
        await uow.outbox.mark_sent(row.id, NOW)
        await uow.outbox.mark_sent(row.id, NOW)
        assert await uow.outbox.due(NOW + timedelta(days=30)) == []
        assert await uow.outbox.count("sent") == 1
        [sent] = await uow.outbox.listing(("sent",))
    assert (sent.state, sent.attempts, sent.sent_at) == ("sent", 1, NOW)


async def test_a_failed_notice_is_never_due_again(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await enqueue(uow, "k", user_id)
        [row] = await uow.outbox.due(NOW)
        await uow.outbox.mark_failed(row.id, "403 Forbidden")
        await uow.outbox.mark_sent(row.id, NOW)
        assert await uow.outbox.due(NOW + timedelta(days=30)) == []
        [failed] = await uow.outbox.listing()
    assert (failed.state, failed.attempts, failed.last_error) == (
        "failed",
        1,
        "403 Forbidden",
    )
    assert failed.sent_at is None


async def test_due_compares_instants_whatever_their_offset(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await enqueue(uow, "k", user_id, not_before=NOW)
        rows = await uow.outbox.due(NOW.astimezone(UTC) + timedelta(minutes=1))
    assert len(rows) == 1


# --- dialogs ---------------------------------------------------------------------------------


async def test_a_dialog_is_set_replaced_and_cleared(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        assert await uow.dialogs.get(user_id) is None
        await uow.dialogs.set(user_id, "return-reason", {"case": 1, "version": 2}, NOW)
        assert await uow.dialogs.get(user_id) == ("return-reason", {"case": 1, "version": 2})
        await uow.dialogs.set(user_id, "entry-files", {"entry": 9}, NOW)
        assert await uow.dialogs.get(user_id) == ("entry-files", {"entry": 9})
        assert await uow.dialogs.clear(user_id) is True
        assert await uow.dialogs.clear(user_id) is False
        assert await uow.dialogs.get(user_id) is None


async def test_committed_changes_outlive_the_unit_of_work(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await uow.dialogs.set(user_id, "k", {}, NOW)
        await uow.commit()
    async with db.transaction() as uow:
        await uow.dialogs.set(user_id, "other", {}, NOW)
    async with db.transaction() as uow:
        assert await uow.dialogs.get(user_id) == ("k", {})


# --- reads outside transactions and lookups by many ids ----------------------------------------


async def test_reads_outside_a_transaction_see_committed_rows_and_cannot_commit(
    db: Database,
) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await uow.commit()
    async with db.read() as uow:
        user = await uow.users.get(user_id)
        with pytest.raises(RuntimeError, match="no transaction"):
            await uow.commit()
    assert user is not None and user.name == "Petugas 1"


async def test_a_read_waits_for_the_open_unit_of_work_and_never_sees_its_rows(
    db: Database,
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite only: its lock serialises units of work (PostgreSQL: see below)")
    seen: list[object] = []

    async def reader() -> None:
        async with db.read() as uow:
            seen.append(await uow.users.by_external("telegram", "1"))

    async with db.transaction() as uow:
        await add_user(uow, "1")
        waiting = asyncio.create_task(reader())
        await asyncio.sleep(0.01)
        assert seen == []  # the lock keeps the reader out of the open transaction
    await waiting
    assert seen == [None]  # rolled back: never visible


async def test_a_read_beside_an_open_unit_of_work_never_sees_its_rows(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite the read waits (see the test above)")
    async with db.transaction() as uow:
        await add_user(uow, "1")
        async with db.read() as reader:  # another pooled connection: no wait
            assert await reader.users.by_external("telegram", "1") is None
    async with db.read() as reader:
        assert await reader.users.by_external("telegram", "1") is None  # rolled back


async def test_lookups_by_many_ids_find_every_row_beyond_one_chunk_of_bound_values(
    db: Database,
) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        for number in range(1, 1202):
            await uow.entries.add(case_id, {**ENTRY, "title": f"Informasi {number}"})
        await uow.commit()
    async with db.read() as uow:
        by_case = await uow.entries.for_cases([case_id, case_id, 999_999])
    assert list(by_case) == [case_id]
    assert [e.number for e in by_case[case_id]] == list(range(1, 1202))


async def test_handled_updates_are_found_among_a_batch_in_one_query(db: Database) -> None:
    statements: list[str] = []
    async with db.read() as uow:
        for update_id in ("10", "12"):
            await uow.updates.mark("telegram", update_id, NOW)
        await uow.updates.mark("whatsapp", "11", NOW)
    # Traced from the opening of a unit of work (PostgreSQL's connection takes the trace then).
    await db.trace(statements.append)
    async with db.read() as uow:
        assert await uow.updates.seen("telegram", ["10", "11", "12", "13"]) == {"10", "12"}
    await db.trace(None)
    async with db.read() as uow:
        assert await uow.updates.seen("whatsapp", ["10", "11"]) == {"11"}
    assert len(statements) == 1


async def test_handled_events_are_forgotten_by_age(db: Database) -> None:
    async with db.read() as uow:
        await uow.updates.mark("telegram", "1", NOW - timedelta(days=9))
        await uow.updates.mark("whatsapp", "wamid.A", NOW)
        assert await uow.updates.prune(NOW - timedelta(days=8)) == 1
        assert await uow.updates.seen("telegram", ["1"]) == set()
        assert await uow.updates.seen("whatsapp", ["wamid.A"]) == {"wamid.A"}
