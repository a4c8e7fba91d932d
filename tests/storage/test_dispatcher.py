"""The outbox dispatcher against a real database, with a recording sender in place of Telegram:
office hours at delivery, one message per person and moment, truth at send time, and people who
cannot be reached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.bootstrap import load_calendar, make_ctx
from bot.channels.base import Reply
from bot.channels.port import TELEGRAM, Brief, Capabilities
from bot.channels.telegram.adapter import delivery_error
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.models import OutboxRow, User
from bot.services import calendar_admin, cases, delivery, people
from bot.services.context import Ctx
from bot.services.sweep import sweep
from bot.sop import Role
from bot.texts import t
from bot.workdays import Calendar
from bot.workflow import Refused
from handlers import notices
from storage.db import Database
from storage.files import FileStore

WIB = ZoneInfo("Asia/Pontianak")


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@dataclass
class Recorder:
    """Takes every part it is given, or raises the next error queued for that chat."""

    sent: list[tuple[str, Reply]] = field(default_factory=list)
    errors: dict[str, list[TelegramError]] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)  # chats that blocked the bot
    capabilities: Capabilities = TELEGRAM

    def parts(self, reply: Reply) -> int:
        return len(reply.files) + 1

    async def send_part(self, chat_id: str | int, reply: Reply, index: int) -> list[str]:
        """As the Telegram adapter: Telegram's refusals mapped to the port's `DeliveryError`."""
        chat = str(chat_id)
        if chat in self.refuse:
            raise delivery_error(Forbidden("Forbidden: bot was blocked by the user"))
        if self.errors.get(chat):
            raise delivery_error(self.errors[chat].pop(0))
        self.sent.append((chat, reply))
        return [str(len(self.sent))]

    async def send_brief(self, chat_id: str | int, brief: Brief) -> list[str]:
        raise AssertionError("Telegram never sends a brief")

    def to(self, user: User) -> list[str]:
        return [r.text for chat, r in self.sent if chat == user.chat_id]


@dataclass
class World:
    ctx: Ctx
    clock: list[datetime]
    out: Recorder
    dispatcher: Dispatcher
    users: dict[str, User]
    opds: list[int]

    def at(self, text: str) -> None:
        self.clock[0] = wib(text)

    async def tick(self, text: str) -> int:
        """The clock moves to `text`; one sweep, then one delivery pass."""
        self.at(text)
        await sweep(self.ctx)
        return await self.dispatcher.run_once()

    async def rows(self, *states: str) -> list[OutboxRow]:
        async with self.ctx.db.read() as uow:
            return await uow.outbox.listing(states or ("pending", "sent", "failed", "skipped"))

    async def user(self, key: str) -> User:
        async with self.ctx.db.read() as uow:
            found = await uow.users.get(self.users[key].id)
        assert found is not None
        return found


OPDS = 12


@pytest.fixture
async def w(tmp_path: Path, db_target: Path | str) -> AsyncIterator[World]:
    clock = [wib("2027-03-01T09:00")]
    db = await Database.open(db_target)
    ctx = make_ctx(settings=Settings(data_dir=tmp_path / "data"), db=db, calendar=Calendar(),
              files=FileStore(tmp_path / "files"), clock=lambda: clock[0])  # fmt: skip
    found: dict[str, User] = {}
    async with db.transaction() as uow:
        for i in range(OPDS):
            await uow.opds.upsert(f"OPD{i:02d}", f"Dinas Nomor {i:02d}")
        opds = [o.id for o in await uow.opds.all()]
        roster = [("pejabat", Role.PEJABAT, None), ("utama", Role.UTAMA, None),
                  ("atasan", Role.ATASAN, None), ("admin", Role.ADMIN, None),
                  ("admin2", Role.ADMIN, None), ("sari", Role.PENDUKUNG, opds[0])]  # fmt: skip
        for ext, (key, role, opd_id) in enumerate(roster, start=500):
            uid = await uow.users.add(name=f"Ibu {key}", role=role, opd_id=opd_id,
                                      channel="telegram", external_id=str(ext), chat_id=str(ext),
                                      now=clock[0])  # fmt: skip
            user = await uow.users.get(uid)
            assert user is not None
            found[key] = user
        await uow.commit()
    out = Recorder()
    yield World(ctx, clock, out, Dispatcher(ctx, {"telegram": out}, notices), found, opds)
    await db.close()


async def late_round(w: World, opds: int = OPDS) -> list[int]:
    """A round opened Mon 1 Mar 09:00 for `opds` OPDs: step 1, the Pejabat's, due Tue 16:00.
    Nothing is delivered yet."""
    views = await cases.create_round(w.ctx, w.users["pejabat"], "Uji", w.opds[:opds])
    return [v.case.id for v in views]


async def test_a_notice_queued_by_day_never_leaves_at_night_after_a_restart(w: World) -> None:
    await late_round(w, 2)
    # The bot was down from Monday 09:00 and starts again at 19:00 the next day.
    assert await w.tick("2027-03-02T19:00") == 0
    assert w.out.sent == []
    assert await w.tick("2027-03-03T07:15") == 0  # before the opening
    assert w.out.sent == []
    assert await w.tick("2027-03-03T07:30") >= 1
    assert all(chat for chat, _ in w.out.sent)


async def test_a_retry_after_an_error_at_15_59_waits_for_the_next_opening(w: World) -> None:
    await late_round(w, 1)
    pejabat = w.users["pejabat"]
    await w.tick("2027-03-02T07:30")  # the half-point reminder
    w.out.sent.clear()
    # Telegram asks to wait an hour: 16:59 is after the closing.
    w.out.errors[pejabat.chat_id or ""] = [RetryAfter(3600)]
    # 2 office hours before Tuesday's 16:00 deadline is 14:00; the first attempt is at 15:59.
    await w.tick("2027-03-02T15:59")
    assert w.out.to(pejabat) == []
    [row] = [r for r in await w.rows("pending") if r.user_id == pejabat.id]
    assert row.attempts == 1 and (row.last_error or "").startswith("429")
    assert row.next_try_at == wib("2027-03-03T07:30")
    for moment in ("2027-03-02T16:00", "2027-03-02T17:00", "2027-03-02T23:59", "2027-03-03T07:29"):
        await w.tick(moment)
        assert w.out.to(pejabat) == [], moment
    await w.tick("2027-03-03T07:30")
    [text] = w.out.to(pejabat)
    # By the next opening the task is overdue: the held reminder is superseded by the overdue
    # notice of the morning, which leaves with the digest and says how late it is, never
    # "time left".
    assert "terlambat 1 hari kerja" in text and "sisa" not in text
    [reminder] = [r for r in await w.rows("skipped") if r.id == row.id]
    assert reminder.last_error == "superseded by a later notice"


async def test_everything_due_for_one_person_at_one_moment_is_one_message(w: World) -> None:
    await late_round(w)
    pejabat = w.users["pejabat"]
    # Twelve OPDs, each with its reminders: one message per person and moment.
    for moment in ("2027-03-01T13:00", "2027-03-02T07:30", "2027-03-02T14:00"):
        await w.tick(moment)
    before = len(w.out.to(pejabat))
    assert 1 <= before <= 3
    await w.tick("2027-03-03T07:30")
    # The morning after the deadline: twelve overdue notices and the digest, as one message.
    morning = w.out.to(pejabat)[before:]
    assert len(morning) == 1
    assert morning[0].startswith("☀️ Ringkasan tugas Rabu, 3 Maret 2027")
    assert "Terlambat" in morning[0] and "Dinas Nomor 00" in morning[0]
    sent = [r for r in await w.rows("sent") if r.user_id == pejabat.id]
    overdue = [r for r in sent if r.kind == "overdue"]
    assert len(overdue) == OPDS
    assert len({r.bundle_id for r in sent if r.sent_at == overdue[0].sent_at}) == 1
    # The escalations of the same morning reach the atasan and the PPID Utama with their
    # digest, as one message each.
    for key in ("atasan", "utama"):
        [escalated] = [x for x in w.out.to(w.users[key]) if "Rabu, 3 Maret" in x]
        assert "· eskalasi" in escalated, key


async def test_a_bundle_too_long_for_one_message_is_paged(w: World) -> None:
    await late_round(w)
    await w.tick("2027-03-03T07:30")
    pejabat = w.users["pejabat"]
    [(_, reply)] = [(c, r) for c, r in w.out.sent if c == pejabat.chat_id]
    assert len(reply.text) < 4096
    assert "Halaman 1 dari 2 (12 berkas)" in reply.text
    labels = [b.label for row in reply.buttons for b in row]
    assert labels[:10] == [f"{n}. Dinas Nomor {n - 1:02d}" for n in range(1, 11)]
    assert t("btn-next") in labels
    # Pressing "next" shows the rest, to its own recipient only.
    from handlers.codec import decode

    data = next(b.data for row in reply.buttons for b in row if b.label == t("btn-next"))
    bundle, page = decode(data).args
    async with w.ctx.db.read() as uow:
        rows = await uow.outbox.of_bundle(bundle, pejabat.id)
        assert await uow.outbox.of_bundle(bundle, w.users["utama"].id) == []
    from handlers.notices import render_bundle

    second = await render_bundle(w.ctx, pejabat.id, rows, bundle_id=bundle, page=page)
    assert second is not None and "11. Dinas Nomor 10" in second.text
    assert "Halaman 2 dari 2" in second.text


async def test_notices_queued_by_two_sweeps_still_go_out_as_one_per_task(w: World) -> None:
    await late_round(w, 1)
    # Down from Monday 09:00. A restart before Wednesday's opening queues the missed reminders
    # and the escalation; the next sweep, at the opening, queues the overdue notice.
    await w.tick("2027-03-03T07:00")
    await w.tick("2027-03-03T07:30")
    pejabat = w.users["pejabat"]
    [text] = w.out.to(pejabat)
    skipped = [r for r in await w.rows("skipped") if r.user_id == pejabat.id]
    assert sorted(r.key.split(":")[2] for r in skipped) == ["reminder", "reminder"]
    assert text.count("Dinas Nomor 00") == 1


async def test_a_person_who_blocked_the_bot_is_reported_once_and_their_notices_are_held(
    w: World,
) -> None:
    await late_round(w, 3)
    pejabat = w.users["pejabat"]
    w.out.refuse.add(pejabat.chat_id or "")
    for moment in ("2027-03-01T13:00", "2027-03-02T07:30", "2027-03-02T14:00",
                   "2027-03-03T07:30", "2027-03-04T07:30"):  # fmt: skip
        await w.tick(moment)
    assert (await w.user("pejabat")).unreachable_since is not None
    # Tried once; everything after it is held, not tried again and again.
    assert w.out.to(pejabat) == []
    held = [r for r in await w.rows("pending") if r.user_id == pejabat.id]
    assert held and all(r.attempts == 0 for r in held)
    # The admins are told once each, in Indonesian, with what they can do.
    for key in ("admin", "admin2"):
        [alert] = [x for x in w.out.to(w.users[key]) if "tidak dapat dikirim" in x]
        assert "Ibu pejabat" in alert and "memblokir bot" in alert
        assert "Forbidden" not in alert and "python -m" not in alert
    # Escalations about the Pejabat's late tasks still reach the others.
    assert any("Dinas Nomor 00" in x for x in w.out.to(w.users["atasan"]))
    # The Pejabat unblocks the bot and writes to it: one summary of what was held.
    w.out.refuse.clear()
    assert await people.reached(w.ctx.db, await w.user("pejabat"), w.ctx.now())
    await w.tick("2027-03-04T09:00")
    [summary] = w.out.to(pejabat)
    assert "Dinas Nomor 00" in summary and "Dinas Nomor 02" in summary
    assert (await w.user("pejabat")).unreachable_since is None


async def test_a_deactivated_person_gets_nothing_and_nothing_stays_pending(w: World) -> None:
    await late_round(w, 2)
    await people.deactivate(w.ctx.db, w.users["pejabat"].id, w.ctx.now(), by="test")
    await w.tick("2027-03-03T07:30")
    assert w.out.to(w.users["pejabat"]) == []
    assert [r for r in await w.rows("pending") if r.user_id == w.users["pejabat"].id] == []


async def test_a_holiday_added_for_today_holds_pending_notices_until_the_next_working_day(
    w: World,
) -> None:
    w.at("2027-02-26T09:00")  # a Friday: step 1 is due Monday 16:00
    await late_round(w, 1)
    await w.tick("2027-03-01T15:00")
    await w.tick("2027-03-02T07:00")  # escalation 1 (Monday 16:00) waits for Tuesday's opening
    w.out.sent.clear()
    assert await w.rows("pending")
    # An admin declares Tuesday a local holiday before the opening (the deadline moves too).
    await calendar_admin.set_override(w.ctx.db, w.ctx.settings, wib("2027-03-02T00:00").date(),
                                      "holiday", "Banjir", by="test", now=w.ctx.now())  # fmt: skip
    w.ctx.calendars.replace(await load_calendar(w.ctx.settings, w.ctx.db))
    for moment in ("2027-03-02T07:30", "2027-03-02T14:00"):
        await w.tick(moment)
    assert w.out.sent == []
    await w.tick("2027-03-03T07:30")
    assert w.out.to(w.users["pejabat"])


async def test_a_jump_of_several_days_sends_one_late_message_per_person(w: World) -> None:
    await late_round(w, 3)
    # Down over a long weekend and Nyepi/Idul Fitri (8-15 March 2027).
    await w.tick("2027-03-16T07:30")
    for key in ("pejabat", "atasan", "utama"):
        messages = w.out.to(w.users[key])
        assert len(messages) == 1, (key, messages)
        assert "terlambat 4 hari kerja" in messages[0] and "sisa" not in messages[0], key
    # Today's overdue notice and digest are on time; the escalations of days ago are marked
    # late, each on its own line.
    assert t("notice-tag-late") not in w.out.to(w.users["pejabat"])[0]
    atasan = w.out.to(w.users["atasan"])[0]
    assert not atasan.startswith(t("notice-late"))
    assert atasan.count(t("notice-tag-late")) == 3
    async with w.ctx.db.read() as uow:
        assert await uow.outbox.count("pending") == 0
    # Nothing is sent twice on the next pass.
    before = len(w.out.sent)
    await w.tick("2027-03-16T07:31")
    assert len(w.out.sent) == before


async def test_each_admin_is_told_once_even_when_every_message_is_refused(w: World) -> None:
    await late_round(w, 1)
    pejabat = w.users["pejabat"]
    w.out.refuse.add(pejabat.chat_id or "")
    await w.tick("2027-03-02T07:30")
    # An admin asks to try again; still blocked: told again, once.
    await people.reach_again(w.ctx.db, w.users["admin"], pejabat.id, w.ctx.now())
    await w.tick("2027-03-02T10:00")
    alerts = [x for x in w.out.to(w.users["admin"]) if "tidak dapat dikirim" in x]
    assert len(alerts) == 2
    assert w.out.to(pejabat) == []
    w.out.refuse.clear()
    await people.reach_again(w.ctx.db, w.users["admin"], pejabat.id, w.ctx.now())
    await w.tick("2027-03-02T10:05")
    assert w.out.to(pejabat)
    assert timedelta(0) <= w.ctx.now() - wib("2027-03-02T10:05")


async def test_a_reminder_that_leaves_after_the_deadline_says_it_is_overdue(w: World) -> None:
    from handlers.notices import render

    [case_id] = await late_round(w, 1)
    async with w.ctx.db.read() as uow:
        task = await uow.tasks.current(case_id)
    assert task is not None
    payload = {"kind": "reminder", "level": 2, "case_id": case_id, "task_id": task.id,
               "step": 1, "due": task.due_at.isoformat()}  # fmt: skip
    w.at("2027-03-02T19:00")  # three hours after the 16:00 deadline
    reply = await render(w.ctx, w.users["pejabat"].id, payload, late=True)
    assert reply is not None
    assert reply.text.startswith(t("notice-late") + "⚠️ Terlambat")
    assert "lewat batas pukul 16.00" in reply.text and "sisa" not in reply.text


async def test_a_delivery_pass_during_a_long_sweep_leaves_the_morning_for_its_end(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The running bot's dispatcher job comes every 5 s, also while a long sweep is still queuing
    # the morning's notices in many units of work: nobody gets their bundle in parts.
    import asyncio
    import contextlib

    from bot.scheduler import Scheduler
    from bot.services import sweep as sweep_service

    await late_round(w)
    scheduler = Scheduler(w.ctx, w.dispatcher)
    for moment in ("2027-03-01T13:00", "2027-03-02T07:30", "2027-03-02T14:00", "2027-03-02T16:00"):
        w.at(moment)
        await scheduler.tick()
    pejabat = w.users["pejabat"]
    before = len(w.out.sent)
    # Wednesday's opening: one task per unit of work, and a pause after the first unit.
    monkeypatch.setattr(sweep_service, "CHUNK", 1)
    paused, go_on = asyncio.Event(), asyncio.Event()
    transaction = w.ctx.db.transaction

    @contextlib.asynccontextmanager
    async def first_unit_then_wait() -> AsyncIterator[Any]:
        async with transaction() as uow:
            yield uow
        if not paused.is_set():
            paused.set()
            await go_on.wait()

    monkeypatch.setattr(w.ctx.db, "transaction", first_unit_then_wait)
    w.at("2027-03-03T07:30")
    sweeping = asyncio.create_task(scheduler.sweep())
    await paused.wait()
    await scheduler.dispatch()
    assert w.out.sent[before:] == []
    go_on.set()
    assert await sweeping > 0
    await scheduler.dispatch()
    [morning] = w.out.to(pejabat)[-1:]
    assert len([c for c, _ in w.out.sent[before:] if c == pejabat.chat_id]) == 1
    assert morning.startswith("☀️ Ringkasan tugas Rabu, 3 Maret 2027")
    assert all(f"Dinas Nomor {i:02d}" in morning for i in range(10))


async def test_a_notice_whose_files_went_before_a_failure_still_sends_its_text(w: World) -> None:
    [case_id] = await late_round(w, 1)
    async with w.ctx.db.transaction() as uow:
        task = await uow.tasks.current(case_id)
        assert task is not None
        await uow.outbox.enqueue(
            key="test:handover", user_id=w.users["pejabat"].id, now=w.ctx.now(),
            not_before=w.ctx.now(),
            payload={"kind": "handover", "case_id": case_id, "step": 1, "task_id": task.id,
                     "due": task.due_at.isoformat(), "note": None},
        )  # fmt: skip
        [row] = [r for r in await uow.outbox.listing(("pending",)) if r.key == "test:handover"]
        # Two files went in an earlier attempt; the notice has none any more.
        await uow.outbox.mark_part(row.id, 2)
        await uow.commit()
    await w.tick("2027-03-01T09:30")
    assert any("Dinas Nomor 00" in x for x in w.out.to(w.users["pejabat"]))


async def test_a_message_telegram_refuses_for_another_reason_is_told_to_the_admins_once_a_day(
    w: World,
) -> None:
    await late_round(w, 2)
    pejabat = w.users["pejabat"]
    refusal = BadRequest("Bad Request: can't parse entities")
    w.out.errors[pejabat.chat_id or ""] = [refusal, BadRequest("Bad Request: message is too long")]
    await w.tick("2027-03-02T07:30")
    await w.tick("2027-03-02T14:00")
    assert (await w.user("pejabat")).unreachable_since is None  # not a reason to hold them
    for key in ("admin", "admin2"):
        told = [x for x in w.out.to(w.users[key]) if "kesalahan teknis" in x]
        assert len(told) == 1 and "Ibu pejabat" in told[0], key


async def test_an_admins_old_button_for_a_person_who_came_back_changes_nothing(w: World) -> None:
    pejabat = w.users["pejabat"]
    with pytest.raises(Refused) as refused:
        await people.reach_again(w.ctx.db, w.users["admin"], pejabat.id, w.ctx.now())
    assert refused.value.key == "refused-reach-settled"
    with pytest.raises(Refused):
        await people.deactivate_unreachable(w.ctx.db, w.users["admin"], pejabat.id, w.ctx.now())
    assert (await w.user("pejabat")).active


async def test_a_notice_goes_through_its_recipients_channel_and_waits_where_none_is_set_up(
    w: World,
) -> None:
    async with w.ctx.db.transaction() as uow:
        uid = await uow.users.add(name="Ibu Wa", role=Role.PEJABAT, opd_id=None,
                                  channel="whatsapp", external_id="6281200000001",
                                  chat_id="6281200000001", now=w.ctx.now())  # fmt: skip
        await uow.commit()
    await late_round(w, 1)
    await w.tick("2027-03-03T07:30")
    assert w.out.to(w.users["pejabat"])  # Telegram: delivered
    held = [r for r in await w.rows("pending") if r.user_id == uid]
    assert held and all(r.last_error == "channel whatsapp not configured" for r in held)
    assert not [r for r in await w.rows("failed") if r.user_id == uid]


async def test_a_holiday_added_from_the_command_line_holds_the_next_delivery_pass(
    w: World,
) -> None:
    from bot.scheduler import Scheduler

    scheduler = Scheduler(w.ctx, w.dispatcher)
    await late_round(w, 1)
    w.at("2027-03-02T10:00")
    # Another process (the CLI) declares today a holiday; no sweep has run since.
    await calendar_admin.set_override(w.ctx.db, w.ctx.settings, wib("2027-03-02T00:00").date(),
                                      "holiday", "Banjir", by="cli", now=w.ctx.now())  # fmt: skip
    await scheduler.dispatch()
    assert not w.ctx.calendar.is_workday(wib("2027-03-02T00:00").date())
    assert w.out.sent == []


async def test_statuses_only_move_forward_whatever_order_they_arrive_in(w: World) -> None:
    async with w.ctx.db.transaction() as uow:
        await uow.outbox.enqueue(key="k:1", user_id=w.users["sari"].id,
                                 payload={"kind": "bot_error", "at": "-", "error": "x",
                                          "where": "-"},
                                 now=w.clock[0], not_before=w.clock[0])  # fmt: skip
        (row,) = await uow.outbox.listing(("pending",))
        await uow.messages.record("whatsapp", ["wamid.1"], [row.id])
        await uow.commit()
    at = w.clock[0]
    assert await delivery.status(w.ctx, "whatsapp", "wamid.1", "read", at)
    assert not await delivery.status(w.ctx, "whatsapp", "wamid.1", "delivered", at)  # late
    assert not await delivery.status(w.ctx, "whatsapp", "wamid.1", "sent", at)  # later still
    assert not await delivery.status(w.ctx, "whatsapp", "wamid.1", "read", at)  # twice
    assert not await delivery.status(w.ctx, "whatsapp", "wamid.other", "read", at)  # not a notice
    async with w.ctx.db.read() as uow:
        assert await uow.messages.status_of("whatsapp", "wamid.1") == "read"


async def test_two_instances_dispatching_at_once_send_each_notice_once(
    w: World, tmp_path: Path, db_target: Path | str
) -> None:
    if not isinstance(db_target, str):
        pytest.skip("several instances share a PostgreSQL database only")
    await late_round(w)
    w.at("2027-03-02T07:30")  # the half-point reminders of the Pejabat's twelve tasks
    await sweep(w.ctx)
    pending = await w.rows("pending")
    queued, people = len(pending), len({r.user_id for r in pending})
    other_db = await Database.open(db_target)  # a second instance: its own pool, no shared lock
    try:
        other_ctx = make_ctx(settings=w.ctx.settings, db=other_db, calendar=Calendar(),
                             files=FileStore(tmp_path / "files"), clock=lambda: w.clock[0])  # fmt: skip
        other_out = Recorder()
        other = Dispatcher(other_ctx, {"telegram": other_out}, notices)
        import asyncio

        await asyncio.gather(w.dispatcher.run_once(), other.run_once())
    finally:
        await other_db.close()
    assert queued >= people > 0
    # Every notice went once, in one message per person (each person's bundle by one instance).
    assert len(w.out.sent) + len(other_out.sent) == people
    assert len(await w.rows("sent")) == queued
