"""Receiving updates so that nothing is lost when the process dies, and no one waits for another
person's update: polling, and what polling and the webhook share.

python-telegram-bot's Updater confirms a batch of updates to Telegram (the next getUpdates'
offset) as soon as it has fetched them, and its webhook server answers 200 before the update is
handled: either way a crash loses the update being handled. Here an update is confirmed only
after it was handled and recorded, so Telegram delivers an unhandled one again after a restart;
the record makes a second delivery of an already handled update a no-op.

Each person's updates are handled in the order they came, one after the other (a press must see
what the message before it did); different people's at the same time, so that one person's large
spreadsheet does not keep everyone else waiting. Simultaneous acts on one case are serialised by
the database (one transaction at a time, the case's version claimed), not by the intake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.channels.telegram.adapter import CHANNEL
from bot.channels.telegram.pacing import retry_after
from storage.db import Database

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
PRUNE_EVERY = 1000
KEEP_HANDLED = timedelta(days=8)  # Telegram keeps an update a day, Meta retries for a week
MAX_PEOPLE_AT_ONCE = 16  # updates handled at the same time; more would only queue on the database
BUSY_POLL_S = 0.05  # while updates are in hand, how often to look for other people's new ones

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def lane_of(update: Update) -> int:
    """Whose update this is: updates of one lane are handled in order. The person (or, without
    one, the chat); an update of no one is a lane of its own (negative, apart from people)."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return -1 - update.update_id


class Intake:
    """Handles each update at most once (handle, then record it as handled): a person's updates
    one after the other in the order they came, different people's concurrently."""

    def __init__(self, app: AnyApplication, db: Database, clock: Callable[[], datetime]) -> None:
        self.app = app
        self._db = db
        self._clock = clock
        self._handled = 0
        self._closed = False
        self._slots = asyncio.Semaphore(MAX_PEOPLE_AT_ONCE)
        self._tails: dict[int, asyncio.Task[bool]] = {}  # each lane's last update taken
        self._in_hand: dict[int, asyncio.Task[bool]] = {}  # by update_id, until finished

    @property
    def closed(self) -> bool:
        return self._closed

    async def handled_among(self, updates: Iterable[Update]) -> set[int]:
        """The ids of those `updates` that were handled already (one query for a batch)."""
        async with self._db.read() as uow:
            seen = await uow.updates.seen(CHANNEL, (str(u.update_id) for u in updates))
        return {int(event_id) for event_id in seen}

    async def close(self) -> None:
        """Take no update any more; let those being handled finish (those still waiting for
        their turn are not handled, hence not confirmed: Telegram delivers them again)."""
        self._closed = True
        while self._in_hand:
            await asyncio.wait(list(self._in_hand.values()))

    def submit(self, update: Update, seen: bool | None = None) -> asyncio.Task[bool] | None:
        """Queue `update` in its person's lane; the task ends True once it was handled (unless
        handled before) and recorded, False if the intake closed before its turn. None once
        closed. The same update submitted while in hand (a webhook posting it twice at once)
        gets the same task. `seen` is what `handled_among` said; None asks when its turn comes."""
        if self._closed:
            return None
        found = self._in_hand.get(update.update_id)
        if found is not None:
            return found
        lane = lane_of(update)
        task = asyncio.create_task(
            self._take(update, seen, self._tails.get(lane)), name=f"update-{update.update_id}"
        )
        self._tails[lane] = task
        self._in_hand[update.update_id] = task

        def finished(done: asyncio.Task[bool]) -> None:
            self._in_hand.pop(update.update_id, None)
            if not done.cancelled() and done.exception() is not None:
                log.error("handling update %s failed; it stays unconfirmed",
                          update.update_id, exc_info=done.exception())  # fmt: skip
            if self._tails.get(lane) is done:
                del self._tails[lane]

        task.add_done_callback(finished)
        return task

    async def take(self, update: Update, seen: bool | None = None) -> bool:
        """Handle `update` in its turn and wait for it (see `submit`); False once closed."""
        task = self.submit(update, seen)
        if task is None:
            return False
        # A post whose sender hung up still finishes: the work is begun and must be recorded.
        return await asyncio.shield(task)

    async def _take(
        self, update: Update, seen: bool | None, before: asyncio.Task[bool] | None
    ) -> bool:
        if before is not None:
            await asyncio.wait([before])  # the same person's previous update, however it ended
        async with self._slots:
            if self._closed:
                return False
            if seen is None:
                seen = update.update_id in await self.handled_among([update])
            if not seen:
                # process_update runs the handlers and hands any exception to the error handler.
                await self.app.process_update(update)
            # One statement, committed on its own: the handler's acts are already committed.
            async with self._db.read() as uow:
                await uow.updates.mark(CHANNEL, str(update.update_id), self._clock())
                self._handled += 1
                if self._handled % PRUNE_EVERY == 0:
                    await uow.updates.prune(self._clock() - KEEP_HANDLED)
            return True


def _failed(task: asyncio.Task[bool]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


class ReliablePoller:
    """getUpdates → handle (each person in order, people concurrently) → record → confirm.

    Telegram forgets every update below the offset of the next getUpdates, so the offset only
    moves past a prefix of updates that are all done: an update finished early waits, in memory,
    for the ones before it. While updates are in hand, getUpdates returns those again at once;
    polling then looks for new ones every `BUSY_POLL_S` (or as soon as all are done) rather than
    in a long poll, and skips those it holds already.
    """

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
        self._offset: int | None = None  # the first update not confirmed
        self._fetched: dict[int, asyncio.Task[bool]] = {}  # from the offset on, in order

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reliable-polling")

    async def stop(self) -> None:
        """Let the updates being handled finish, then stop polling."""
        if self._task is not None:
            await self._intake.close()
            self._task.cancel()
            # A rejected token ended the task already and was reported through on_fatal.
            with contextlib.suppress(asyncio.CancelledError, InvalidToken):
                await self._task
            self._task = None

    def _advance(self) -> bool:
        """Move the offset past the updates done, oldest first, up to the first one not done
        (still in hand, failed, or not taken because the intake closed). True if one failed: it
        stays unconfirmed and is taken again when fetched again."""
        for update_id in sorted(self._fetched):
            task = self._fetched[update_id]
            if not task.done():
                return False
            if _failed(task):
                return True
            if not task.result():
                return False
            del self._fetched[update_id]
            self._offset = update_id + 1
        return False

    async def _run(self) -> None:
        """Poll until cancelled or closed. Every failure is logged and retried with a growing
        pause; only a token Telegram rejects ends polling (retrying cannot mend it)."""
        bot = self._intake.app.bot
        backoff = 1.0
        webhook_deleted = False
        while not self._intake.closed:
            try:
                if not webhook_deleted:
                    await bot.delete_webhook()
                    webhook_deleted = True
                failed = self._advance()
                busy = bool(self._fetched)
                updates = await bot.get_updates(
                    offset=self._offset,
                    timeout=0 if busy else self._timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
                fresh = [
                    u
                    for u in updates
                    if u.update_id not in self._fetched or _failed(self._fetched[u.update_id])
                ]
                seen = await self._intake.handled_among(fresh) if fresh else set()
                for update in fresh:
                    task = self._intake.submit(update, update.update_id in seen)
                    if task is None:
                        return  # closed: what is not confirmed is fetched again after a restart
                    self._fetched[update.update_id] = task
                if failed:  # logged by the intake; taken again after the pause below
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                backoff = 1.0
                in_hand = [t for t in self._fetched.values() if not t.done()]
                if in_hand:
                    # Until all are done, or for a moment: polling at every single completion
                    # would fetch (and decode) the whole window again for each update.
                    await asyncio.wait(in_hand, timeout=BUSY_POLL_S)
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
