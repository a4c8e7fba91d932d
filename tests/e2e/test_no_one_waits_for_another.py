"""Different people's updates are handled at the same time, each person's in order, and an update
is confirmed to Telegram only once it and every update before it are done (bot/polling.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from telegram import Update

from bot.fakeapi.server import FakeTelegram
from tests.e2e.conftest import Harness
from tests.e2e.processes import eventually

STRANGER = "hanya untuk petugas PPID yang sudah diundang"


def pending_chats(fake: FakeTelegram) -> list[int]:
    """The chats of the updates Telegram still keeps (not confirmed by the bot), in order."""
    return [u["message"]["chat"]["id"] for u in fake.pending_updates if "message" in u]


async def test_another_persons_message_is_answered_while_one_person_is_still_being_answered(
    harness: Harness,
) -> None:
    fake = harness.fake
    budi, ani = fake.person(2001, "Budi"), fake.person(2002, "Ani")
    release = asyncio.Event()
    held = fake.inject("sendMessage", chat_id=budi.id, until=release)
    await budi.send("/start")

    async def budi_in_hand() -> bool | None:
        return True if held.hits else None

    await eventually(budi_in_hand, "the bot to answer Budi")
    await ani.send("/start")
    # Before: Ani waited until Budi's answer had gone out, however long that took.
    assert STRANGER in (await ani.next_message(timeout=20)).text
    assert budi.messages == []
    # Ani's update is done, but Budi's before it is not: neither is confirmed yet.
    assert pending_chats(fake) == [budi.id, ani.id]

    release.set()
    assert STRANGER in (await budi.next_message(timeout=20)).text

    async def all_confirmed() -> bool | None:
        return True if not fake.pending_updates else None

    await eventually(all_confirmed, "both updates to be confirmed", timeout=20)


async def test_one_persons_messages_are_answered_in_the_order_they_were_sent(
    harness: Harness,
) -> None:
    fake = harness.fake
    budi, ani = fake.person(2001, "Budi"), fake.person(2002, "Ani")
    release = asyncio.Event()
    held = fake.inject("sendMessage", chat_id=budi.id, until=release)
    await budi.send("/start")

    async def budi_in_hand() -> bool | None:
        return True if held.hits else None

    await eventually(budi_in_hand, "the bot to answer Budi")
    await budi.send("/bantuan")
    await ani.send("/start")
    # Ani's answer shows the bot has fetched Budi's second message too; it waits for the first.
    await ani.next_message(timeout=20)
    assert budi.messages == []
    assert pending_chats(fake) == [budi.id, budi.id, ani.id]

    release.set()
    first = await budi.next_message(timeout=20)
    second = await budi.next_message(timeout=20)
    assert STRANGER in first.text and "undangan" in second.text and STRANGER not in second.text


async def test_an_update_in_hand_is_decoded_once_however_often_polling_sees_it_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = harness.fake
    budi = fake.person(2001, "Budi")
    decoded: Counter[int] = Counter()
    de_json = Update.de_json

    def counting(data: dict[str, Any], bot: Any = None) -> Update:
        decoded[data["update_id"]] += 1
        return de_json(data, bot)

    monkeypatch.setattr(Update, "de_json", counting)
    release = asyncio.Event()
    held = fake.inject("sendMessage", chat_id=budi.id, until=release)
    await budi.send("/start")
    polls = len(fake.calls_of("getUpdates"))

    async def polled_while_busy() -> bool | None:
        # Each busy poll returns Budi's unconfirmed update again.
        return True if held.hits and len(fake.calls_of("getUpdates")) >= polls + 5 else None

    await eventually(polled_while_busy, "polling to see the update in hand again", timeout=30)
    release.set()
    assert STRANGER in (await budi.next_message(timeout=20)).text
    # Before: decoded again at every poll (a fifth of the bot's CPU per update under load).
    assert list(decoded.values()) == [1]
