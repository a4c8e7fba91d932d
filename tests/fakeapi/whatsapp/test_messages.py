"""Sending through the fake with pywa's own client: the real answers, limits and error classes."""

from __future__ import annotations

import httpx
import pytest
from pywa_async import WhatsApp, errors, types
from pywa_async.types import Button, Section, SectionList, SectionRow

from bot.fakeapi.whatsapp import DEFAULT_API_VERSION, FakeWhatsApp
from tests.fakeapi.whatsapp.conftest import PywaReceiver

SARI = "6281234567001"


async def test_pywa_sends_a_text_and_gets_its_own_sent_message(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    sent = await wa.send_message(to=SARI, text="*Selamat datang*, Ibu Sari")
    assert isinstance(sent, types.SentMessage)
    assert sent.id.startswith("wamid.")
    assert sent.to == SARI
    got = await sari.next_message()
    assert got.id == sent.id
    assert got.text == "*Selamat datang*, Ibu Sari"
    assert got.plain == "Selamat datang, Ibu Sari"
    assert fake.calls_to("/messages")[-1].body["text"] == {
        "body": "*Selamat datang*, Ibu Sari",
        "preview_url": False,
    }


async def test_a_message_can_be_addressed_by_the_business_scoped_user_id(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari", bsuid="ID.1234567890123456789")
    await sari.send("halo")
    sent = await wa.send_message(to=sari.bsuid, text="Halo lewat BSUID")
    assert sent.to == sari.bsuid
    assert fake.calls_to("/messages")[-1].body["recipient"] == sari.bsuid
    assert (await sari.next_message()).text == "Halo lewat BSUID"


async def test_reply_buttons_reach_the_person_and_a_press_parses_as_a_callback_button(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("menu")
    sent = await wa.send_message(
        to=SARI,
        text="Setujui dokumen?",
        buttons=[Button("Setuju", callback_data="ok:7"), Button("Tolak", callback_data="no:7")],
    )
    shown = await sari.next_message()
    assert shown.buttons == ["Setuju", "Tolak"]
    await sari.press("Tolak")
    await fake.settled()
    pressed = receiver.of_type(types.CallbackButton)
    assert len(pressed) == 1
    assert pressed[0].data == "no:7"
    assert pressed[0].title == "Tolak"
    assert pressed[0].reply_to_message is not None
    assert pressed[0].reply_to_message.id == sent.id
    assert pressed[0].from_user.wa_id == SARI
    assert pressed[0].from_user.bsuid == sari.bsuid
    assert pressed[0].from_user.name == "Sari"


async def test_a_list_row_press_parses_as_a_callback_selection(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("tugas")
    rows = [
        SectionRow(f"Kasus {i}", callback_data=f"case:{i}", description="DINKES")
        for i in range(1, 6)
    ]
    await wa.send_message(
        to=SARI,
        text="Pilih kasus",
        buttons=SectionList(button_title="Lihat tugas", sections=[Section("Tugas", rows)]),
    )
    shown = await sari.next_message()
    assert shown.list_button == "Lihat tugas"
    assert shown.rows == [f"Kasus {i}" for i in range(1, 6)]
    await sari.press("Kasus 4")
    await fake.settled()
    chosen = receiver.of_type(types.CallbackSelection)
    assert [c.data for c in chosen] == ["case:4"]
    assert chosen[0].description == "DINKES"


async def test_a_text_a_person_sends_is_signed_and_parses_with_pywa(
    fake: FakeWhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    wamid = await sari.send("tugas")
    await fake.settled()
    assert receiver.posts[-1][1] == 200
    [message] = receiver.messages()
    assert message.id == wamid
    assert message.text == "tugas"
    assert message.from_user.wa_id == SARI
    assert message.from_user.bsuid == sari.bsuid
    assert message.metadata.phone_number_id == fake.phone_number_id


@pytest.mark.parametrize(
    ("buttons", "details"),
    [
        ([Button(f"B{i}", f"b{i}") for i in range(4)], "Too many elements"),
        ([Button("x" * 21, "a")], "Button title length invalid"),
        ([Button("A", "same"), Button("B", "same")], "Button id is duplicate"),
        ([Button("Sama", "a"), Button("Sama", "b")], "Button title is duplicate"),
        ([Button("A", "i" * 257)], "Button id length invalid"),
    ],
)
async def test_reply_buttons_beyond_the_limits_are_refused_with_131009(
    fake: FakeWhatsApp, wa: WhatsApp, buttons: list[Button], details: str
) -> None:
    with pytest.raises(errors.InvalidParameter) as refused:
        await wa.send_message(to=SARI, text="Pilih", buttons=buttons)
    assert refused.value.code == 131009
    assert refused.value.status_code == 400
    assert details in (refused.value.details or "")
    assert refused.value.type == "OAuthException"
    assert refused.value.fbtrace_id


async def test_an_interactive_body_over_1024_characters_is_refused(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    with pytest.raises(errors.InvalidParameter) as refused:
        await wa.send_message(to=SARI, text="x" * 1025, buttons=[Button("Ya", "y")])
    assert "Max length: 1024" in (refused.value.details or "")


async def test_a_list_with_eleven_rows_or_a_long_row_title_is_refused(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    too_many = [SectionRow(f"R{i}", f"r{i}") for i in range(11)]
    with pytest.raises(errors.InvalidParameter) as refused:
        await wa.send_message(
            to=SARI,
            text="Pilih",
            buttons=SectionList(
                "Pilih", sections=[Section("A", too_many[:6]), Section("B", too_many[6:])]
            ),
        )
    assert "row count" in (refused.value.details or "")
    with pytest.raises(errors.InvalidParameter) as long_title:
        await wa.send_message(
            to=SARI,
            text="Pilih",
            buttons=SectionList("Pilih", sections=[Section("A", [SectionRow("t" * 25, "r")])]),
        )
    assert "Row title" in (long_title.value.details or "")
    with pytest.raises(errors.InvalidParameter):
        await wa.send_message(
            to=SARI,
            text="Pilih",
            buttons=SectionList("l" * 21, sections=[Section("A", [SectionRow("t", "r")])]),
        )


async def test_a_text_over_4096_characters_is_refused(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    with pytest.raises(errors.InvalidParameter):
        await wa.send_message(to=SARI, text="x" * 4097)


async def test_a_request_without_the_token_gets_401_with_code_190(fake: FakeWhatsApp) -> None:
    async with httpx.AsyncClient(base_url=f"{fake.api_url}/{DEFAULT_API_VERSION}") as http:
        answer = await http.post(
            f"/{fake.phone_number_id}/messages",
            json={
                "messaging_product": "whatsapp",
                "to": SARI,
                "type": "text",
                "text": {"body": "x"},
            },
        )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == 190
    assert answer.json()["error"]["type"] == "OAuthException"


async def test_a_wrong_token_is_an_expired_access_token_for_pywa(fake: FakeWhatsApp) -> None:
    async with httpx.AsyncClient() as session:
        client = WhatsApp(phone_id=fake.phone_number_id, token="WRONG", session=session)
        client.api._session.base_url = f"{fake.api_url}/{DEFAULT_API_VERSION}"
        with pytest.raises(errors.ExpiredAccessToken):
            await client.send_message(to=SARI, text="x")


async def test_an_unknown_message_type_is_refused_with_131051(fake: FakeWhatsApp) -> None:
    async with httpx.AsyncClient(
        base_url=f"{fake.api_url}/v21.0", headers={"Authorization": f"Bearer {fake.token}"}
    ) as http:
        answer = await http.post(
            f"/{fake.phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "to": SARI, "type": "hologram"},
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 131051


async def test_marking_a_received_message_as_read_succeeds(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    wamid = await sari.send("halo")
    assert (await wa.mark_message_as_read(wamid)).success


async def test_a_body_that_is_not_json_is_refused_with_code_100(fake: FakeWhatsApp) -> None:
    async with httpx.AsyncClient(
        base_url=f"{fake.api_url}/{DEFAULT_API_VERSION}",
        headers={"Authorization": f"Bearer {fake.token}"},
    ) as http:
        answer = await http.post(f"/{fake.phone_number_id}/messages", content=b"{not json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100


async def test_a_request_of_an_unforeseen_shape_is_a_loud_protocol_error(
    fake: FakeWhatsApp,
) -> None:
    fake.add_template("tugas_baru", "Ada {{1}} tugas.")
    async with httpx.AsyncClient(
        base_url=f"{fake.api_url}/{DEFAULT_API_VERSION}",
        headers={"Authorization": f"Bearer {fake.token}"},
    ) as http:
        answer = await http.post(
            f"/{fake.phone_number_id}/messages",
            json={
                "messaging_product": "whatsapp",
                "to": SARI,
                "type": "template",
                "template": {
                    "name": "tugas_baru",
                    "language": {"code": "id"},
                    "components": [{"type": "body", "parameters": ["bukan objek"]}],
                },
            },
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100
    assert fake.protocol_errors
    fake.protocol_errors.clear()


async def test_an_unknown_path_is_a_protocol_error(fake: FakeWhatsApp) -> None:
    async with httpx.AsyncClient(
        base_url=f"{fake.api_url}/{DEFAULT_API_VERSION}",
        headers={"Authorization": f"Bearer {fake.token}"},
    ) as http:
        answer = await http.post(f"/{fake.phone_number_id}/register", json={})
    assert answer.status_code == 400
    assert fake.protocol_errors == [f"POST /{fake.phone_number_id}/register"]
    fake.protocol_errors.clear()


async def test_the_business_number_can_be_read_to_check_the_token(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    number = await wa.get_business_phone_number()
    assert number.id == fake.phone_number_id
    assert number.display_phone_number == f"+{fake.number}"
