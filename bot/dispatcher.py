"""The outbox dispatcher: delivers pending notices within Telegram's limits and office hours,
retries what may succeed later, and holds the notices of people who cannot be reached.

Nothing leaves outside office hours (`reminders.may_deliver`), whatever queued it and whenever:
a pass outside them sends nothing, a retry is put off to the next opening. What is due for one
person at one moment (reminders, escalations, overdue notices, the digest) leaves as one message,
a bundle; each of its rows is still recorded as delivered, once. A hand-over stays its own message.

A notice is sent in parts (each file, then the text with its buttons), and each delivered part is
recorded at once, so a retry never repeats a part Telegram accepted. Telegram has no idempotency
key, so two cases remain where a part can arrive twice: the process dies between Telegram's answer
and that record (milliseconds), or the request times out *after* Telegram processed it (the answer
was lost). Both are retried, because a lost hand-over costs more than a repeated one. Everything
else (429 with retry_after, 5xx, refused connections, restarts) is retried without doubles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.channels.base import Reply
from bot.channels.port import Brief, DeliveryError, Sender
from bot.models import DueNotice, OutboxRow
from bot.reminders import (
    BUNDLED_KINDS,
    TASK_KINDS,
    Pending,
    intended_at,
    is_late,
    may_deliver,
    next_delivery,
    supersede,
)
from bot.services import delivery
from bot.services.absences import cover_at
from bot.services.admin_notices import delivery_failed, person_unreachable
from bot.services.context import Ctx
from storage.journal import EarlyFailure

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=30)
# Several instances (PostgreSQL): a row stamped in flight by another instance that still runs
# is left to it for this long (longer than any part takes to send); then it is sent again. The
# stamp of an instance that stopped (`Database.instance`) is taken over at once. SQLite has one
# process: a stamp found there is a crash's, sent again at once.
IN_FLIGHT_LEASE = timedelta(minutes=10)
# Work notices: to a person who is away they go to their stand-in (`_forward_absent`).
FORWARDED = (*TASK_KINDS, "handover", "deadline_moved", "digest")


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(attempts, 11)), MAX_BACKOFF)


@dataclass(frozen=True)
class _Outcome:
    """How one attempt ended: `error` None is delivered; `retry_in` None with an error is for
    good; `reach` names why the person cannot be reached (a key of the catalogue)."""

    error: str | None = None
    retry_in: timedelta | None = None
    reach: str | None = None
    brief: bool = False  # the window closed: send it again at once, in short
    messages: tuple[str, ...] = ()  # the platform's ids of the messages that carried it
    elsewhere: bool = False  # another instance is sending it: nothing to record here


MAX_PREPARE_ATTEMPTS = 5


def _unprepared(row: OutboxRow) -> _Outcome:
    """A notice that could not be rendered (a bug or bad data): tried again a few times with a
    growing pause, then given up, so that it never holds a person's other notices for ever."""
    if row.attempts + 1 >= MAX_PREPARE_ATTEMPTS:
        return _Outcome("could not be prepared")
    return _Outcome("could not be prepared", backoff(row.attempts))


class NoticeViews(Protocol):
    """What a queued notice says when it leaves (the handlers' `notices` module): rendered at
    delivery from the state of that moment, injected so that the core imports no handler."""

    async def render(
        self, ctx: Ctx, user_id: int, payload: dict[str, Any], late: bool = False
    ) -> Reply | None: ...

    async def render_bundle(
        self, ctx: Ctx, user_id: int, rows: Sequence[OutboxRow], *, late: bool = False,
        bundle_id: int | None = None, page: int | None = None,
    ) -> Reply | None: ...  # fmt: skip

    async def brief(
        self, ctx: Ctx, user_id: int, rows: Sequence[OutboxRow], *, bundle_id: int | None = None
    ) -> Brief | None: ...


class Dispatcher:
    """Delivers due outbox rows; one pass at a time, however many jobs ask for one."""

    def __init__(self, ctx: Ctx, senders: Mapping[str, Sender], views: NoticeViews) -> None:
        """`senders`: one per configured channel, by name; a notice goes through its
        recipient's channel."""
        self.ctx = ctx
        self.senders = senders
        self.views = views
        self._lock = asyncio.Lock()
        self._queued = False  # this pass queued notices of its own (to the admins)
        self._closed_said = False  # "outside office hours" is logged once per closed period
        self._elsewhere = 0  # rows of this batch that another instance was sending

    async def _claim(self, ids: Sequence[int], parts_sent: int | None = None) -> bool:
        """Take the rows for their next part (`OutboxRepository.claim_many`); False when
        another instance is sending them."""
        ctx = self.ctx
        now = ctx.now()
        stale = now - IN_FLIGHT_LEASE if ctx.db.dialect == "postgresql" else None
        owner = await ctx.db.instance()
        async with ctx.db.transaction() as uow:
            if not await uow.outbox.claim_many(ids, now, stale, parts_sent, owner):
                self._elsewhere += len(ids)
                return False
            await uow.commit()
        return True

    async def run_once(self, limit: int = 100, swept: datetime | None = None) -> int:
        """Deliver what is due now; returns how many messages were sent.

        `swept`: the moment of the last sweep that finished. Notices of the bundled kinds whose
        time came after it wait for the next one: a sweep queues a moment's notices in many
        units of work, and a pass between two of them would send a person part of their
        bundle, then the rest as a second message. None: nothing waits (the caller swept)."""
        ctx = self.ctx
        # Several instances (PostgreSQL): one sends at a time, so the bot's sends stay within
        # Telegram's and Meta's limits, which count per bot and per number, not per instance
        # (each instance paces only its own). The others skip; a nudge wakes the sender too.
        async with self._lock, ctx.db.exclusive("dispatch") as mine:
            if not mine:
                return 0
            sent = 0
            while True:  # a full batch means more may be waiting: keep going, do not wait a tick
                self._queued = False
                if not may_deliver(ctx.calendar, ctx.now()):
                    self._say_closed()
                    return sent
                self._closed_said = False
                async with ctx.db.read() as uow:
                    rows = await uow.outbox.due(ctx.now(), limit, BUNDLED_KINDS, swept)
                rows = await self._forward_absent(rows)
                done: set[int] = set()
                self._elsewhere = 0
                for row in rows:
                    if row.id in done:
                        continue
                    # Office hours may close in the middle of a long batch.
                    if not may_deliver(ctx.calendar, ctx.now()):
                        return sent
                    if bundled(row):
                        bundle = await self._bundle_of(row, swept)
                        done |= {r.id for r in bundle}
                        sent += await self._deliver_bundle(bundle)
                    else:
                        sent += await self._deliver_single(row)
                # A full batch that other instances are all sending: they carry on, not us.
                if (len(rows) < limit or self._elsewhere == len(rows)) and not self._queued:
                    return sent

    async def _forward_absent(self, rows: list[DueNotice]) -> list[DueNotice]:
        """Work notices to a person who is away now (queued before the absence began) go to
        whoever acts for them today (`bot.absences`), once, or nowhere; the rest is returned.
        The copy takes the stand-in's own key for that notice, so one who has it already (a
        holder of the same role) does not get it twice."""
        ctx = self.ctx
        now = ctx.now()
        if not rows:
            return rows
        async with ctx.db.read() as uow:
            cover = await cover_at(uow, now)
        away = [r for r in rows if r.kind in FORWARDED and cover.is_absent(r.user_id)]
        if not away:
            return rows
        merged: dict[str, set[int]] = {}
        async with ctx.db.transaction() as uow:
            for row in away:
                await uow.outbox.mark_skipped(row.id, "recipient away")
                target = cover.acting(row.user_id)
                key, uid = row.key, str(row.user_id)
                if target is None or not key.endswith(":" + uid):
                    continue
                payload = row.payload | {"for": [row.user_id]}
                own = key[: -len(uid)] + str(target)
                if not await uow.outbox.enqueue(
                    key=own, user_id=target, payload=payload, now=now,
                    not_before=row.not_before,
                ):  # fmt: skip
                    await uow.outbox.add_on_behalf(own, row.user_id)
                    merged.setdefault(own, set()).add(row.user_id)
                self._queued = True
            await uow.commit()
        skipped = {r.id for r in away}
        return [_for(r, merged.get(r.key)) for r in rows if r.id not in skipped]

    def _say_closed(self) -> None:
        if not self._closed_said:
            self._closed_said = True
            opening = next_delivery(self.ctx.calendar, self.ctx.now())
            log.info("outside office hours: notices wait for the opening at %s", opening)

    async def _bundle_of(self, row: DueNotice, swept: datetime | None) -> list[DueNotice]:
        """Everything of the bundled kinds due now (and swept) for that row's person."""
        async with self.ctx.db.read() as uow:
            rows = await uow.outbox.due_of_user(row.user_id, self.ctx.now(), BUNDLED_KINDS, swept)
        return rows or [row]

    async def _deliver_single(self, row: DueNotice) -> int:
        ctx = self.ctx
        late = is_late(intended_at(row.payload, row.not_before), ctx.now(), ctx.policy)
        if self._in_short(row):
            return await self._deliver_brief(row, [row])
        try:
            reply = await self.views.render(ctx, row.user_id, row.payload, late=late)
            if reply is None:
                return await self._skip([row.id], "no longer applies")
            outcome = await self._send(row, [row.id], reply, row.parts_sent)
        except Exception:
            log.exception("notice %s could not be prepared", row.id)
            outcome = _unprepared(row)
        return await self._record(row, [row.id], outcome)

    async def _deliver_bundle(self, rows: list[DueNotice]) -> int:
        """One message for one person's due notices; superseded ones are recorded skipped."""
        ctx = self.ctx
        now = ctx.now()
        tasks = [r for r in rows if r.kind in TASK_KINDS]
        kept, superseded = supersede(_pending(r) for r in tasks)
        if superseded:
            await self._skip([p.row_id for p in superseded], "superseded by a later notice")
        keep = {p.row_id for p in kept}
        rows = [r for r in rows if r.id in keep or r.kind not in TASK_KINDS]
        ids = [r.id for r in rows]
        # The heading says "late" when all of it is; otherwise each late case says so.
        late = all(is_late(intended_at(r.payload, r.not_before), now, ctx.policy) for r in rows)
        first = rows[0]
        if self._in_short(first):
            return await self._deliver_brief(first, rows, bundle=True)
        try:
            reply = await self.views.render_bundle(
                ctx, first.user_id, rows, late=late, bundle_id=ids[0]
            )
            if reply is None:
                return await self._skip(ids, "no longer applies")
            outcome = await self._send(first, ids, reply, 0, bundle=True)  # one part
        except Exception:
            log.exception("notices %s could not be prepared", ids)
            outcome = _unprepared(first)
        return await self._record(first, ids, outcome, bundle=True)

    def _in_short(self, row: DueNotice) -> bool:
        """Whether a notice must go as its brief: its person's chat app lets the bot write
        freely only for a while after they last wrote (WhatsApp: 24 hours), and that time is
        over, or the platform refused the full notice already."""
        sender = self.senders.get(row.channel)
        if sender is None:
            return False
        caps = sender.capabilities
        if caps.reply_window is None:
            return False  # a brief left from another channel (the person moved) means nothing here
        return row.brief or not caps.may_write(row.last_seen_at, self.ctx.now())

    async def _deliver_brief(
        self, row: DueNotice, rows: list[DueNotice], bundle: bool = False
    ) -> int:
        """The notice in short (one pre-approved message and a button that opens it in full);
        the rows count as delivered with it."""
        ctx = self.ctx
        ids = [r.id for r in rows]
        sender = self.senders[row.channel]
        try:
            brief = await self.views.brief(ctx, row.user_id, rows,
                                           bundle_id=ids[0] if bundle else None)  # fmt: skip
            if brief is None:
                return await self._skip(ids, "no longer applies")
        except Exception:
            log.exception("notice %s could not be prepared in short", ids)
            return await self._record(row, ids, _unprepared(row), bundle=bundle)
        try:
            if not await self._claim(ids):
                return 0
            sent = await sender.send_brief(row.chat_id, brief)
        except DeliveryError as exc:
            return await self._record(row, ids, self._outcome(exc, row), bundle=bundle)
        return await self._record(row, ids, _Outcome(), bundle=True, messages=sent)

    async def _skip(self, ids: Sequence[int], reason: str) -> int:
        async with self.ctx.db.transaction() as uow:
            await uow.outbox.mark_skipped_many(ids, reason)
            await uow.commit()
        return 0

    async def _send(
        self, row: DueNotice, ids: list[int], reply: Reply, parts_sent: int,
        bundle: bool = False,
    ) -> _Outcome:  # fmt: skip
        """Send the parts not yet delivered (the text is always the last part, even when the
        files changed since an earlier attempt); how it went."""
        ctx = self.ctx
        sender = self.senders.get(row.channel)
        if sender is None:  # that channel is not configured (now): try again later
            return _Outcome(f"channel {row.channel} not configured", backoff(row.attempts))
        messages: list[str] = []
        try:
            last = sender.parts(reply) - 1
            expected = parts_sent  # a bundle is one part: its rows' counts are not looked at
            for index in range(min(parts_sent, last), last + 1):
                if not await self._claim(ids, None if bundle else expected):
                    return _Outcome(elsewhere=True)
                sent = await sender.send_part(row.chat_id, reply, index)
                messages += sent
                if index < last:
                    expected = max(expected, index + 1)
                    async with ctx.db.transaction() as uow:
                        await uow.outbox.mark_part(row.id, index + 1)
                        await uow.messages.serialise(row.channel, sent)
                        await uow.messages.record(row.channel, sent, ids)
                        early = await uow.messages.take_early_failures(row.channel, sent)
                        await uow.commit()
                    await delivery.apply_early(ctx, row.channel, early)
                    self._queued = self._queued or bool(early)
        except DeliveryError as exc:
            return self._outcome(exc, row)
        return _Outcome(messages=tuple(messages))

    @staticmethod
    def _outcome(exc: DeliveryError, row: OutboxRow) -> _Outcome:
        """What a refusal means for the notice's rows."""
        if exc.kind == "permanent":
            return _Outcome(exc.detail, reach=exc.reach)
        if exc.kind == "retry_after" and exc.retry_in is not None:
            return _Outcome(exc.detail, exc.retry_in)
        if exc.kind == "window_closed":
            return _Outcome(exc.detail, timedelta(0), brief=True)
        # Transient: try again later (growing pauses).
        return _Outcome(exc.detail, backoff(row.attempts))

    async def _record(
        self, row: DueNotice, ids: list[int], outcome: _Outcome, bundle: bool = False,
        messages: Sequence[str] = (),
    ) -> int:  # fmt: skip
        ctx = self.ctx
        if outcome.elsewhere:
            return 0
        early: list[tuple[str, datetime, EarlyFailure]] = []
        async with ctx.db.transaction() as uow:
            now = ctx.now()
            if outcome.error is None:
                await uow.outbox.mark_sent_many(ids, now, bundle_id=ids[0] if bundle else None)
                carried = [*outcome.messages, *messages]
                await uow.messages.serialise(row.channel, carried)
                await uow.messages.record(row.channel, carried, ids)
                early = await uow.messages.take_early_failures(row.channel, carried)
            elif outcome.brief:
                await uow.outbox.mark_brief_many(ids, outcome.error)
                self._queued = True  # it goes again in this pass
            elif outcome.retry_in is not None:
                # A retry never falls outside office hours: it waits for the next opening.
                retry = next_delivery(ctx.calendar, now + outcome.retry_in)
                await uow.outbox.mark_retry_many(ids, retry, outcome.error)
            else:
                log.warning("notice %s to user %s failed: %s", ids, row.user_id, outcome.error)
                await uow.outbox.mark_failed_many(ids, outcome.error)
                if outcome.reach is not None:
                    told = await person_unreachable(uow, ctx.calendar, now, row.user_id,
                                                    outcome.reach)  # fmt: skip
                else:
                    told = await delivery_failed(uow, ctx.calendar, now, row.user_id)
                self._queued = self._queued or told > 0
            await uow.commit()
        # A failure Meta reported before the record was written is decided now (and what it
        # queues again goes in this pass).
        await delivery.apply_early(ctx, row.channel, early)
        self._queued = self._queued or bool(early)
        return 1 if outcome.error is None else 0


def bundled(row: OutboxRow) -> bool:
    """Whether a row leaves with the person's other notices of the moment: the kinds that do,
    and hand-overs held while the person could not be reached (one summary when they return)."""
    return row.kind in BUNDLED_KINDS or bool(row.payload.get("held"))


def _for(row: DueNotice, absent: set[int] | None) -> DueNotice:
    """The row, saying it is also meant for the `absent` people (its person stands in for
    them: their copies were merged into it); the row itself when there are none."""
    if not absent:
        return row
    found = {*row.payload.get("for", []), *absent}
    return row.model_copy(update={"payload": row.payload | {"for": sorted(found)}})


def _pending(row: OutboxRow) -> Pending:
    p = row.payload
    at = p.get("at") or p.get("deliver_at")
    return Pending(row.id, int(p["task_id"]), p["kind"], int(p["level"]),
                   datetime.fromisoformat(at) if at else row.not_before)  # fmt: skip
