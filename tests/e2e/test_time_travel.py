"""A whole round in simulated time: reminders before deadlines, escalations after, digests, and
never a message outside office hours, across Christmas 2026, a weekend and New Year 2027."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.fakeapi.people import FakePerson
from bot.models import User
from bot.services import cases, drafting, opd_work, publication, review
from bot.services.context import Ctx
from bot.sop import Role
from tests.e2e.conftest import Harness

WIB = ZoneInfo("Asia/Pontianak")


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


async def walk(h: Harness, until: datetime) -> None:
    """Tick through every day: before opening, at opening, mid-day, around closing, at night."""
    t = h.clock.now
    while t < until:
        day = t.date()
        for hh, mm in (
            (6, 0),
            (7, 30),
            (7, 31),
            (10, 0),
            (14, 0),
            (16, 0),
            (16, 1),
            (16, 30),
            (21, 0),
        ):
            moment = datetime(day.year, day.month, day.day, hh, mm, tzinfo=WIB)
            if h.clock.now < moment <= until:
                await h.travel(moment)
        t = datetime(day.year, day.month, day.day, tzinfo=WIB) + timedelta(days=1)
    if h.clock.now < until:
        await h.travel(until)


async def act(h: Harness, when: str) -> None:
    await walk(h, wib(when))


async def sent_notices(h: Harness) -> list[tuple[str, str, int, datetime]]:
    """(recipient, kind, level, delivered at, local) of every sent outbox row. The sweep ticks
    at fixed moments, so a notice due at 08:45 leaves at the next tick: 10:00."""
    async with h.ctx.db.transaction() as uow:
        rows = await uow.outbox.sent_rows()
        names = {u.id: u.name for u in await uow.users.all()}
    return [
        (names[r.user_id], r.kind, int(r.payload.get("level", 0)), r.sent_at.astimezone(WIB))
        for r in rows
        if r.sent_at is not None
    ]


async def notice_messages_per_moment(h: Harness) -> set[int]:
    """How many messages each person got at each moment, hand-overs and publications aside:
    the rows one message carried share a bundle id."""
    async with h.ctx.db.transaction() as uow:
        rows = await uow.outbox.sent_rows()
    messages: dict[tuple[int, datetime | None], set[object]] = {}
    for r in rows:
        if r.payload["kind"] in ("handover", "published", "deadline_moved"):
            continue
        messages.setdefault((r.user_id, r.sent_at), set()).add(r.bundle_id or r.id)
    return {len(ids) for ids in messages.values()}


def texts(p: FakePerson) -> list[str]:
    return [m.text for m in p.messages]


async def answer_nothing_held(ctx: Ctx, officer: User, case_id: int, reason: str) -> None:
    """Step 3 through the services: every entry declared not held, then sent to the PPID Utama."""
    for e in (await cases.view(ctx, case_id)).entries:
        await opd_work.declare_not_held(ctx, officer, e.id, reason)
    v = await cases.view(ctx, case_id)
    await opd_work.send_to_utama(ctx, officer, case_id, v.case.version)


async def approve_then_close(
    h: Harness, utama: User, pejabat: User, case_id: int, approve_at: str, close_at: str
) -> None:
    """Through the services: the PPID Utama approves step 4 at `approve_at`, and the Pejabat PID
    closes the case at `close_at`."""
    await act(h, approve_at)
    v = await cases.view(h.ctx, case_id)
    await review.approve_step4(h.ctx, utama, case_id, v.case.version)
    await act(h, close_at)
    v = await cases.view(h.ctx, case_id)
    await publication.close(h.ctx, pejabat, case_id, v.case.version)


async def test_a_round_with_one_late_opd_reminds_escalates_and_never_pings_after_hours(
    harness: Harness,
) -> None:
    h = harness
    h.clock.now = wib("2026-12-23T08:00")  # Wednesday before Christmas
    await h.add_opds("DINKES", "DISHUB")
    andi, rina, sari = await h.join_team(6001)
    joko = await h.join(6004, "Bapak Joko", Role.PENDUKUNG, "DISHUB")
    kadis = await h.join(6005, "Bapak Kadis", Role.ATASAN)
    admin = await h.join(6006, "Admin Kominfo", Role.ADMIN)
    ctx = h.ctx
    pejabat, utama = await h.user(andi), await h.user(rina)
    async with ctx.db.transaction() as uow:
        opds = {o.code: o.id for o in await uow.opds.all()}

    await act(h, "2026-12-23T09:00")
    views = await cases.create_round(ctx, pejabat, "DIP Semester I 2027", list(opds.values()))
    ids = {v.opd.code: v.case.id for v in views}
    assert all(v.task and v.task.due_at == wib("2026-12-28T16:00") for v in views)
    await act(h, "2026-12-23T10:00")
    for code in ("DINKES", "DISHUB"):
        await drafting.add_entry(ctx, pejabat, ids[code], f"Laporan {code}", "Ringkasan", 0)
        await drafting.add_entry(ctx, pejabat, ids[code], f"Renstra {code}", "Ringkasan", 2)
        v = await cases.view(ctx, ids[code])
        await drafting.send_to_utama(ctx, pejabat, ids[code], v.case.version)
    await act(h, "2026-12-23T11:00")
    for code in ("DINKES", "DISHUB"):
        v = await cases.view(ctx, ids[code])
        due = await review.approve_step2(ctx, utama, ids[code], v.case.version)
        # 10 working days, skipping Christmas, the weekend, New Year and Isra Mikraj (5 Jan).
        assert due == wib("2027-01-12T16:00")

    # DISHUB answers in time (on 28 Dec); DINKES is late.
    await act(h, "2026-12-28T10:00")
    await answer_nothing_held(ctx, await h.user(joko), ids["DISHUB"], "Tidak ada arsipnya")

    # Rina reviews DISHUB late on purpose: the 1-day step 4 is due Tue 29 Dec 16:00.
    await approve_then_close(
        h, utama, pejabat, ids["DISHUB"], "2026-12-30T09:00", "2026-12-30T10:00"
    )

    # DINKES stays silent past its deadline, over the weekend, until Friday 15 Jan.
    await act(h, "2027-01-15T09:00")
    await answer_nothing_held(ctx, await h.user(sari), ids["DINKES"], "Belum tersedia")
    await approve_then_close(
        h, utama, pejabat, ids["DINKES"], "2027-01-15T10:00", "2027-01-15T11:00"
    )
    await act(h, "2027-01-18T09:00")

    notices = await sent_notices(h)
    # Never outside office hours, whatever the clock did.
    assert notices and all(ctx.calendar.is_office_hours(at) for _, _, _, at in notices)
    # Nothing twice: one row per (task, kind, level, recipient) is enforced by the outbox key.

    def of(name: str, kind: str) -> list[tuple[int, str]]:
        return [
            (lvl, at.strftime("%a %d %b %H:%M"))
            for n, k, lvl, at in notices
            if n == name and k == kind
        ]

    # The DINKES officer: reminders 3 and 1 working days before and on the due day, then one
    # overdue notice per working day at opening until the documents arrived.
    assert of("Ibu Sari", "reminder") == [
        (1, "Thu 07 Jan 07:30"),
        (2, "Mon 11 Jan 07:30"),
        (3, "Tue 12 Jan 07:30"),
    ]
    assert of("Ibu Sari", "overdue") == [
        (1, "Wed 13 Jan 07:30"),
        (2, "Thu 14 Jan 07:30"),
        (3, "Fri 15 Jan 07:30"),
    ]
    # Level 1 at the deadline (Tue 16:00, delivered at the next opening) to the PPID Utama.
    assert ("Ibu Rina", "escalation", 1, wib("2027-01-13T07:30")) in notices
    # Level 2 a working day later (closing of Wed 13 Jan) to the atasan and the admins.
    assert ("Bapak Kadis", "escalation", 2, wib("2027-01-14T07:30")) in notices
    assert ("Admin Kominfo", "escalation", 2, wib("2027-01-14T07:30")) in notices
    # For step 3 the atasan is not disturbed at level 1: the PPID Utama handles the OPD first.
    assert [n for n in notices if n[:3] == ("Bapak Kadis", "escalation", 1)] == [
        ("Bapak Kadis", "escalation", 1, wib("2026-12-30T07:30"))
    ]
    # Rina's late step-4 review of DISHUB (a 1-day step handed over Mon 28 Dec 10:00, due Tue
    # 16:00): half the office time (08:45, left at the 10:00 tick) and 2 office hours before.
    assert of("Ibu Rina", "reminder") == [(1, "Tue 29 Dec 10:00"), (2, "Tue 29 Dec 14:00")]
    assert of("Ibu Rina", "overdue") == [(1, "Wed 30 Dec 07:30")]
    assert ("Bapak Kadis", "escalation", 1, wib("2026-12-30T07:30")) in notices
    assert ("Bapak Andi", "escalation", 1, wib("2026-12-30T07:30")) in notices

    # What people read: an absolute deadline, what is missing, and the button to act.
    reminder = next(m for m in sari.messages if m.text.startswith("⏰ Pengingat"))
    assert "paling lambat Selasa, 12 Januari 2027 pukul 16.00 WIB" in reminder.text
    assert "2 dari 2 entri belum lengkap" in reminder.text
    assert reminder.buttons == [["Buka"]]
    # Rina's escalation of DINKES left with her digest of that morning: one message, the
    # case marked as escalated, with its button.
    morning = next(
        m for m in rina.messages if m.text.startswith("☀️ Ringkasan tugas Rabu, 13 Januari 2027")
    )
    assert "Dinas Dinkes — Langkah 3: terlambat 1 hari kerja" in morning.text
    assert "· eskalasi" in morning.text
    assert ["1. Dinas Dinkes"] in morning.buttons
    level2 = next(
        m for m in kadis.messages if m.text.startswith("☀️ Ringkasan tugas Kamis, 14 Januari 2027")
    )
    assert "Dinas Dinkes" in level2.text and "· eskalasi" in level2.text
    # The admin has no digest: the escalation alone reads as itself.
    assert any(m.text.startswith("🚨 Eskalasi tingkat 2") for m in admin.messages)
    # One message per person and moment for everything but hand-overs.
    assert await notice_messages_per_moment(h) == {1}
    # One digest per person and day, only on days with something due or overdue.
    digests = [(n, at.date().isoformat()) for n, k, _, at in notices if k == "digest"]
    assert len(digests) == len(set(digests))
    assert ("Bapak Kadis", "2027-01-12") in digests and ("Bapak Kadis", "2027-01-04") not in digests
    digest = next(
        m for m in kadis.messages if m.text.startswith("☀️ Ringkasan tugas Rabu, 13 Januari 2027")
    )
    assert "Terlambat" in digest.text and "Dinas Dinkes" in digest.text
