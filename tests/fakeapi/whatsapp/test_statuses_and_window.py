"""Statuses and the 24-hour window, parsed by pywa as the bot's adapter will parse them."""

from __future__ import annotations

import json
from datetime import timedelta

from pywa_async import WhatsApp, errors
from pywa_async.types import MessageStatusType

from bot.fakeapi.whatsapp import FakeWhatsApp
from tests.fakeapi.whatsapp.conftest import PywaReceiver

SARI = "6281234567001"


async def test_a_delivered_message_gets_sent_delivered_and_read_once_the_person_reads_it(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    sent = await wa.send_message(to=SARI, text="Ada tugas baru")
    await fake.settled()
    assert [s.status for s in receiver.statuses(sent.id)] == [
        MessageStatusType.SENT,
        MessageStatusType.DELIVERED,
    ]
    await sari.next_message()
    await fake.settled()
    statuses = receiver.statuses(sent.id)
    assert statuses[-1].status == MessageStatusType.READ
    assert statuses[-1].from_user.wa_id == SARI
    assert statuses[-1].from_user.bsuid == sari.bsuid
    assert fake.statuses_of(sent.id) == ["sent", "delivered", "read"]
    assert fake.messages[sent.id].status == "read"


async def test_a_free_form_message_to_a_silent_person_fails_with_131047(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    fake.travel(timedelta(hours=24, minutes=1))
    sent = await wa.send_message(to=SARI, text="Pengingat")
    assert sent.id.startswith("wamid.")
    await fake.settled()
    [failed] = receiver.statuses(sent.id)
    assert failed.status == MessageStatusType.FAILED
    assert isinstance(failed.error, errors.ReEngagementMessage)
    assert failed.error.code == 131047
    assert sari.messages == []
    assert fake.messages[sent.id].status == "failed"


async def test_a_person_who_never_wrote_is_outside_the_window(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    fake.person(SARI, "Sari")
    sent = await wa.send_message(to=SARI, text="Halo")
    await fake.settled()
    assert receiver.statuses(sent.id)[0].error is not None
    assert fake.statuses_of(sent.id) == ["failed"]


async def test_writing_again_reopens_the_window(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    fake.travel(timedelta(days=2))
    assert not sari.in_window
    await sari.send("tugas")
    assert sari.in_window
    await wa.send_message(to=SARI, text="Tugas Anda")
    assert (await sari.next_message()).text == "Tugas Anda"


async def test_an_unreachable_or_unknown_number_fails_with_131026(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    sari.unreachable()
    to_sari = await wa.send_message(to=SARI, text="x")
    to_nobody = await wa.send_message(to="6289999999999", text="x")
    await fake.settled()
    for wamid in (to_sari.id, to_nobody.id):
        [status] = receiver.statuses(wamid)
        assert isinstance(status.error, errors.MessageUndeliverable)
    sari.reachable()
    again = await wa.send_message(to=SARI, text="y")
    assert (await sari.next_message()).id == again.id


async def test_statuses_can_come_out_of_order_and_twice(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    fake.reverse_statuses = True
    fake.duplicate_statuses = True
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    sent = await wa.send_message(to=SARI, text="x")
    await fake.settled()
    assert [s.status.value for s in receiver.statuses(sent.id)] == [
        "delivered",
        "delivered",
        "sent",
        "sent",
    ]
    assert fake.messages[sent.id].status == "delivered"


async def test_failed_statuses_can_leave_out_the_contacts_as_metas_2026_payloads_do(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    fake.failed_status_contacts = False
    fake.person(SARI, "Sari")
    sent = await wa.send_message(to=SARI, text="Halo")
    [event] = [e for e in fake.events if e.ref == sent.id]
    value = json.loads(event.body)["entry"][0]["changes"][0]["value"]
    assert "contacts" not in value
    [status] = value["statuses"]
    assert status["status"] == "failed"
    assert status["recipient_id"] == SARI
    assert "recipient_user_id" not in status
    assert status["errors"][0]["code"] == 131047
