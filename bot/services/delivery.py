"""What a chat app reports after the fact: that a person wrote (WhatsApp's 24-hour window), and
what became of the bot's messages (sent, delivered, read, failed), kept on the notices' rows.

A message refused after it was accepted (WhatsApp reports most refusals in a `failed` status,
not in the answer to the send) is decided here as the dispatcher decides a refusal at once: the
window had closed (sent again at once, in short, as a template), the person cannot be reached
(held, the admins told once), a fault worth another try (queued again), or for good (the
admins told once a day).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.channels.port import DeliveryError
from bot.reminders import next_delivery
from bot.services.admin_notices import delivery_failed, person_unreachable
from bot.services.context import Ctx, audit
from storage.journal import STATUS_RANK, EarlyFailure

log = logging.getLogger(__name__)
SEEN_SLACK = timedelta(minutes=5)  # a busy chat does not write a row per message
MEDIA_KEPT = timedelta(days=29)  # Meta keeps an uploaded file 30 days


async def seen(
    ctx: Ctx, channel: str, external_id: str, at: datetime, phone: str | None = None
) -> None:
    """The person wrote at `at` (their chat app's window opens from there), from `phone` when
    the chat app shares it (kept as contact data)."""
    async with ctx.db.transaction() as uow:
        await uow.users.seen(channel, external_id, at, SEEN_SLACK, phone)
        await uow.commit()


async def rekey(ctx: Ctx, channel: str, old: str, new: str) -> bool:
    """A person known on `channel` by `old` (their number) is now named `new` (the id the
    platform guarantees); True when they were re-keyed (once, audited)."""
    async with ctx.db.read() as uow:
        if await uow.users.by_external(channel, new) is not None:
            return False  # the usual case: one read
        person = await uow.users.by_external(channel, old)
    if person is None:
        return False
    async with ctx.db.transaction() as uow:
        if not await uow.users.rekey(person.id, channel, old, new):
            return False
        await audit(uow, ctx.now(), "rekey", person, note=f"{channel}: by user id")
        await uow.commit()
    return True


async def status(
    ctx: Ctx, channel: str, message_id: str, state: str, at: datetime,
    failure: DeliveryError | None = None,
) -> bool:  # fmt: skip
    """Record a message's status; False when the message is not one of the bot's notices or
    the status came after a later one (statuses arrive late, twice and out of order)."""
    # Most statuses are of answers to people, never a notice's: a read says so without taking
    # the write lock (two statuses come back for every message the bot sends).
    async with ctx.db.read() as uow:
        known = await uow.messages.status_of(channel, message_id)
    if known is None and (failure is not None or ctx.db.concurrent):
        # The status may have overtaken the record of the send: kept until it is written
        # (decided in one order with the record). A failure always; any other status where
        # other instances write at once (PostgreSQL), where it is cheap: on SQLite most
        # unknown statuses are of answers, never recorded, and a read says so without a write.
        async with ctx.db.transaction() as uow:
            await uow.messages.serialise(channel, [message_id])
            known = await uow.messages.status_of(channel, message_id)
            if known is None:
                kept = early(failure) if failure is not None else EarlyFailure(EARLY_STATUS, state)
                await uow.messages.keep_early_failure(channel, message_id, at, kept)
                await uow.commit()
                return False
    if known is None or STATUS_RANK[known] >= STATUS_RANK[state]:
        return False
    now = ctx.now()
    error = failure.detail if failure is not None else None
    async with ctx.db.transaction() as uow:
        change = await uow.messages.set_status(channel, message_id, state, at, error)
        if change is None:
            return False
        queued = 0
        if failure is not None:
            ids = change.outbox_ids
            # Decided now: another message of the same notice failing too changes nothing.
            await uow.messages.close_all_of(ids)
            if failure.kind == "window_closed":
                await uow.outbox.mark_brief_many(ids, failure.detail)
                queued = 1
            elif failure.kind == "permanent" and failure.reach is not None:
                await uow.outbox.mark_failed_many(ids, failure.detail)
                queued = await person_unreachable(uow, ctx.calendar, now, change.user_id,
                                                  failure.reach)  # fmt: skip
            elif failure.kind == "permanent":
                await uow.outbox.mark_failed_many(ids, failure.detail)
                queued = await delivery_failed(uow, ctx.calendar, now, change.user_id)
            else:
                wait = failure.retry_in or timedelta(minutes=1)
                await uow.outbox.requeue_many(ids, next_delivery(ctx.calendar, now + wait),
                                              failure.detail)  # fmt: skip
                queued = 1
            log.warning("%s message %s of notices %s failed: %s", channel, message_id, ids,
                        failure.detail)  # fmt: skip
        await uow.commit()
    if queued:
        ctx.kick()
    return True


EARLY_STATUS = "status"  # a kept status that is not a failure (its name in `detail`)


def early(failure: DeliveryError) -> EarlyFailure:
    retry = failure.retry_in.total_seconds() if failure.retry_in is not None else None
    return EarlyFailure(failure.kind, failure.detail, failure.reach, retry)


async def apply_early(
    ctx: Ctx, channel: str, found: list[tuple[str, datetime, EarlyFailure]]
) -> None:
    """Decide the failures (and, with several instances, the other statuses) that had
    overtaken the record of their messages (now written)."""
    for message_id, at, f in found:
        if f.kind == EARLY_STATUS:
            await status(ctx, channel, message_id, f.detail, at)
            continue
        retry = timedelta(seconds=f.retry_s) if f.retry_s is not None else None
        failure = DeliveryError(f.kind, f.detail, retry_in=retry, reach=f.reach)  # type: ignore[arg-type]
        await status(ctx, channel, message_id, "failed", at, failure)


class StoredMediaIds:
    """The ids of files uploaded to one chat app, kept in the database (`MediaIds` of the
    WhatsApp sender): a file goes up once and is re-sent by its id while the platform keeps it."""

    def __init__(self, ctx: Ctx, channel: str) -> None:
        self._ctx = ctx
        self._channel = channel

    async def get(self, digest: str) -> str | None:
        async with self._ctx.db.read() as uow:
            return await uow.media.get(self._channel, digest, self._ctx.now() - MEDIA_KEPT)

    async def put(self, digest: str, media_id: str) -> None:
        async with self._ctx.db.transaction() as uow:
            await uow.media.put(self._channel, digest, media_id, self._ctx.now())
            await uow.commit()

    async def forget(self, digest: str) -> None:
        async with self._ctx.db.transaction() as uow:
            await uow.media.forget(self._channel, digest)
            await uow.commit()
