"""The outbox dispatcher: delivers pending notices, honours Telegram's limits, never sends a row
twice once it is marked sent, and tells the truth about rows it cannot deliver."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.base import Reply
from bot.services.context import Ctx
from handlers.notices import render

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=30)


class Sender(Protocol):
    async def send(self, chat_id: str | int, reply: Reply) -> None: ...


async def dispatch_once(ctx: Ctx, sender: Sender, limit: int = 50) -> int:
    """Deliver what is due now; returns how many rows were sent."""
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        rows = await uow.outbox.due(now, limit)
    sent = 0
    for row in rows:
        reply = await render(ctx, row["user_id"], row["payload"])
        error: str | None = None
        retry_in: timedelta | None = None
        try:
            if reply is not None and row["chat_id"]:
                await sender.send(row["chat_id"], reply)
        except RetryAfter as exc:
            ra = exc.retry_after
            retry_in = ra if isinstance(ra, timedelta) else timedelta(seconds=float(ra))
            error = f"429 retry after {retry_in.total_seconds():.0f}s"
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest):
                error = f"refused: {exc}"
            else:
                retry_in = min(timedelta(seconds=2 ** min(row["attempts"], 10)), MAX_BACKOFF)
                error = f"network: {exc}"
        except Forbidden as exc:
            error = f"refused: {exc}"
        async with ctx.db.transaction() as uow:
            if error is None:
                await uow.outbox.mark_sent(row["id"], ctx.now())
                sent += 1
            elif retry_in is not None:
                await uow.outbox.mark_retry(row["id"], ctx.now() + retry_in, error)
            else:
                log.warning(
                    "notice %s to user %s failed for good: %s", row["id"], row["user_id"], error
                )
                await uow.outbox.mark_failed(row["id"], error)
            await uow.commit()
    return sent
