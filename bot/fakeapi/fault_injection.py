"""Faults and flood limits applied to the requests of the fake Bot API, for reliability tests.

Tests schedule faults with :meth:`FaultInjection.inject` and switch Telegram's flood limits on with
:meth:`FaultInjection.enforce_rate_limits`; the server applies both to every known method before
carrying it out. What a :class:`~bot.fakeapi.faults.Fault` and the
:class:`~bot.fakeapi.faults.RateLimiter` do is described in :mod:`bot.fakeapi.faults`.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.fakeapi.core import ServerCore
from bot.fakeapi.faults import EDIT_METHODS, RATE_LIMITED_METHODS, Fault, RateLimiter
from bot.fakeapi.params import ApiError, Params


class FaultInjection(ServerCore):
    """Scheduling faults and flood limits, and applying them to a request."""

    def inject(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        times: int | None = 1,
        chat_id: int | None = None,
        description: str | None = None,
        until: asyncio.Event | None = None,
    ) -> Fault:
        """Schedule a fault for the next ``times`` calls of ``method`` (None: any method).

        ``status=429`` answers "Too Many Requests: retry after N" with ``parameters.retry_after``
        (PTB raises ``RetryAfter``); ``status=502`` answers "Bad Gateway" (PTB: ``NetworkError``);
        ``delay`` answers that many seconds late (then fails with ``status``, or carries the request
        out normally when there is no status); ``until`` holds the request until the test sets
        that event (a hang of the length the test decides). ``times=None`` keeps the fault until removed from
        :attr:`faults`. ``chat_id`` restricts it to requests for that chat.
        """
        if status is None and delay is None and until is None:
            raise ValueError("a fault needs a status, a delay, a hold, or a mix")
        fault = Fault(
            method=method,
            status=status,
            retry_after=retry_after,
            delay=delay,
            times=times,
            chat_id=chat_id,
            description=description,
            until=until,
        )
        self.faults.append(fault)
        return fault

    def enforce_rate_limits(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int | None = 20,
    ) -> RateLimiter:
        """Answer 429 like Telegram when the bot sends messages faster than these limits."""
        self.rate_limiter = RateLimiter(
            global_per_second, per_chat_per_second, per_group_per_minute
        )
        return self.rate_limiter

    # ------------------------------------------------------------------ applied per request

    @staticmethod
    def _raw_chat_id(params: Params) -> int | None:
        """The numeric ``chat_id`` of a request, or None; a malformed one is the method's business."""
        try:
            chat_id = params.chat_id() if params.has("chat_id") else None
        except ApiError:
            return None
        return chat_id if isinstance(chat_id, int) else None

    async def _apply_faults(self, method: str, params: Params) -> None:
        """Carry out the first matching fault: wait its delay, then raise its error if it has one."""
        chat_id = self._raw_chat_id(params)
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.hits += 1
                if fault.delay:
                    # Stopping the server ends the delay at once, so that tests shut down promptly.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), fault.delay)
                if fault.until is not None:
                    closing = asyncio.ensure_future(self._closing.wait())
                    released = asyncio.ensure_future(fault.until.wait())
                    await asyncio.wait({closing, released}, return_when=asyncio.FIRST_COMPLETED)
                    closing.cancel()
                    released.cancel()
                error = fault.error()
                if error is not None:
                    raise error
                return

    def _check_rate_limits(self, method: str, params: Params) -> None:
        """Count a message-sending request against the flood limits, or raise Telegram's 429."""
        if self.rate_limiter is not None and method.lower() in RATE_LIMITED_METHODS:
            chat = self._chats.get(self._raw_chat_id(params) or 0)
            self.rate_limiter.check(
                chat.id if chat else None,
                is_group=chat is not None and not chat.is_private,
                new_message=method.lower() not in EDIT_METHODS,
            )
