"""The scheduler: APScheduler jobs through python-telegram-bot's JobQueue. The jobs are not
persisted (a known limit of the JobQueue); they only wake up and look at the database, which holds
every deadline and notice, so nothing is lost across restarts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from telegram.ext import ContextTypes, JobQueue

from bot.bootstrap import load_calendar
from bot.dispatcher import Dispatcher
from bot.services.context import Ctx
from bot.services.sweep import sweep
from bot.upkeep import daily_backup

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
        """One sweep; returns how many notices it queued."""
        await self.refresh_calendar()
        now = self.ctx.now()
        queued = await sweep(self.ctx, now=now)
        self._swept = now
        return queued

    async def dispatch(self) -> int:
        """One delivery pass; the notices of a sweep still running wait for its end."""
        return await self.dispatcher.run_once(swept=self._swept)

    def install(self, jq: JobQueue[Any]) -> None:
        async def sweep_job(_: ContextTypes.DEFAULT_TYPE) -> None:
            await self.sweep()

        async def dispatch_job(_: ContextTypes.DEFAULT_TYPE) -> None:
            await self.dispatch()

        # The first sweep runs at once: after downtime it catches up with what was missed.
        jq.run_repeating(sweep_job, interval=SWEEP_EVERY_S, first=0.2, name="deadline-sweep")
        jq.run_repeating(dispatch_job, interval=DISPATCH_EVERY_S, first=0.5, name="outbox")

        backup_at = self.ctx.settings.backup_at
        if backup_at is not None:

            async def backup_job(_: ContextTypes.DEFAULT_TYPE) -> None:
                await daily_backup(self.ctx)

            # Wall-clock time in the office's zone; its failures reach the admins (bot.upkeep).
            jq.run_daily(backup_job, time=backup_at, name="daily-backup")

        def kick() -> None:
            jq.run_once(dispatch_job, 0, name="outbox-kick")

        self.ctx.kick.connect(kick)
