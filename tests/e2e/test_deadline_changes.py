"""Deadlines that move with the calendar, and a sweep that catches up after downtime."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.fakeapi.people import FakePerson
from bot.services import cases, drafting
from bot.services.calendar_admin import remove_override, set_override
from bot.sop import Role
from tests.e2e.conftest import Harness

WIB = ZoneInfo("Asia/Pontianak")


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


async def setup_step1(h: Harness, at: str) -> tuple[int, FakePerson]:
    """At `at`, a round for DINKES in step 1 and its Pejabat PID; returns the case."""
    h.clock.now = wib(at)
    await h.add_opds("DINKES")
    andi = await h.join(7001, "Bapak Andi", Role.PEJABAT)
    (case_id,) = await h.open_round(andi, "DINKES", name="Uji")
    return case_id, andi


async def test_an_added_holiday_moves_the_deadline_and_its_reminders_and_says_so_once(
    harness: Harness,
) -> None:
    h = harness
    case_id, andi = await setup_step1(h, "2027-02-01T09:00")  # Monday; step 1 due Tue 16:00
    await h.travel(wib("2027-02-01T10:00"))
    # The city declares Tuesday a local holiday: the deadline moves to Wednesday.
    change = await set_override(h.ctx.db, h.ctx.settings, date(2027, 2, 2), "holiday",
                                "Libur daerah", by="test", now=h.ctx.now())  # fmt: skip
    assert change.moved_tasks == 1
    await h.travel(wib("2027-02-01T10:05"))
    moved = await andi.wait_for_text("Batas waktu berubah")
    assert "Batas baru paling lambat Rabu, 3 Februari 2027 pukul 16.00 WIB" in moved.text
    assert "sebelumnya Selasa, 2 Februari 2027 pukul 16.00 WIB" in moved.text
    v = await cases.view(h.ctx, case_id)
    assert v.task is not None and v.task.due_at == wib("2027-02-03T16:00")
    # Nothing is delivered on the new holiday; the reminders come on Wednesday instead.
    await h.travel(wib("2027-02-02T12:00"))
    await h.travel(wib("2027-02-03T09:00"))  # the half point: Wednesday 08:15
    await h.travel(wib("2027-02-03T15:00"))  # 2 office hours before: 14:00
    async with h.ctx.db.transaction() as uow:
        rows = await uow.outbox.sent_rows()
    reminders = [r for r in rows if r.payload["kind"] == "reminder"]
    assert [r.payload["level"] for r in reminders] == [1, 2]
    assert all(r.sent_at is not None and r.sent_at.astimezone(WIB).date() == date(2027, 2, 3)
               for r in reminders)  # fmt: skip
    assert sum(r.payload["kind"] == "deadline_moved" for r in rows) == 1
    # Removing the holiday again moves it back, and says so once more.
    await remove_override(h.ctx.db, h.ctx.settings, date(2027, 2, 2), by="test", now=h.ctx.now())
    v = await cases.view(h.ctx, case_id)
    assert v.task is not None and v.task.due_at == wib("2027-02-02T16:00")


async def test_after_a_weekend_of_downtime_missed_notices_arrive_once_marked_late(
    harness: Harness,
) -> None:
    h = harness
    case_id, andi = await setup_step1(h, "2027-02-11T09:00")  # Thursday; due Friday 16:30
    user = await h.user(andi)
    await drafting.add_entry(h.ctx, user, case_id, "Laporan", "Ringkasan", 0)
    # The server is down from Thursday 09:00 until Monday 10:00.
    await h.travel(wib("2027-02-15T10:00"))
    await h.travel(wib("2027-02-15T10:01"))
    async with h.ctx.db.transaction() as uow:
        rows = await uow.outbox.sent_rows()
    kinds = sorted(
        (r.payload["kind"], r.payload.get("level", 0)) for r in rows if r.user_id == user.id
    )
    # Of the pings missed while down, only the latest says something true now ("overdue");
    # the two reminders are recorded as skipped, never sent. Monday's digest goes out with
    # it, as one message.
    assert kinds == [("digest", 0), ("overdue", 1)]
    mine = [r for r in rows if r.user_id == user.id]
    assert len({r.bundle_id for r in mine}) == 1 and mine[0].bundle_id is not None
    async with h.ctx.db.transaction() as uow:
        skipped = await uow.outbox.listing(("skipped",))
    assert sorted(r.key.split(":")[2:4] for r in skipped) == [
        ["reminder", "1"],
        ["reminder", "2"],
    ]
    late = [m for m in andi.messages if m.text.startswith("⏳ (terkirim terlambat)")]
    assert len(late) == 1
    assert "Terlambat" in late[0].text and "terlambat 1 hari kerja" in late[0].text
    # Running the sweep again sends nothing new.
    before = len(rows)
    await h.travel(wib("2027-02-15T10:30"))
    async with h.ctx.db.transaction() as uow:
        assert len(await uow.outbox.sent_rows()) == before
