"""The outbox dispatcher: delivers pending notices within Telegram's limits, retries what may
succeed later, and tells the admins about what never will.

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
import warnings
from datetime import timedelta
from typing import Any, Protocol

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.base import Reply
from bot.services.context import Ctx
from bot.sop import Role
from handlers.notices import render

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=30)


class Sender(Protocol):
    async def send_part(self, chat_id: str | int, reply: Reply, index: int) -> None: ...


def retry_after(exc: RetryAfter) -> timedelta:
    """Telegram's wait as a timedelta (PTB 22 warns when its int form is read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ra = exc.retry_after
    return ra if isinstance(ra, timedelta) else timedelta(seconds=float(ra))


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(attempts, 11)), MAX_BACKOFF)


class Dispatcher:
    """Delivers due outbox rows; one pass at a time, however many jobs ask for one."""

    def __init__(self, ctx: Ctx, sender: Sender) -> None:
        self.ctx = ctx
        self.sender = sender
        self._lock = asyncio.Lock()

    async def run_once(self, limit: int = 100) -> int:
        """Deliver what is due now; returns how many rows were sent."""
        async with self._lock:
            ctx = self.ctx
            sent = 0
            while True:  # a full batch means more may be waiting: keep going, do not wait a tick
                async with ctx.db.read() as uow:
                    rows = await uow.outbox.due(ctx.now(), limit)
                for row in rows:
                    sent += await self._deliver(row)
                if len(rows) < limit:
                    return sent

    async def _deliver(self, row: dict[str, Any]) -> int:
        ctx = self.ctx
        error: str | None = None
        retry_in: timedelta | None = None
        try:
            reply = await render(ctx, row["user_id"], row["payload"])
            if reply is not None and row["chat_id"]:
                for index in range(row["parts_sent"], len(reply.files) + 1):
                    async with ctx.db.transaction() as uow:
                        await uow.outbox.mark_in_flight(row["id"], ctx.now())
                        await uow.commit()
                    await self.sender.send_part(row["chat_id"], reply, index)
                    if index < len(reply.files):
                        async with ctx.db.transaction() as uow:
                            await uow.outbox.mark_part(row["id"], index + 1)
                            await uow.commit()
        except RetryAfter as exc:
            retry_in = retry_after(exc)
            error = f"429 retry after {retry_in.total_seconds():.0f}s"
        except (Forbidden, BadRequest) as exc:
            error = f"{exc}"  # blocked, chat not found, ...: trying again will not help
        except (TimedOut, NetworkError) as exc:  # includes 5xx answers
            retry_in, error = backoff(row["attempts"]), f"network: {exc}"
        async with ctx.db.transaction() as uow:
            now = ctx.now()
            if error is None:
                await uow.outbox.mark_sent(row["id"], now)
            elif retry_in is not None:
                await uow.outbox.mark_retry(row["id"], now + retry_in, error)
            else:
                log.warning("notice %s to user %s failed: %s", row["id"], row["user_id"], error)
                await uow.outbox.mark_failed(row["id"], error)
                person = await uow.users.get(row["user_id"])
                for admin in await uow.users.with_role(Role.ADMIN):
                    if admin.id == row["user_id"]:
                        continue
                    await uow.outbox.enqueue(
                        key=f"failed:{row['id']}:{admin.id}", user_id=admin.id, now=now,
                        not_before=ctx.calendar.office_instant(now),
                        payload={"kind": "delivery_failed", "row": row["id"], "reason": error,
                                 "name": person.name if person else "?",
                                 "role": person.role.value if person else "admin"},
                    )  # fmt: skip
            await uow.commit()
        return 1 if error is None else 0
