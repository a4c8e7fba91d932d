"""The scheduler: the periodic work (the deadline sweep, the outbox dispatcher, the daily backup).
The running bot runs it as APScheduler jobs through python-telegram-bot's JobQueue (installed by
the Telegram application, `bot.channels.telegram.application.install_jobs`). The jobs are not
persisted (a known limit of the JobQueue); they only wake up and look at the database, which holds
every deadline and notice, so nothing is lost across restarts."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from bot.dispatcher import Dispatcher
from bot.services.calendar_admin import load_calendar
from bot.services.context import Ctx
from bot.services.sweep import sweep

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 60.0
DISPATCH_EVERY_S = 5.0


class Scheduler:
    """The periodic work: the deadline sweep, the outbox dispatcher and the daily backup."""

    def __init__(self, ctx: Ctx, dispatcher: Dispatcher) -> None:
        self.ctx = ctx
        self.dispatcher = dispatcher
        self._overrides: object = None
        # The moment of the last sweep that finished: what falls due later waits for the next
        # (see `Dispatcher.run_once`). Until the first one after a start, every notice waits.
        self._swept = datetime.min.replace(tzinfo=UTC)
        # This process's sweeps one after another: a second one asked for meanwhile (the
        # minute's job and a nudge) waits and then sweeps at its own moment, rather than
        # finding the instances' lock taken by its own process and skipping.
        self._sweeping = asyncio.Lock()

    async def refresh_calendar(self) -> None:
        """Pick up holidays changed from the command line by another process."""
        async with self.ctx.db.read() as uow:
            overrides = await uow.calendar.overrides()
        if overrides != self._overrides:
            self._overrides = overrides
            self.ctx.calendars.replace(await load_calendar(self.ctx.settings, self.ctx.db))

    async def tick(self) -> None:
        """One sweep, then one delivery pass: what the jobs do, and what tests call directly."""
        await self.sweep()
        await self.dispatch()

    async def sweep(self) -> int:
        """One sweep; returns how many notices it queued. With several instances (PostgreSQL)
        one sweeps at a time; the others take the moment of its last sweep from the database,
        so that their dispatchers send what it queued."""
        await self.refresh_calendar()
        async with self._sweeping, self.ctx.db.exclusive("sweep") as mine:
            now = self.ctx.now()
            if mine:
                queued = await sweep(self.ctx, now=now)
                self._swept = now
                return queued
        async with self.ctx.db.read() as uow:
            last = await uow.meta.get("last_sweep")
        if last:
            self._swept = max(self._swept, datetime.fromisoformat(last))
        return 0

    async def dispatch(self) -> int:
        """One delivery pass; the notices of a sweep still running wait for its end. A holiday
        added from the command line for today holds them from this pass on (one small query),
        not only from the next sweep's."""
        await self.refresh_calendar()
        return await self.dispatcher.run_once(swept=self._swept)
