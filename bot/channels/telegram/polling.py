"""Receiving Telegram's updates by polling so that nothing is lost when the process dies, and no
one waits for another person's update (the neutral `bot.intake` handles them).

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
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.channels.base import TroubleNotices
from bot.channels.telegram.adapter import CHANNEL
from bot.channels.telegram.pacing import retry_after
from bot.intake import Intake
from bot.texts import t
from storage.db import Database, DatabaseUnavailable

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
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


def update_key(update: Update) -> str:
    """An update's event id, as the intake records it."""
    return str(update.update_id)


TelegramIntake = Intake[Update]


def telegram_intake(
    app: AnyApplication,
    db: Database,
    clock: Callable[[], datetime],
    waiting: set[int] | None = None,
) -> TelegramIntake:
    """The intake of Telegram's updates: handled by the Application (which runs the router and
    hands any exception to the error handler), keyed by update_id, one lane per person.
    `waiting`: the ids of updates the error handler found waiting for the database; such an
    update fails here, so it stays unconfirmed and is handled again later."""
    found = waiting if waiting is not None else set()
    told = TroubleNotices()

    async def handle(update: Update) -> None:
        await app.process_update(update)
        if update.update_id in found:
            found.discard(update.update_id)
            raise DatabaseUnavailable("database", "update left for later")

    async def trouble(update: Update) -> None:
        chat = update.effective_chat
        if chat is not None and told.should_tell(str(chat.id), time.monotonic()):
            await app.bot.send_message(chat.id, t("error-db-trouble"))

    return Intake(CHANNEL, db, clock, handle, update_key, lane_of, trouble)


# python-telegram-bot's read timeout of its getUpdates request, to which a long poll adds its own
# timeout (as `Bot.get_updates` does).
GET_UPDATES_READ_S = 5.0


async def fetch_updates(bot: Bot, offset: int | None, wait_s: int) -> list[dict[str, Any]]:
    """getUpdates (a long poll of `wait_s` seconds) as JSON, not decoded. While updates are in hand every poll returns all the
    unconfirmed ones again, and `Bot.get_updates` decoded each of them every time: a fifth of
    the bot's CPU per update in the throughput benchmark (benchmarks/README.md, issue 15). The
    request goes the same way as `get_updates` sends it (its connection pool, the bot's rate
    limiter, its errors: a rejected token is still `InvalidToken`)."""
    data = {"timeout": wait_s, "offset": offset, "allowed_updates": ALLOWED_UPDATES}
    result = await bot._post("getUpdates", data, read_timeout=GET_UPDATES_READ_S + wait_s)
    return cast("list[dict[str, Any]]", result)


def _failed(task: asyncio.Task[bool]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


class PollerTaken(RuntimeError):
    """Another instance polls Telegram already (Telegram gives each update to one poller)."""


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
        intake: TelegramIntake,
        bot: Bot,
        timeout: int = 10,
        on_fatal: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._intake = intake
        self._bot = bot
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
        bot = self._bot
        backoff = 1.0
        webhook_deleted = False
        while not self._intake.closed:
            try:
                if not webhook_deleted:
                    await bot.delete_webhook()
                    webhook_deleted = True
                failed = self._advance()
                busy = bool(self._fetched)
                raw = await fetch_updates(bot, self._offset, 0 if busy else self._timeout)
                # Decoded only when new: the updates in hand come back in every busy poll.
                fresh = [
                    Update.de_json(u, bot)
                    for u in raw
                    if u["update_id"] not in self._fetched or _failed(self._fetched[u["update_id"]])
                ]
                try:
                    seen = await self._intake.handled_among(fresh) if fresh else set()
                except DatabaseUnavailable:
                    seen = None  # each asks in its turn, and its person learns why it waits
                for update in fresh:
                    known = None if seen is None else update_key(update) in seen
                    task = self._intake.submit(update, known)
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
