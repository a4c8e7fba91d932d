"""The fake Bot API's webhooks: delivery to a tiny receiver on 127.0.0.1, retries, conflicts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot

from bot.fakeapi import FakeTelegram

SECRET = "s3cret_Token-1"


async def call(http: httpx.AsyncClient, method: str, **params: Any) -> Any:
    """Call a method with a JSON body; return the ``result`` of a successful answer."""
    response = await http.post(method, json=params)
    body = response.json()
    assert response.status_code == 200 and body["ok"], body
    return body["result"]


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got."""

    update: dict[str, Any]
    secret: str | None
    content_type: str | None


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and answers the statuses it is told to."""

    url: str
    deliveries: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)
    statuses: list[int] = field(default_factory=list)
    """Statuses for the next requests, in order; 200 once they are used up."""
    failing: bool = False
    """Answer 500 to every request."""

    async def next(self, timeout: float = 5.0) -> Delivery:  # noqa: ASYNC109
        return await asyncio.wait_for(self.deliveries.get(), timeout)

    def nothing_more(self) -> bool:
        return self.deliveries.empty()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="")

    async def handle(request: web.Request) -> web.Response:
        state.deliveries.put_nowait(
            Delivery(
                await request.json(),
                request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                request.headers.get("Content-Type"),
            )
        )
        status = 500 if state.failing else state.statuses.pop(0) if state.statuses else 200
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield state
    finally:
        await runner.cleanup()


async def webhook_info(http: httpx.AsyncClient) -> dict[str, Any]:
    info: dict[str, Any] = await call(http, "getWebhookInfo")
    return info


async def wait_for_error(http: httpx.AsyncClient, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
    """getWebhookInfo as soon as it reports a delivery error."""
    deadline = time.monotonic() + timeout
    while True:
        info = await webhook_info(http)
        if "last_error_message" in info or time.monotonic() > deadline:
            return info
        await asyncio.sleep(0.02)


async def test_updates_arrive_at_the_webhook_in_order_with_the_secret_header(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    assert await call(http, "setWebhook", url=receiver.url, secret_token=SECRET) is True
    sari = fake.person(1001, "Sari")
    for text in ("satu", "dua", "tiga"):
        await sari.send(text)
    deliveries = [await receiver.next() for _ in range(3)]
    assert [d.update["message"]["text"] for d in deliveries] == ["satu", "dua", "tiga"]
    assert [d.update["update_id"] for d in deliveries] == [1, 2, 3]
    assert {d.secret for d in deliveries} == {SECRET}
    assert {d.content_type for d in deliveries} == {"application/json"}
    await fake.wait_until_confirmed()
    assert (await webhook_info(http))["pending_update_count"] == 0


async def test_a_webhook_without_a_secret_token_sends_no_secret_header(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await call(http, "setWebhook", url=receiver.url)
    await fake.person(1001, "Sari").send("halo")
    assert (await receiver.next()).secret is None


async def test_updates_queued_before_set_webhook_are_delivered_to_the_webhook(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await fake.person(1001, "Sari").send("sebelum")
    await call(http, "setWebhook", url=receiver.url)
    assert (await receiver.next()).update["message"]["text"] == "sebelum"


async def test_drop_pending_updates_discards_the_queue_when_the_webhook_is_set(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    sari = fake.person(1001, "Sari")
    await sari.send("lama")
    await call(http, "setWebhook", url=receiver.url, drop_pending_updates=True)
    assert fake.pending_updates == []
    await sari.send("baru")
    assert (await receiver.next()).update["message"]["text"] == "baru"
    assert receiver.nothing_more()


async def test_get_updates_conflicts_while_a_webhook_is_set(
    http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await call(http, "setWebhook", url=receiver.url)
    response = await http.post("getUpdates", json={"timeout": 0})
    assert response.status_code == 409
    assert response.json() == {
        "ok": False,
        "error_code": 409,
        "description": "Conflict: can't use getUpdates method while webhook is active; use "
        "deleteWebhook to delete the webhook first",
    }


async def test_set_webhook_ends_a_running_long_poll_with_a_conflict(
    http: httpx.AsyncClient, receiver: Receiver
) -> None:
    poll = asyncio.create_task(http.post("getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.05)
    await call(http, "setWebhook", url=receiver.url)
    response = await asyncio.wait_for(poll, 2)
    assert response.status_code == 409
    assert response.json()["description"] == "Conflict: terminated by setWebhook request"


async def test_a_500_from_the_receiver_is_retried_and_reported_by_get_webhook_info(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500]
    await call(http, "setWebhook", url=receiver.url)
    sari = fake.person(1001, "Sari")
    await sari.send("pertama")
    await sari.send("kedua")
    received = [(await receiver.next()).update for _ in range(4)]
    assert [u["message"]["text"] for u in received] == ["pertama"] * 3 + ["kedua"]
    await fake.wait_until_confirmed()
    info = await webhook_info(http)
    assert info["pending_update_count"] == 0
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert abs(info["last_error_date"] - time.time()) < 60


async def test_an_unreachable_webhook_keeps_the_update_pending(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    closed = receiver.url.replace("/hook", "/nowhere")  # the receiver answers 404 there
    await call(http, "setWebhook", url=closed)
    await fake.person(1001, "Sari").send("halo")
    info = await wait_for_error(http)
    assert info["url"] == closed
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Wrong response from the webhook: 404 Not Found"


async def test_a_refused_connection_is_reported_as_such(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    async with FakeTelegram() as other:  # a port that surely has nobody listening once stopped
        port = other.port
    await call(http, "setWebhook", url=f"http://127.0.0.1:{port}/hook")
    await fake.person(1001, "Sari").send("halo")
    info = await wait_for_error(http)
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1


async def test_delete_webhook_returns_to_polling_with_the_undelivered_updates(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.failing = True
    await call(http, "setWebhook", url=receiver.url)
    await fake.person(1001, "Sari").send("tertahan")
    await receiver.next()
    assert await call(http, "deleteWebhook") is True
    info = await webhook_info(http)
    assert info["url"] == "" and "last_error_message" not in info
    updates = await call(http, "getUpdates", timeout=0)
    assert [u["message"]["text"] for u in updates] == ["tertahan"]


async def test_delete_webhook_can_drop_the_pending_updates(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.failing = True
    await call(http, "setWebhook", url=receiver.url)
    await fake.person(1001, "Sari").send("tertahan")
    await receiver.next()
    await call(http, "deleteWebhook", drop_pending_updates=True)
    assert await call(http, "getUpdates", timeout=0) == []


async def test_an_empty_url_removes_the_webhook_like_delete_webhook(
    fake: FakeTelegram, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await call(http, "setWebhook", url=receiver.url)
    assert fake.webhook_url == receiver.url
    await call(http, "setWebhook", url="")
    assert fake.webhook_url == ""
    assert await call(http, "getUpdates", timeout=0) == []


@pytest.mark.parametrize(
    ("params", "description"),
    [
        (
            {"url": "http://example.com/hook"},
            "bad webhook: An HTTPS URL must be provided for webhook",
        ),
        (
            {"url": "https://example.com:8080/hook"},
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ),
        (
            {"url": "https://example.com/hook"},
            "bad webhook: Failed to resolve host: Name or service not known",
        ),
        ({"url": "ftp://127.0.0.1/hook"}, "invalid webhook URL specified"),
        ({"url": "http://127.0.0.1:99999/hook"}, "invalid webhook URL specified"),
        (
            {"url": "http://127.0.0.1/hook", "secret_token": "rahasia kami!"},
            "secret token contains unallowed characters",
        ),
        ({"url": "http://127.0.0.1/hook", "secret_token": "x" * 257}, "secret token is too long"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(
    fake: FakeTelegram, http: httpx.AsyncClient, params: dict[str, str], description: str
) -> None:
    response = await http.post("setWebhook", json=params)
    assert response.status_code == 400
    assert response.json()["description"] == f"Bad Request: {description}"
    assert fake.webhook_url == ""


async def test_get_webhook_info_describes_the_webhook_through_python_telegram_bot(
    bot: Bot, receiver: Receiver
) -> None:
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    assert await bot.set_webhook(
        receiver.url,
        secret_token=SECRET,
        max_connections=500,
        allowed_updates=["message", "callback_query"],
    )
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.has_custom_certificate is False
    assert info.max_connections == 100  # clamped like Telegram
    assert info.allowed_updates == ("message", "callback_query")
    assert info.last_error_date is None


async def test_stopping_the_server_cancels_a_retrying_delivery_at_once(
    receiver: Receiver,
) -> None:
    receiver.failing = True
    async with FakeTelegram() as fake:
        async with httpx.AsyncClient(base_url=fake.api_url + "/") as http:
            await call(http, "setWebhook", url=receiver.url)
        await fake.person(1001, "Sari").send("halo")
        await receiver.next()
        started = time.monotonic()
    assert time.monotonic() - started < 1.0
    assert fake.webhook_url == receiver.url  # the webhook stays set; only delivery stopped
    assert len(fake.pending_updates) == 1
