"""The statements no other storage test runs, on both engines: each gives the same answer on
SQLite and on PostgreSQL (row order, NULL comparisons, RETURNING, conflicts, counts)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.sop import Role
from bot.workdays import Override
from storage.db import Database
from storage.engine import RolledBack
from storage.journal import Queued
from storage.uow import UnitOfWork
from tests.pgcluster import Cluster
from tests.storage.test_repositories import ENTRY, INTEGRITY_ERRORS, NOW, add_case, add_user


@pytest.fixture
async def db(db_target: Path | str) -> AsyncIterator[Database]:
    database = await Database.open(db_target)
    yield database
    await database.close()


async def open_cases(uow: UnitOfWork, codes: list[str]) -> list[int]:
    """One case per OPD code in one round, each with its open task of step 1; the case ids."""
    round_id = await uow.rounds.add("DIP Semester I 2027", None, NOW)
    case_ids = []
    for code in codes:
        await uow.opds.upsert(code, f"Dinas {code}")
        opd = await uow.opds.by_code(code)
        assert opd is not None
        case_id = await uow.cases.add(round_id, opd.id, NOW)
        await uow.tasks.open(case_id, 1, NOW, NOW + timedelta(days=5))
        case_ids.append(case_id)
    return case_ids


async def test_the_sweep_reads_open_tasks_in_task_order_after_they_changed(db: Database) -> None:
    async with db.transaction() as uow:
        await open_cases(uow, ["A", "B", "C"])
        await uow.commit()
    async with db.transaction() as uow:
        tasks = sorted(r["id"] for r in await uow.tasks.sweep_rows())
        # An update writes a new row version on PostgreSQL, found last by a plain scan.
        await uow.tasks.set_planned([(tasks[0], NOW, NOW + timedelta(days=1))])
        await uow.commit()
    async with db.read() as uow:
        assert [r["id"] for r in await uow.tasks.sweep_rows()] == tasks
        assert [r["id"] for r in await uow.tasks.sweep_rows(reversed(tasks))] == tasks


async def test_a_digest_lists_open_tasks_by_opd_name_then_deadline(db: Database) -> None:
    async with db.transaction() as uow:
        first, second = await open_cases(uow, ["B", "A"])
        task_b = await uow.tasks.current(first)
        task_a = await uow.tasks.current(second)
        assert task_a is not None and task_b is not None
        await uow.tasks.set_due(task_b.id, NOW + timedelta(days=1))
        await uow.commit()
    async with db.read() as uow:
        rows = await uow.tasks.open_with_names()
        open_tasks = await uow.tasks.open_tasks()
    assert [(r["opd_code"], r["id"]) for r in rows] == [("A", task_a.id), ("B", task_b.id)]
    assert [t.id for t in open_tasks] == [task_b.id, task_a.id]  # earliest deadline first


async def test_last_seen_is_written_again_within_the_slack_only_for_a_new_number(
    db: Database,
) -> None:
    slack = timedelta(minutes=5)

    async def seen(minutes: int, phone: str | None) -> tuple[object, object]:
        async with db.transaction() as uow:
            await uow.users.seen("telegram", "1", NOW + timedelta(minutes=minutes), slack, phone)
            await uow.commit()
            user = await uow.users.get(user_id)
        assert user is not None
        return user.last_seen_at, user.phone

    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await uow.commit()
    assert await seen(0, None) == (NOW, None)  # never seen: written
    assert await seen(1, None) == (NOW, None)  # within the slack, no number: kept
    assert await seen(2, "62811") == (NOW + timedelta(minutes=2), "62811")  # a first number
    assert await seen(3, "62811") == (NOW + timedelta(minutes=2), "62811")  # the same number
    assert await seen(4, None) == (NOW + timedelta(minutes=2), "62811")  # none: number kept
    assert await seen(5, "62822") == (NOW + timedelta(minutes=5), "62822")  # a new number
    assert await seen(11, None) == (NOW + timedelta(minutes=11), "62822")  # after the slack


async def test_a_person_moves_is_reactivated_and_gives_up_their_account(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1", Role.PEJABAT)
        await uow.users.set_phone(user_id, "62811")
        await uow.users.mark_unreachable(user_id, NOW)
        await uow.users.move(user_id, channel="whatsapp", external_id="62811", chat_id="62811",
                             now=NOW)  # fmt: skip
        moved = await uow.users.get(user_id)
        assert await uow.users.deactivate(user_id, NOW)
        await uow.users.release_account(user_id)
        released = await uow.users.get(user_id)
        await uow.users.reactivate(user_id, name="Baru", role=Role.UTAMA, opd_id=None,
                                   chat_id="9")  # fmt: skip
        back = await uow.users.get(user_id)
    assert moved is not None and released is not None and back is not None
    assert (moved.channel, moved.external_id, moved.unreachable_since) == (
        "whatsapp",
        "62811",
        None,
    )
    assert (released.external_id, released.chat_id) == (None, None)
    assert (back.active, back.name, back.role, back.chat_id) == (True, "Baru", Role.UTAMA, "9")


async def test_rounds_are_listed_recent_ones_and_reopened(db: Database) -> None:
    async with db.transaction() as uow:
        old = await uow.rounds.add("DIP 2026", None, NOW - timedelta(days=90))
        new = await uow.rounds.add("DIP 2027", None, NOW)
        case_id = await add_case(uow)
        await uow.entries.add(case_id, ENTRY)
        await uow.cases.move(case_id, 6, None, NOW - timedelta(days=60))
        [case] = await uow.cases.many([case_id])
        assert await uow.rounds.close_if_done(old, NOW - timedelta(days=60))
        recent = [r.id for r in await uow.rounds.recent(NOW - timedelta(days=30))]
        await uow.rounds.reopen(old)
        reopened = [r.id for r in await uow.rounds.recent(NOW - timedelta(days=30))]
        every = [r.id for r in await uow.rounds.all()]
        of_rounds = await uow.cases.of_rounds([case.round_id, old])
        lines = await uow.cases.lines_of_rounds([case.round_id])
    assert recent == [new, case.round_id]
    assert reopened == [old, new, case.round_id] == every
    assert [c.id for c in of_rounds] == [case_id]
    assert [(line.case_id, line.entries, line.opd_code) for line in lines] == [
        (case_id, 1, "DINKES")
    ]


async def test_documents_of_the_draft_and_of_cases_and_every_hash(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        user_id = await add_user(uow, "1")
        entry = await uow.entries.add(case_id, ENTRY)
        ids = [
            await uow.documents.add(case_id=case_id, entry_id=entry_id, step=1, sha256=sha,
                                    size=3, mime="application/pdf", name=f"{sha}.pdf",
                                    channel_file_id=None, uploaded_by=user_id, now=NOW)
            for entry_id, sha in ((None, "aa"), (entry.id, "bb"), (entry.id, "aa"))
        ]  # fmt: skip
        draft = await uow.documents.draft_documents(case_id)
        by_case = await uow.documents.for_cases([case_id])
        hashes = await uow.documents.all_hashes()
        named = await uow.documents.names(case_id, None)
    assert [d.id for d in draft] == ids[:1]
    assert [d.id for d in by_case[case_id]] == ids
    assert hashes == {"aa", "bb"}
    assert named == {"aa.pdf"}


async def test_outbox_rows_are_retried_requeued_and_found_by_person(db: Database) -> None:
    async with db.transaction() as uow:
        user_id, other = await add_user(uow, "1"), await add_user(uow, "2")
        queued = [Queued(f"k{n}", user_id, {"kind": "x", "n": n}, NOW) for n in range(3)]
        assert await uow.outbox.enqueue_many([*queued, queued[0]], NOW) == 3
        rows = await uow.outbox.listing(("pending",))
        first, second, third = (r["id"] for r in rows)
        await uow.outbox.mark_in_flight(first, NOW)
        uncertain = [r["id"] for r in await uow.outbox.uncertain()]
        await uow.outbox.mark_sent_many([first, second], NOW)
        await uow.outbox.requeue_many([second], NOW + timedelta(minutes=1), "gagal")
        await uow.outbox.mark_failed(third, "ditolak")
        assert await uow.outbox.retry(third) == user_id
        assert await uow.outbox.retry(third) is None  # no longer a failed row
        sent = [r["id"] for r in await uow.outbox.sent_rows()]
        mine, theirs = (
            await uow.outbox.of_user(first, user_id),
            await uow.outbox.of_user(first, other),
        )
        pending = await uow.outbox.listing(("pending",))
    assert uncertain == [first]
    assert sent == [first]
    assert mine is not None and mine["payload"] == {"kind": "x", "n": 0} and theirs is None
    assert [(r["id"], r["attempts"]) for r in pending] == [(second, 2), (third, 1)]


async def test_uploaded_media_are_found_until_they_expire_or_are_forgotten(db: Database) -> None:
    async with db.transaction() as uow:
        await uow.media.put("whatsapp", "d1", "m1", NOW)
        await uow.media.put("whatsapp", "d1", "m2", NOW + timedelta(hours=1))
        fresh = await uow.media.get("whatsapp", "d1", NOW)
        stale = await uow.media.get("whatsapp", "d1", NOW + timedelta(hours=2))
        await uow.media.forget("whatsapp", "d1")
        gone = await uow.media.get("whatsapp", "d1", NOW - timedelta(days=1))
    assert (fresh, stale, gone) == ("m2", None, None)


async def test_exemption_decisions_are_counted_by_their_old_end_date(db: Database) -> None:
    async with db.transaction() as uow:
        case_id = await add_case(uow)
        user_id = await add_user(uow, "1")
        entry = await uow.entries.add(case_id, {**ENTRY, "category": "dikecualikan"})
        await uow.entries.update(entry.id, review="approved", exempt_reference="UK/1",
                                 exempt_until=date(2027, 6, 30))  # fmt: skip
        decided = await uow.exemptions.add_decision(
            entry_id=entry.id, action="extend", old_reference="UK/0", old_until=date(2027, 3, 31),
            new_reference="UK/1", new_until=date(2027, 6, 30), by=user_id, now=NOW,
        )  # fmt: skip
        decisions = await uow.exemptions.decisions()
        both = await uow.exemptions.due_between(date(2027, 3, 1), date(2027, 6, 30))
        one = await uow.exemptions.due_between(date(2027, 4, 1), date(2027, 12, 31))
    assert [(d["id"], d["new_until"]) for d in decisions] == [(decided, "2027-06-30")]
    assert (both, one) == (2, 1)
    assert isinstance(both, int)


async def test_a_schedule_is_replaced_stopped_and_claims_each_period_once(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1", Role.PEJABAT)
        round_id = await uow.rounds.add("DIP Semester I 2027", None, NOW)
        first = await uow.schedules.set("1,7", "DIP {semester} {year}", user_id, NOW)
        second = await uow.schedules.set("1", "DIP {year}", user_id, NOW)
        active = [s["id"] for s in await uow.schedules.active()]
        assert await uow.schedules.claim_period(second, "2027-01", round_id)
        assert not await uow.schedules.claim_period(second, "2027-01", round_id)
        claimed = await uow.schedules.has_period(second, "2027-01")
        unclaimed = await uow.schedules.has_period(first, "2027-01")
        assert await uow.schedules.stop()
        assert not await uow.schedules.stop()
        after = await uow.schedules.active()
    assert active == [second]
    assert (claimed, unclaimed, after) == (True, False, [])


async def test_a_calendar_override_of_a_day_is_read_replaced_and_removed(db: Database) -> None:
    day = date(2027, 3, 3)
    async with db.transaction() as uow:
        await uow.calendar.put(Override(day, "holiday", "Banjir"), by="cli", at=NOW)
        await uow.calendar.put(Override(day, "workday", "Ganti"), by="cli", at=NOW)
        replaced = await uow.calendar.get(day)
        assert await uow.calendar.remove(day)
        gone = await uow.calendar.get(day)
        opd = await uow.opds.by_code("dinkes")
    assert replaced == Override(day, "workday", "Ganti")
    assert gone is None and opd is None


async def test_a_notice_about_no_opd_may_go_to_everyone_without_an_opd_role(db: Database) -> None:
    async with db.transaction() as uow:
        await uow.opds.upsert("A", "OPD A")
        opd = await uow.opds.by_code("A")
        assert opd is not None
        staff = await add_user(uow, "1", Role.UTAMA)
        await add_user(uow, "2", Role.PENDUKUNG, opd.id)
        # The sweep's tasks may all have closed between its read and its unit of work.
        nobody_of_an_opd = await uow.users.active_for([])
    assert [u.id for u in nobody_of_an_opd] == [staff]


async def test_the_lowest_status_of_a_message_changes_nothing(db: Database) -> None:
    async with db.transaction() as uow:
        user_id = await add_user(uow, "1")
        await uow.outbox.enqueue(key="k", user_id=user_id, payload={"kind": "x"}, now=NOW,
                                 not_before=NOW)  # fmt: skip
        [row] = await uow.outbox.listing(("pending",))
        await uow.messages.record("whatsapp", ["wamid.1"], [row["id"]])
        accepted = await uow.messages.set_status("whatsapp", "wamid.1", "accepted", NOW, None)
        sent = await uow.messages.set_status("whatsapp", "wamid.1", "sent", NOW, None)
    assert accepted is None
    assert sent is not None and (sent.outbox_ids, sent.user_id) == ([row["id"]], user_id)


async def test_names_sort_as_on_sqlite_on_a_server_with_a_language_locale(
    pg_cluster: Cluster,
) -> None:
    # A server set up with the defaults of a city's machine sorts text by its language rules
    # ("Bappeda" before "BPBD"); the register must come out in SQLite's order all the same.
    name = f"icu_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu"
            " ICU_LOCALE 'id-ID' LOCALE 'C'".encode()
        )
    db = await Database.open(pg_cluster.url(name))
    names = ["Dinas Kesehatan", "DPRD", "dinas pendidikan", "Bappeda", "BPBD", "Dinas-Sosial"]
    try:
        async with db.transaction() as uow:
            round_id = await uow.rounds.add("DIP Semester I 2027", None, NOW)
            for number, opd_name in enumerate(names):
                await uow.opds.upsert(f"K{number}", opd_name)
                opd = await uow.opds.by_code(f"K{number}")
                assert opd is not None
                case_id = await uow.cases.add(round_id, opd.id, NOW)
                await uow.tasks.open(case_id, 1, NOW, NOW + timedelta(days=5))
            for user_name in names:
                await add_user(uow, user_name, Role.UTAMA)
            opds = [o.name for o in await uow.opds.all()]
            digest = [r["opd_name"] for r in await uow.tasks.open_with_names()]
            users = [u.name for u in await uow.users.all()]
    finally:
        await db.close()
    assert opds == digest == sorted(names)  # SQLite's order: by code point
    assert users == [f"Petugas {n}" for n in sorted(names)]


async def test_a_unit_of_work_whose_statement_failed_never_commits_in_silence(
    db: Database,
) -> None:
    async with db.transaction() as uow:
        await uow.meta.set("kept", "1")
        with pytest.raises(INTEGRITY_ERRORS):
            await add_user(uow, "1", Role.PENDUKUNG)  # no OPD: refused by the table
        if db.dialect == "postgresql":
            # PostgreSQL ended the transaction at the error: a COMMIT would roll it back.
            with pytest.raises(RolledBack):
                await uow.commit()
        else:
            await uow.commit()  # SQLite undid the failed statement only
    async with db.read() as uow:
        kept = await uow.meta.get("kept")
    assert kept == ("1" if db.dialect == "sqlite" else None)
