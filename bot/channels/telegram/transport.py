"""How the bot's Bot API requests reach Telegram: a few at a time, each on a kept-alive connection.

python-telegram-bot's default pool allows 256 connections. With many people's updates handled at
once, every request then opened or found a connection of its own, and httpcore's pool looks over
all its connections at every request, in time that grows with the square of their number (each
idle one is also asked whether its socket was closed): in the throughput benchmark that was a
third of the bot's CPU time per update (benchmarks/README.md). Here at most `IN_FLIGHT` requests
are on the wire at once, the others wait their turn in an asyncio semaphore (cheap) rather than in
the pool's queue (scanned again at every change), and the pool keeps as many connections.

`IN_FLIGHT` is well above what one bot needs: Telegram answers a call in 0.1-0.3 s from here, so
four at once are 13-40 calls a second, and Telegram itself takes about 30 messages a second from
a bot. The notices take one at a time (`bot.channels.telegram.pacing`). Long polls
(getUpdates) have their own connection and are not counted.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.request import HTTPXRequest

IN_FLIGHT = 4


class FewAtOnce(HTTPXRequest):
    """An HTTPXRequest with at most `in_flight` requests at once, on as many connections."""

    def __init__(self, in_flight: int = IN_FLIGHT, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=in_flight, **kwargs)
        self._turns = asyncio.Semaphore(in_flight)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._turns:
            return await super().do_request(*args, **kwargs)
