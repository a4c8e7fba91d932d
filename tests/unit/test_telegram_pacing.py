"""Unit tests of the Telegram pacing: answers to a person go at once, notices use the capacity
left under Telegram's limits, and a 429 is honoured for both. Time is virtual: waiting moves a
clock instead of sleeping."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.channels.telegram.pacing import NOTICE, TelegramPacing


class VirtualPacing(TelegramPacing):
    """Waits by moving its own clock."""

    def __init__(self, **kw: Any) -> None:
        self.now = 0.0
        super().__init__(clock=lambda: self.now, **kw)
        self.waited = 0.0

    async def _wait(self, seconds: float) -> None:  # type: ignore[override]
        if seconds > 0:
            self.now += seconds
            self.waited += seconds


class Calls:
    def __init__(self, pacing: VirtualPacing, fail: list[Exception] | None = None) -> None:
        self.pacing = pacing
        self.at: list[tuple[float, int]] = []
        self.fail = fail or []

    async def send(self, chat: int) -> bool:
        if self.fail:
            raise self.fail.pop(0)
        self.at.append((self.pacing.now, chat))
        return True


async def go(p: VirtualPacing, calls: Calls, chat: int, *, notice: bool) -> None:
    await p.process_request(
        callback=calls.send, args=(chat,), kwargs={}, endpoint="sendMessage",
        data={"chat_id": chat}, rate_limit_args=NOTICE if notice else None,
    )  # fmt: skip


async def test_an_answer_to_a_person_never_waits_behind_notices() -> None:
    p = VirtualPacing()
    calls = Calls(p)
    for chat in range(50):
        await go(p, calls, chat, notice=True)
    busy_until = p.now
    await go(p, calls, 999, notice=False)
    assert calls.at[-1] == (busy_until, 999)  # no wait at all


async def test_notices_are_spaced_to_stay_under_thirty_a_second() -> None:
    p = VirtualPacing()
    calls = Calls(p)
    for chat in range(60):
        await go(p, calls, chat, notice=True)
    times = [at for at, _ in calls.at]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(1 / 29.5)
    assert times[-1] - times[0] == pytest.approx(59 / 29.5)


async def test_notices_to_one_chat_leave_a_second_apart_and_an_answer_counts() -> None:
    p = VirtualPacing()
    calls = Calls(p)
    await go(p, calls, 7, notice=False)  # the bot answered the person just now
    await go(p, calls, 7, notice=True)
    await go(p, calls, 7, notice=True)
    assert [at for at, _ in calls.at] == [0.0, pytest.approx(1.0), pytest.approx(2.0)]


async def test_a_429_on_an_answer_pauses_every_request_and_the_answer_is_tried_again() -> None:
    p = VirtualPacing()
    calls = Calls(p, fail=[RetryAfter(5)])
    await go(p, calls, 1, notice=False)
    [(at, chat)] = calls.at
    assert (at, chat) == (5.0, 1)


async def test_a_429_on_a_notice_goes_back_to_the_dispatcher_and_pauses_the_rest() -> None:
    p = VirtualPacing()
    calls = Calls(p, fail=[RetryAfter(3600)])
    with pytest.raises(RetryAfter):
        await go(p, calls, 1, notice=True)
    assert calls.at == [] and p.now == 0.0  # nothing waited inside the limiter
    await go(p, calls, 2, notice=True)  # the next notice waits out Telegram's pause
    assert calls.at == [(3600.0, 2)]


async def test_an_answer_is_not_held_for_a_long_pause() -> None:
    p = VirtualPacing()
    calls = Calls(p, fail=[RetryAfter(120)])
    with pytest.raises(RetryAfter):
        await go(p, calls, 1, notice=False)
    # An answer right after waits out the pause too: Telegram would refuse it otherwise.
    p.now = 2.0
    p._paused_until = 7.0
    await go(p, calls, 2, notice=False)
    assert calls.at[-1] == (7.0, 2)


async def test_after_the_last_retry_the_429_is_raised() -> None:
    p = VirtualPacing(max_retries=1)
    calls = Calls(p, fail=[RetryAfter(1), RetryAfter(1)])
    with pytest.raises(RetryAfter):
        await go(p, calls, 1, notice=False)
