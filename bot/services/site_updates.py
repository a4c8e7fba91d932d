"""Bringing the public site up to date in the background, coalesced.

A publish or a withdrawal asks for an update (`request`) and returns at once; one update runs at
a time, and every request that arrives while one runs is served by the single next one (it reads
the register after they were made). `settled` waits for the update that serves a request, for
whoever must say the site changed (a withdrawal). The work itself (read, build, swap) and what to
do when it fails are connected by the running bot (`bot.services.register.connect_site`); until
then `connected` is False and callers do the work themselves (the command line, service tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]
Report = Callable[[BaseException], Awaitable[None]]


class SiteUpdates:
    """One background update of the site at a time; requests that meet one running coalesce."""

    def __init__(self) -> None:
        self._work: Work | None = None
        self._report: Report | None = None
        self._requested = 0  # tickets handed out
        self._served = 0  # every ticket up to this one is served by a finished update
        self._ok = True  # whether the newest finished update succeeded
        self._failing = False  # the admins were told of a failure since the last success
        self._task: asyncio.Task[None] | None = None
        self._finished: asyncio.Condition | None = None

    @property
    def connected(self) -> bool:
        return self._work is not None

    def connect(self, work: Work, report: Report) -> None:
        """`work` brings the site up to date; `report` tells the admins of a failure (called
        once per run of failures: the next one is told after a success)."""
        self._work, self._report = work, report

    def request(self) -> int:
        """Asks for an update; returns the ticket `settled` waits for."""
        self._requested += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="site-update")
        return self._requested

    async def settled(self, ticket: int) -> bool:
        """Waits until an update that began after `ticket` was requested has finished; whether
        the site is up to date now (the newest update succeeded)."""
        condition = self._condition()
        async with condition:
            await condition.wait_for(lambda: self._served >= ticket)
            return self._ok

    async def idle(self) -> bool:
        """Waits until every update asked for so far has run; whether the newest succeeded."""
        return await self.settled(self._requested)

    async def close(self) -> None:
        """Stops the update in progress (the bot is stopping; the next start catches up)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _condition(self) -> asyncio.Condition:
        if self._finished is None:
            self._finished = asyncio.Condition()
        return self._finished

    async def _run(self) -> None:
        assert self._work is not None and self._report is not None
        while self._served < self._requested:
            serving = self._requested  # what this update covers: it reads the register after
            try:
                await self._work()
            except Exception as exc:  # told to the admins; the live site stays as it was
                log.error("the DIP site could not be updated", exc_info=exc)
                ok = False
                if not self._failing:
                    self._failing = True
                    try:
                        await self._report(exc)
                    except Exception:
                        log.exception("could not tell the admins that the site update failed")
            else:
                ok = True
                self._failing = False
            condition = self._condition()
            async with condition:
                self._served, self._ok = serving, ok
                condition.notify_all()
