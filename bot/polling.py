"""Polling that loses nothing when the process dies.

python-telegram-bot's Updater confirms a batch of updates to Telegram (the next getUpdates'
offset) as soon as it has fetched them, before they are handled: a crash then loses the update
being handled and the rest of its batch. This loop confirms an update only after it was handled
and recorded, so Telegram delivers an unhandled one again after a restart; the record makes a
second delivery of an already handled update a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from storage.db import Database

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
PRUNE_EVERY = 1000


class ReliablePoller:
    """getUpdates → handle → record → confirm, one update at a time."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        db: Database,
        clock: Callable[[], datetime],
        timeout: int = 10,
    ) -> None:
        self._app = app
        self._db = db
        self._clock = clock
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._handled = 0
        self._busy = asyncio.Lock()  # held while an update is handled

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reliable-polling")

    async def stop(self) -> None:
        """Let the update in hand finish, then stop polling."""
        if self._task is not None:
            await self._busy.acquire()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._busy.release()
            self._task = None

    async def _run(self) -> None:
        bot = self._app.bot
        await bot.delete_webhook()
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=self._timeout, allowed_updates=ALLOWED_UPDATES
                )
                backoff = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc))
                continue
            except (TimedOut, NetworkError, Conflict) as exc:
                if isinstance(exc, InvalidToken):
                    raise
                log.warning("getUpdates failed (%s); trying again in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not updates:
                continue
            async with self._db.read() as uow:
                seen = await uow.updates.seen(u.update_id for u in updates)
            for update in updates:
                async with self._busy:
                    await self._handle(update, update.update_id in seen)
                offset = update.update_id + 1

    async def _handle(self, update: Update, seen: bool) -> None:
        if not seen:
            # process_update runs the handlers and hands any exception to the error handler.
            await self._app.process_update(update)
        # One statement, committed on its own: the handler's acts are already committed.
        async with self._db.read() as uow:
            await uow.updates.mark(update.update_id, self._clock())
            self._handled += 1
            if self._handled % PRUNE_EVERY == 0:
                await uow.updates.prune()


def _seconds(exc: RetryAfter) -> float:
    import warnings
    from datetime import timedelta

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
