"""Injected faults and rate limits, as pywa's client meets them."""

from __future__ import annotations

import httpx
import pytest
from pywa_async import WhatsApp, errors

from bot.fakeapi.whatsapp import DEFAULT_API_VERSION, FakeWhatsApp
from tests.fakeapi.whatsapp.conftest import PywaReceiver

SARI = "6281234567001"


async def test_injected_5xx_and_429_answers_come_back_as_pywa_errors(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    fake.fail_next(1, status=500)
    fake.fail_next(1, status=503)
    fake.fail_next(1, status=429)
    with pytest.raises(errors.WhatsAppError) as first:
        await wa.send_message(to=SARI, text="x")
    assert first.value.status_code == 500
    assert first.value.is_transient is True
    with pytest.raises(errors.ServiceUnavailable) as second:
        await wa.send_message(to=SARI, text="x")
    assert second.value.status_code == 503
    with pytest.raises(errors.RateLimitHit) as third:
        await wa.send_message(to=SARI, text="x")
    assert third.value.status_code == 429
    delivered = await wa.send_message(to=SARI, text="akhirnya")
    assert (await sari.next_message()).id == delivered.id
    assert sari.messages == [fake.messages[delivered.id]]


async def test_a_fault_can_be_limited_to_uploads(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    fake.fail_next(1, status=500, only="/media")
    with pytest.raises(errors.WhatsAppError):
        await wa.upload_media(b"%PDF", mime_type="application/pdf", filename="a.pdf")
    assert (await wa.upload_media(b"%PDF", mime_type="application/pdf", filename="a.pdf")).id


async def test_a_slow_answer_times_the_client_out_but_the_message_still_goes(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    fake.slow_next(1, seconds=1.0)
    async with httpx.AsyncClient(timeout=0.2) as session:
        client = WhatsApp(phone_id=fake.phone_number_id, token=fake.token, session=session)
        client.api._session.base_url = f"{fake.api_url}/{DEFAULT_API_VERSION}"
        with pytest.raises(httpx.TimeoutException):
            await client.send_message(to=SARI, text="terlambat")
    assert (await sari.next_message()).text == "terlambat"


async def test_more_than_the_throughput_per_second_is_refused_with_130429(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    now = [100.0]
    fake.monotonic = lambda: now[0]
    fake.rate_limit_per_second = 3
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    for _ in range(3):
        await wa.send_message(to=SARI, text="x")
    with pytest.raises(errors.RateLimitHit) as refused:
        await wa.send_message(to=SARI, text="x")
    assert refused.value.code == 130429
    now[0] += 1.0
    await wa.send_message(to=SARI, text="x")


async def test_the_default_throughput_is_80_messages_per_second(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    fake.monotonic = lambda: 5.0
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    for _ in range(80):
        await wa.send_message(to=SARI, text="x")
    with pytest.raises(errors.RateLimitHit):
        await wa.send_message(to=SARI, text="x")


async def test_a_burst_to_one_person_hits_the_pair_limit_131056(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    now = [0.0]
    fake.monotonic = lambda: now[0]
    fake.pair_limit = (2, 6.0)
    sari = fake.person(SARI, "Sari")
    budi = fake.person("6281234567002", "Budi")
    await sari.send("halo")
    await budi.send("halo")
    await wa.send_message(to=SARI, text="1")
    await wa.send_message(to=SARI, text="2")
    with pytest.raises(errors.TooManyMessages) as refused:
        await wa.send_message(to=SARI, text="3")
    assert refused.value.code == 131056
    await wa.send_message(to=budi.wa_id, text="untuk Budi")
    now[0] += 6.0
    await wa.send_message(to=SARI, text="3")
