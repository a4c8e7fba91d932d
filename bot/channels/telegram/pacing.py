"""Taps first: Telegram's bulk limits applied to notices only.

Telegram allows about 30 messages a second overall and one a second per chat before it answers
429. python-telegram-bot's `AIORateLimiter` throttles every call, so a person's tap (the reply,
and the answer to the press) waited behind a broadcast of a thousand notices. Here an answer to
a person's own message or press goes at once and counts against the budget; a notice (a request
sent with `rate_limit_args={"notice": True}`) waits for the capacity left: at least
`1 / overall_per_s` after the previous message of any kind (smooth, since a burst earns a 429 that
stops everything) and `per_chat_s` after the previous one to its chat. A 429 pauses every request
for as long as Telegram asks. An answer is then tried again (up to `max_retries` times, while the
wait is short); a notice is not: the 429 goes back to the dispatcher, which puts the notice off
and never past the office's closing (a wait inside the limiter could end at night).
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

# The Bot API methods that put a message into a chat: these are what Telegram's limits count.
SENDS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "editMessageText",
     "copyMessage", "forwardMessage"}
)  # fmt: skip
NOTICE = {"notice": True}  # the `rate_limit_args` of a notice
MAX_ANSWER_WAIT_S = 30.0  # a person waits this long for an answer at most; then it fails


def retry_after(exc: RetryAfter) -> timedelta:
    """Telegram's wait as a timedelta (PTB 22 warns when its int form is read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ra = exc.retry_after
    return ra if isinstance(ra, timedelta) else timedelta(seconds=float(ra))


class TelegramPacing(BaseRateLimiter[dict[str, Any]]):
    """Replies at once, notices in the capacity left, 429 honoured for both."""

    def __init__(
        self,
        overall_per_s: float = 29.5,
        per_chat_s: float = 1.0,
        max_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1 / overall_per_s if overall_per_s > 0 else 0.0
        self.per_chat_s = per_chat_s
        self.max_retries = max_retries
        self._clock = clock
        self._last_any = float("-inf")
        self._last_chat: dict[object, float] = {}
        self._paused_until = float("-inf")
        self._notices = asyncio.Lock()  # notices take their turns one after another

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        notice = bool(rate_limit_args and rate_limit_args.get("notice"))
        chat = data.get("chat_id")
        for attempt in range(self.max_retries + 1):
            await self._wait(self._paused_until - self._clock())
            if notice:
                async with self._notices:
                    await self._wait_for_slot(chat)
                    self._took(endpoint, chat)
            else:
                self._took(endpoint, chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after(exc).total_seconds()
                self._paused_until = max(self._paused_until, self._clock() + wait)
                if notice or attempt == self.max_retries or wait > MAX_ANSWER_WAIT_S:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _wait_for_slot(self, chat: object) -> None:
        while True:
            now = self._clock()
            ready = max(self._last_any + self.interval, self._paused_until)
            if chat is not None:
                ready = max(ready, self._last_chat.get(chat, float("-inf")) + self.per_chat_s)
            if ready <= now:
                return
            await self._wait(ready - now)

    def _took(self, endpoint: str, chat: object) -> None:
        if endpoint not in SENDS:
            return
        now = self._clock()
        self._last_any = now
        if chat is not None:
            self._last_chat[chat] = now
            if len(self._last_chat) > 10_000:  # forget chats not written to for a while
                horizon = now - self.per_chat_s
                self._last_chat = {c: t for c, t in self._last_chat.items() if t > horizon}

    @staticmethod
    async def _wait(seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)
