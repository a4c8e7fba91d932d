"""Webhook delivery: the handshake, signatures, at-least-once retries, replays, hostile posts."""

from __future__ import annotations

import asyncio
import json

import pytest
from pywa_async import WhatsApp

from bot.fakeapi.whatsapp import FakeWhatsApp, post_signed, signature
from tests.fakeapi.whatsapp.conftest import VERIFY_TOKEN, PywaReceiver

SARI = "6281234567001"


async def test_a_wrong_verify_token_fails_the_handshake(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    endpoint = PywaReceiver(wa)
    await endpoint.start()
    try:
        with pytest.raises(AssertionError, match="verification handshake"):
            await fake.deliver_to(endpoint.url, verify_token="not-the-token")
    finally:
        await endpoint.stop()


async def test_every_webhook_is_signed_with_the_app_secret(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    await fake.person(SARI, "Sari").send("halo")
    await fake.settled()
    body, status = receiver.posts[-1]
    assert status == 200
    assert fake.events[-1].body == body
    assert fake.sign(body) == signature(body, "test-app-secret")
    envelope = json.loads(body)
    assert envelope["object"] == "whatsapp_business_account"
    assert envelope["entry"][0]["id"] == fake.waba_id
    change = envelope["entry"][0]["changes"][0]
    assert change["field"] == "messages"
    assert change["value"]["metadata"] == {
        "display_phone_number": fake.number,
        "phone_number_id": fake.phone_number_id,
    }
    [contact] = change["value"]["contacts"]
    assert contact["wa_id"] == SARI
    assert contact["user_id"].startswith("ID.")


async def test_a_refused_webhook_is_posted_again_until_accepted(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    receiver.refuse = 2
    wamid = await fake.person(SARI, "Sari").send("halo")
    await fake.settled()
    [event] = [e for e in fake.events if e.ref == wamid]
    assert event.statuses_answered == [500, 500, 200]
    assert [m.id for m in receiver.messages()] == [wamid]


async def test_a_webhook_that_times_out_is_posted_again(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    fake.webhook_timeout = 0.2
    receiver.stall = asyncio.Event()
    wamid = await fake.person(SARI, "Sari").send("halo")
    [event] = [e for e in fake.events if e.ref == wamid]
    assert await fake.wait_for(lambda: True if event.attempts >= 2 else None, 15)
    receiver.stall.set()
    receiver.stall = None
    await fake.settled()
    assert event.statuses_answered[0] == 0
    assert event.statuses_answered[-1] == 200
    assert wamid in [m.id for m in receiver.messages()]


async def test_webhooks_wait_while_the_bot_is_down_and_arrive_when_it_is_back(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    port = receiver.port
    await receiver.stop()
    wamid = await fake.person(SARI, "Sari").send("halo")
    [event] = [e for e in fake.events if e.ref == wamid]
    assert await fake.wait_for(lambda: True if event.attempts >= 2 else None, 15)
    assert not event.delivered
    await receiver.start(port)
    await fake.settled()
    assert [m.id for m in receiver.messages()] == [wamid]


async def test_a_replayed_webhook_reaches_the_bot_twice(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    wamid = await fake.person(SARI, "Sari").send("halo")
    await fake.settled()
    assert await fake.replay(wamid) == 200
    assert [m.id for m in receiver.messages()] == [wamid, wamid]
    assert await fake.replay(fake.events[0].id) == 200


async def test_a_bad_or_missing_signature_is_refused_by_a_pywa_receiver(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    await fake.person(SARI, "Sari").send("halo")
    await fake.settled()
    body = fake.events[0].body
    assert await fake.post_raw(body, "sha256=" + "0" * 64) == 403
    assert await fake.post_raw(body, None) == 401
    assert await fake.post_raw(body, fake.sign(body)) == 200
    tampered = body.replace(b"halo", b"hack")
    assert await fake.post_raw(tampered, fake.sign(body)) == 403


async def test_post_signed_signs_any_body_for_the_bots_webhook_tests(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    await fake.person(SARI, "Sari").send("halo")
    await fake.settled()
    body = json.loads(fake.events[0].body)
    assert await post_signed(receiver.url, body, fake.app_secret) == 200
    assert await post_signed(receiver.url, body, "another-secret") == 403


async def test_a_message_status_for_a_message_pywa_sent_carries_the_contact(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    sent = await wa.send_message(to=SARI, text="x")
    await fake.settled()
    status = receiver.statuses(sent.id)[0]
    assert status.from_user.wa_id == SARI
    assert status.from_user.bsuid == sari.bsuid
    assert status.metadata.phone_number_id == fake.phone_number_id


async def test_settled_says_what_the_bot_did_not_accept(fake: FakeWhatsApp) -> None:
    await fake.person(SARI, "Sari").send("halo")
    with pytest.raises(AssertionError, match="not accepted"):
        await fake.settled(timeout=0.1)


async def test_the_handshake_uses_the_verify_token_query(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    endpoint = PywaReceiver(wa)
    await endpoint.start()
    try:
        await fake.deliver_to(endpoint.url, verify_token=VERIFY_TOKEN)
    finally:
        await endpoint.stop()


async def test_a_status_about_a_message_never_sent_can_be_forged(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    event = fake.forge_status("wamid.never-sent", "read")
    await fake.settled()
    assert event.delivered
    [status] = receiver.statuses("wamid.never-sent")
    assert status.status.value == "read"


async def test_webhooks_can_be_posted_several_at_once(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    fake.delivery.concurrency = 2
    fake.webhook_timeout = 60  # a first POST that stalls is not given up while the second goes
    endpoint = PywaReceiver(wa)
    endpoint.stall = asyncio.Event()
    await endpoint.start()
    try:
        await fake.deliver_to(endpoint.url, verify_token=VERIFY_TOKEN)
        sari = fake.person(SARI, "Sari")
        await sari.send("satu")
        await sari.send("dua")
        both_in_flight = await fake.wait_for(
            lambda: True if all(e.attempts == 1 for e in fake.events) else None, 15
        )
        assert both_in_flight
        endpoint.stall.set()
        await fake.settled()
        assert sorted(str(m.text) for m in endpoint.messages()) == ["dua", "satu"]
    finally:
        await endpoint.stop()
