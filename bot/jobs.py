"""The scheduler's work as APScheduler jobs, for a bot that runs without Telegram (WhatsApp
alone). With Telegram, the same work runs on python-telegram-bot's JobQueue (which is
APScheduler underneath: `bot.channels.telegram.application.install_jobs`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduler import DISPATCH_EVERY_S, SWEEP_EVERY_S, Scheduler
from bot.upkeep import daily_backup


class Jobs:
    """The deadline sweep, the outbox dispatcher (and its nudge) and the daily backup."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._aps = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        aps, work = self._aps, self.scheduler
        now = datetime.now(UTC)
        # One run of each at a time; a run missed while the previous one ran is dropped.
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        # The first sweep runs at once: after downtime it catches up with what was missed.
        aps.add_job(work.sweep, "interval", seconds=SWEEP_EVERY_S, id="deadline-sweep",
                    next_run_time=now + timedelta(seconds=0.2), **common)  # fmt: skip
        aps.add_job(work.dispatch, "interval", seconds=DISPATCH_EVERY_S, id="outbox",
                    next_run_time=now + timedelta(seconds=0.5), **common)  # fmt: skip
        ctx = work.ctx
        backup_at = ctx.settings.backup_at
        if backup_at is not None:

            async def backup() -> None:
                await daily_backup(ctx)

            aps.add_job(backup, "cron", hour=backup_at.hour, minute=backup_at.minute,
                        timezone=ctx.settings.tz, id="daily-backup", **common)  # fmt: skip

        def kick() -> None:
            aps.add_job(work.dispatch, "date", run_date=datetime.now(UTC), **common)

        ctx.kick.connect(kick)
        aps.start()

    def stop(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)
