"""Fault injection and rate limiting for the fake Bot API, for reliability tests.

A :class:`Fault` makes matching requests fail (``status=429`` with ``retry_after``, ``502``...) and/or
answer late (``delay`` seconds, longer than the client's read timeout to provoke a timeout). A delayed
request without a status is then carried out normally, as a slow Telegram would: the bot may see a
timeout although its message was delivered.

:class:`RateLimiter` answers 429 "Too Many Requests: retry after N" like Telegram once the bot sends
faster than the configured limits (by default 30 messages per second overall, 1 new message per second
per chat, 20 per minute per group).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from bot.fakeapi.params import ApiError

RATE_LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendmediagroup",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    }
)
"""Lower-case names of the methods that count as sending a message."""
EDIT_METHODS = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup"})
"""Lower-case names of the methods that change a message: they count towards the overall limit only."""


def default_description(status: int, retry_after: int | None) -> str:
    """Telegram's description for an error status."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 409:
        return "Conflict: terminated by other getUpdates request"
    if status == 400:
        return "Bad Request"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


@dataclass
class Fault:
    """One scheduled fault; see :meth:`bot.fakeapi.server.FakeTelegram.inject`.

    ``times`` counts the requests still to affect (None: every matching request until removed);
    ``hits`` how many it affected so far.
    """

    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    delay: float | None = None
    times: int | None = 1
    chat_id: int | None = None
    description: str | None = None
    until: asyncio.Event | None = None  # held until set (and the delay, if any, has passed)
    hits: int = 0

    @property
    def active(self) -> bool:
        """True while the fault still affects requests."""
        return self.times is None or self.hits < self.times

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        """True if this fault applies to a call of ``method`` for ``chat_id``."""
        if not self.active:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError | None:
        """The error answer of this fault, or None if it only delays."""
        if self.status is None:
            return None
        retry_after = self.retry_after if self.status == 429 else None
        if self.status == 429 and retry_after is None:
            retry_after = 1
        description = self.description or default_description(self.status, retry_after)
        return ApiError(self.status, description, retry_after=retry_after)


class _Window:
    """Timestamps of the requests accepted within the last ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.stamps: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        while self.stamps and self.stamps[0] <= now - self.period:
            self.stamps.popleft()
        if len(self.stamps) < self.limit:
            return 0.0
        return self.stamps[0] + self.period - now


class RateLimiter:
    """Telegram's flood limits: overall per second, per chat per second, per group per minute."""

    def __init__(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int | None = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self._clock = clock
        self._global = _Window(global_per_second, 1.0)
        self._chats: dict[int, _Window] = {}
        self._groups: dict[int, _Window] = {}
        self.refusals = 0
        """How many requests were refused with 429 so far."""

    def check(self, chat_id: int | None, *, is_group: bool, new_message: bool = True) -> None:
        """Count one message to ``chat_id``, or raise the 429 :class:`ApiError` Telegram would.

        Edits (``new_message=False``) count towards the overall limit only, so that the usual
        "answer the press, edit the message" of a handler is not refused.
        """
        now = self._clock()
        windows = [self._global]
        if chat_id is not None and new_message:
            windows.append(self._chats.setdefault(chat_id, _Window(self.per_chat_per_second, 1.0)))
            if is_group and self.per_group_per_minute is not None:
                windows.append(
                    self._groups.setdefault(chat_id, _Window(self.per_group_per_minute, 60.0))
                )
        wait = max(window.wait_needed(now) for window in windows)
        if wait > 0:
            self.refusals += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, default_description(429, retry_after), retry_after=retry_after)
        for window in windows:
            window.stamps.append(now)
