"""The intake: each incoming event of any chat app handled at most once, a person's events in the
order they came, different people's at the same time.

An event is claimed, handled, then recorded as handled (by its channel and event id), after its
handler's acts are committed and its answer sent (`Database.handling`): a handler that fails, or
a crash before the record, leaves it to the platform's next delivery, which handles it again
(the services make that a no-op that answers again). On PostgreSQL the claim also keeps a second
instance given the same event (a webhook delivered again, to another instance) waiting until the
first one is done, then it finds the record. A channel confirms an event to its platform only
once `take` (or the task of `submit`) says it is done.

Each person's events are handled one after the other (a press must see what the message before it
did); different people's at the same time, so that one person's large spreadsheet does not keep
everyone else waiting. Simultaneous acts on one case are serialised by the database (one
transaction at a time, the case's version claimed), not by the intake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from storage.db import Database, DatabaseUnavailable

log = logging.getLogger(__name__)
PRUNE_EVERY = 1000
KEEP_HANDLED = timedelta(days=8)  # Telegram keeps an update a day, Meta retries for a week
MAX_PEOPLE_AT_ONCE = 16  # events handled at the same time; more would only queue on the database

E = TypeVar("E")


class Intake(Generic[E]):
    """Handles each event at most once (handle, then record it as handled): a person's events
    one after the other in the order they came, different people's concurrently.

    `key` is the event's id within `channel`; `lane` says whose it is (events of one lane are
    handled in order); `handle` does the work (it must not raise for a person's mistake: the
    router answers those)."""

    def __init__(
        self,
        channel: str,
        db: Database,
        clock: Callable[[], datetime],
        handle: Callable[[E], Awaitable[object]],
        key: Callable[[E], str],
        lane: Callable[[E], Hashable],
        trouble: Callable[[E], Awaitable[object]] | None = None,
    ) -> None:
        self.channel = channel
        self._trouble = trouble
        self._db = db
        self._clock = clock
        self._handle = handle
        self._key = key
        self._lane = lane
        self._handled = 0
        self._closed = False
        self._slots = asyncio.Semaphore(MAX_PEOPLE_AT_ONCE)
        self._tails: dict[Hashable, asyncio.Task[bool]] = {}  # each lane's last event taken
        self._in_hand: dict[str, asyncio.Task[bool]] = {}  # by key, until finished

    @property
    def closed(self) -> bool:
        return self._closed

    async def handled_among(self, events: Iterable[E]) -> set[str]:
        """The keys of those `events` that were handled already (one query for a batch)."""
        async with self._db.read() as uow:
            return await uow.updates.seen(self.channel, (self._key(e) for e in events))

    async def close(self) -> None:
        """Take no event any more; let those being handled finish (those still waiting for
        their turn are not handled, hence not confirmed: the platform delivers them again)."""
        self._closed = True
        while self._in_hand:
            await asyncio.wait(list(self._in_hand.values()))

    def submit(self, event: E, seen: bool | None = None) -> asyncio.Task[bool] | None:
        """Queue `event` in its person's lane; the task ends True once it was handled (unless
        handled before) and recorded, False if the intake closed before its turn. None once
        closed. The same event submitted while in hand (a webhook posting it twice at once)
        gets the same task. `seen` is what `handled_among` said; None asks when its turn comes."""
        if self._closed:
            return None
        key = self._key(event)
        found = self._in_hand.get(key)
        if found is not None:
            return found
        lane = self._lane(event)
        task = asyncio.create_task(
            self._take(event, key, seen, self._tails.get(lane)), name=f"{self.channel}-{key}"
        )
        self._tails[lane] = task
        self._in_hand[key] = task

        def finished(done: asyncio.Task[bool]) -> None:
            self._in_hand.pop(key, None)
            if not done.cancelled() and done.exception() is not None:
                log.error("handling %s event %s failed; it stays unconfirmed",
                          self.channel, key, exc_info=done.exception())  # fmt: skip
            if self._tails.get(lane) is done:
                del self._tails[lane]

        task.add_done_callback(finished)
        return task

    async def take(self, event: E, seen: bool | None = None) -> bool:
        """Handle `event` in its turn and wait for it (see `submit`); False once closed."""
        task = self.submit(event, seen)
        if task is None:
            return False
        # A post whose sender hung up still finishes: the work is begun and must be recorded.
        return await asyncio.shield(task)

    async def _take(
        self, event: E, key: str, seen: bool | None, before: asyncio.Task[bool] | None
    ) -> bool:
        if before is not None:
            await asyncio.wait([before])  # the same person's previous event, however it ended
        async with self._slots:
            if self._closed:
                return False
            try:
                return await self._once(event, key, seen)
            except DatabaseUnavailable:
                # The event stays unhandled and unconfirmed: the chat app gives it again, and
                # it is handled once the database is back. The person is told why they wait.
                if self._trouble is not None:
                    with contextlib.suppress(Exception):
                        await self._trouble(event)
                raise

    async def _once(self, event: E, key: str, seen: bool | None) -> bool:
        async with self._db.handling(self.channel, key, self._clock(), seen) as ours:
            if ours:
                await self._handle(event)
        self._handled += 1
        if self._handled % PRUNE_EVERY == 0:
            async with self._db.read() as uow:
                await uow.updates.prune(self._clock() - KEEP_HANDLED)
        return True
