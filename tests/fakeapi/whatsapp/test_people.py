"""People of the fake WhatsApp: every kind of message they post parses with pywa; how they read."""

from __future__ import annotations

import pytest
from pywa_async import WhatsApp, types
from pywa_async.types import Button, MessageType

from bot.fakeapi.whatsapp import FakeWhatsApp
from tests.fakeapi.whatsapp.conftest import PywaReceiver

SARI = "6281234567001"


async def test_voice_sticker_location_contacts_and_reactions_parse_with_pywa(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    sent = await wa.send_message(to=SARI, text="Ada tugas")
    await sari.send_voice()
    await sari.send_sticker()
    await sari.send_location(name="Kantor Wali Kota")
    await sari.send_contacts("Budi", "6281200000009")
    await sari.react(sent.id, "👍")
    await fake.settled()
    messages = receiver.messages()[1:]
    assert [m.type for m in messages] == [
        MessageType.AUDIO,
        MessageType.STICKER,
        MessageType.LOCATION,
        MessageType.CONTACTS,
        MessageType.REACTION,
    ]
    voice, sticker, location, contacts, reaction = messages
    assert voice.audio is not None and voice.audio.voice is True
    assert sticker.sticker is not None and sticker.sticker.mime_type == "image/webp"
    assert location.location is not None and location.location.name == "Kantor Wali Kota"
    assert contacts.contacts is not None
    card_name = contacts.contacts[0].name
    assert card_name is not None and card_name.formatted_name == "Budi"
    assert reaction.reaction is not None
    assert reaction.reaction.emoji == "👍"
    assert reaction.reaction.message_id == sent.id


async def test_an_edited_text_arrives_as_pywas_edited_message(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    original = await sari.send("tugas")
    await sari.edit(original, "status")
    await fake.settled()
    [edited] = receiver.of_type(types.EditedMessage)
    assert edited.original_message_id == original
    assert edited.message.text == "status"
    with pytest.raises(AssertionError, match="no message"):
        await sari.edit("wamid.unknown", "x")


async def test_an_unsupported_message_parses_as_unsupported(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send_raw(
        {
            "type": "unsupported",
            "errors": [
                {
                    "code": 131051,
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "error_data": {"details": "Message type is currently not supported."},
                }
            ],
            "unsupported": {"type": "poll"},
        }
    )
    await fake.settled()
    [message] = receiver.messages()
    assert message.type == MessageType.UNSUPPORTED
    assert message.error is not None and message.error.code == 131051


async def test_next_message_reads_one_message_at_a_time_oldest_first(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    for text in ("satu", "dua", "tiga"):
        await wa.send_message(to=SARI, text=text)
    assert [(await sari.next_message()).text for _ in range(3)] == ["satu", "dua", "tiga"]
    with pytest.raises(AssertionError, match="waited"):
        await sari.next_message(timeout=0.05)


async def test_waiting_for_a_text_reads_everything_up_to_it(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    first = await wa.send_message(to=SARI, text="satu")
    await wa.send_message(to=SARI, text="*dua* hal")
    third = await wa.send_message(to=SARI, text="tiga")
    assert (await sari.wait_for_text("dua hal")).text == "*dua* hal"
    assert fake.messages[first.id].status == "read"
    assert fake.messages[third.id].status == "delivered"
    assert (await sari.next_message()).id == third.id


async def test_pressing_a_label_no_message_shows_lists_the_visible_buttons(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    await wa.send_message(to=SARI, text="Pilih", buttons=[Button("Setuju", "ok")])
    with pytest.raises(AssertionError, match="Setuju"):
        await sari.press("Tolak")


async def test_an_old_message_can_still_be_pressed(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    old = await wa.send_message(to=SARI, text="Lama", buttons=[Button("Setuju", "ok:old")])
    await wa.send_message(to=SARI, text="Baru", buttons=[Button("Setuju", "ok:new")])
    await sari.press("Setuju")
    await sari.press_in(old.id, "Setuju")
    await fake.settled()
    assert [p.data for p in receiver.of_type(types.CallbackButton)] == ["ok:new", "ok:old"]


async def test_the_transcript_shows_both_directions_with_the_channel(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    await wa.send_message(
        to=SARI, text="Pilih", buttons=[Button("Setuju", "ok"), Button("Tolak", "no")]
    )
    await sari.press("Setuju")
    sari.unreachable()
    await wa.send_message(to=SARI, text="Tidak sampai")
    transcript = fake.transcript()
    assert transcript.splitlines() == [
        "Sari (WhatsApp): halo",
        "PPID Bot → Sari (WhatsApp): Pilih",
        "    [ Setuju ] [ Tolak ]",
        "Sari (WhatsApp) pressed [ Setuju ]",
        "PPID Bot → Sari (WhatsApp) ✗ failed 131026: Tidak sampai",
    ]


async def test_a_wa_me_invitation_link_sends_its_text_to_the_business(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    link = f"https://wa.me/{fake.number}?text=Halo%2C%20kode%20undangan%20saya%3A%20ABC123"
    await sari.open_link(link)
    await fake.settled()
    assert receiver.messages()[0].text == "Halo, kode undangan saya: ABC123"
    with pytest.raises(AssertionError, match="not 6281100000001"):
        await sari.open_link("https://wa.me/6280000000000?text=x")


async def test_the_environment_points_the_bot_at_the_fake(fake: FakeWhatsApp) -> None:
    env = fake.environment(verify_token="rahasia")
    assert env["PPID_WHATSAPP_API_URL"] == fake.api_url
    assert env["PPID_WHATSAPP_VERIFY_TOKEN"] == "rahasia"
    assert env["PPID_WHATSAPP_API_VERSION"] == "v23.0"
    assert env["PPID_WHATSAPP_TOKEN"] == fake.token
