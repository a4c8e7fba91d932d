"""Receiving updates so that nothing is lost when the process dies: polling, and what polling and
the webhook share.

python-telegram-bot's Updater confirms a batch of updates to Telegram (the next getUpdates'
offset) as soon as it has fetched them, and its webhook server answers 200 before the update is
handled: either way a crash loses the update being handled. Here an update is confirmed only
after it was handled and recorded, so Telegram delivers an unhandled one again after a restart;
the record makes a second delivery of an already handled update a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.channels.telegram_pacing import retry_after
from storage.db import Database

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
PRUNE_EVERY = 1000

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class Intake:
    """Handles updates one at a time, each at most once: handle, then record it as handled."""

    def __init__(self, app: AnyApplication, db: Database, clock: Callable[[], datetime]) -> None:
        self.app = app
        self._db = db
        self._clock = clock
        self._handled = 0
        self._closed = False
        self.busy = asyncio.Lock()  # held while an update is handled

    async def handled_among(self, updates: Iterable[Update]) -> set[int]:
        """The ids of those `updates` that were handled already (one query for a batch)."""
        async with self._db.read() as uow:
            return await uow.updates.seen(u.update_id for u in updates)

    async def close(self) -> None:
        """Wait for the update in hand; take no other one after it."""
        async with self.busy:
            self._closed = True

    async def take(self, update: Update, seen: bool | None = None) -> bool:
        """Handle `update` unless it was handled before, then record it; False (nothing done)
        once closed. `seen` is what `handled_among` said; None asks here, inside the lock (a
        webhook may deliver the same update twice at once)."""
        async with self.busy:
            if self._closed:
                return False
            if seen is None:
                seen = update.update_id in await self.handled_among([update])
            if not seen:
                # process_update runs the handlers and hands any exception to the error handler.
                await self.app.process_update(update)
            # One statement, committed on its own: the handler's acts are already committed.
            async with self._db.read() as uow:
                await uow.updates.mark(update.update_id, self._clock())
                self._handled += 1
                if self._handled % PRUNE_EVERY == 0:
                    await uow.updates.prune()
            return True


class ReliablePoller:
    """getUpdates → handle → record → confirm (the next offset), one update at a time."""

    def __init__(
        self,
        intake: Intake,
        timeout: int = 10,
        on_fatal: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._intake = intake
        self._timeout = timeout
        self._on_fatal = on_fatal  # told when polling ends for good (a rejected token)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reliable-polling")

    async def stop(self) -> None:
        """Let the update in hand finish, then stop polling."""
        if self._task is not None:
            await self._intake.close()
            self._task.cancel()
            # A rejected token ended the task already and was reported through on_fatal.
            with contextlib.suppress(asyncio.CancelledError, InvalidToken):
                await self._task
            self._task = None

    async def _run(self) -> None:
        """Poll until cancelled or closed. Every failure is logged and retried with a growing
        pause; only a token Telegram rejects ends polling (retrying cannot mend it)."""
        bot = self._intake.app.bot
        offset: int | None = None
        backoff = 1.0
        webhook_deleted = False
        while True:
            try:
                if not webhook_deleted:
                    await bot.delete_webhook()
                    webhook_deleted = True
                updates = await bot.get_updates(
                    offset=offset, timeout=self._timeout, allowed_updates=ALLOWED_UPDATES
                )
                seen = await self._intake.handled_among(updates) if updates else set()
                for update in updates:
                    if not await self._intake.take(update, update.update_id in seen):
                        return  # closed: the rest of the batch is fetched again after a restart
                    offset = update.update_id + 1
                backoff = 1.0
                continue
            except InvalidToken as exc:
                log.critical(
                    "Telegram rejected the bot token: polling stopped (PPID_TELEGRAM_TOKEN)"
                )
                if self._on_fatal is not None:
                    self._on_fatal(exc)
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_after(exc).total_seconds())
                continue
            except (TimedOut, NetworkError, Conflict) as exc:
                log.warning("getUpdates failed (%s); trying again in %.0f s", exc, backoff)
            except Exception:
                # A bug or a busy database must not end polling for good, silently.
                log.exception("polling failed; trying again in %.0f s", backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
