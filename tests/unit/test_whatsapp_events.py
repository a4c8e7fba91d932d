"""Reading a WhatsApp webhook's body (every kind of message, who wrote, malformed bodies), what
Meta's error codes mean for a notice, and which typed texts are commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.channels.commands import command_of
from bot.channels.whatsapp.events import MAX_TEXT, Incoming, Malformed, read
from bot.channels.whatsapp.sender import delivery_error
from bot.texts import t

BSUID = "ID.1234567890123456789"
PHONE = "6281234567001"
WHEN = 1_790_000_000


def body(value: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "2000000001", "changes": [{"field": field, "value": value}]}],
    }


def contact(user_id: str | None = BSUID, wa_id: str | None = PHONE) -> dict[str, Any]:
    found: dict[str, Any] = {"profile": {"name": "Sari"}}
    if wa_id is not None:
        found["wa_id"] = wa_id
    if user_id is not None:
        found["user_id"] = user_id
    return found


def one(message: dict[str, Any], *contacts: dict[str, Any]) -> Incoming:
    full = {"from": PHONE, "from_user_id": BSUID, "id": "wamid.A1", "timestamp": str(WHEN),
            **message}  # fmt: skip
    people = list(contacts) if contacts else [contact()]
    (incoming,), statuses = read(body({"contacts": people, "messages": [full]}))
    assert statuses == []
    return incoming


# ---------------------------------------------------------------------- kinds of message


def test_a_text_is_read_with_its_id_time_and_author() -> None:
    got = one({"type": "text", "text": {"body": "Laporan keuangan 2026"}})
    assert got.event_id == "wamid.A1" and got.at == datetime.fromtimestamp(WHEN, UTC)
    ev = got.event
    assert ev is not None and ev.text == "Laporan keuangan 2026" and ev.command is None
    assert ev.channel == "whatsapp" and ev.external_id == BSUID and ev.chat_id == BSUID
    assert ev.message_id == ev.event_id == "wamid.A1" and ev.first_name == "Sari"


def test_a_very_long_text_is_cut_to_what_whatsapp_allows() -> None:
    ev = one({"type": "text", "text": {"body": "x" * (MAX_TEXT + 500)}}).event
    assert ev is not None and ev.text is not None and len(ev.text) == MAX_TEXT


def test_a_command_word_and_its_slash_form_are_commands() -> None:
    for typed in ("Tugas", "/tugas", "  tugas  "):
        ev = one({"type": "text", "text": {"body": typed}}).event
        assert ev is not None and ev.command == "tugas", typed


def test_the_sentence_of_a_wa_me_invitation_carries_its_token() -> None:
    sentence = "Halo PPID Bot, saya ingin bergabung. Kode undangan: AbC_dEf-12345678"
    ev = one({"type": "text", "text": {"body": sentence}}).event
    assert ev is not None and ev.command == "start" and ev.invitation == "AbC_dEf-12345678"


def test_a_press_on_a_reply_button_or_a_list_row_carries_the_buttons_data() -> None:
    button = one(
        {
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "ok:12", "title": "Setuju"},
            },
        }
    ).event
    row = one({"type": "interactive", "interactive": {
        "type": "list_reply", "list_reply": {"id": "open:7", "title": "DINKES"}}}).event  # fmt: skip
    assert button is not None and button.button == "ok:12"
    assert row is not None and row.button == "open:7"


def test_a_press_on_a_templates_quick_reply_carries_its_payload() -> None:
    ev = one({"type": "button", "button": {"payload": "tasks", "text": "Buka tugas"}}).event
    assert ev is not None and ev.button == "tasks"


def test_an_interactive_message_without_a_reply_is_a_press_on_nothing() -> None:
    ev = one({"type": "interactive", "interactive": {"type": "nfm_reply"}}).event
    assert ev is not None and ev.button == ""


def test_a_document_is_a_file_with_its_name_type_and_caption() -> None:
    ev = one({"type": "document", "document": {
        "id": "777", "filename": "lkpd.pdf", "mime_type": "application/pdf", "caption": "#2"},
        "context": {"forwarded": True}}).event  # fmt: skip
    assert ev is not None and ev.file is not None and ev.caption == "#2"
    assert (ev.file.file_id, ev.file.name, ev.file.mime, ev.file.photo) == (
        "777", "lkpd.pdf", "application/pdf", False)  # fmt: skip


def test_a_photo_is_a_file_the_bot_names_by_its_declared_type() -> None:
    for mime in ("image/jpeg", "image/png"):
        ev = one({"type": "image", "image": {"id": "778", "mime_type": mime}}).event
        assert ev is not None and ev.file is not None and ev.file.photo
        assert ev.file.name is None and ev.file.mime == mime and ev.caption is None


def test_a_document_without_a_media_id_is_a_message_the_bot_cannot_read() -> None:
    ev = one({"type": "document", "document": {"filename": "x.pdf"}}).event
    assert ev is not None and ev.file is None and ev.unsupported == "other"


@pytest.mark.parametrize(
    ("kind", "what"),
    [("audio", "audio"), ("voice", "audio"), ("video", "video"), ("sticker", "sticker"),
     ("location", "location"), ("contacts", "contacts"), ("unsupported", "other"),
     ("order", "other"), ("edit", "edited")],
)  # fmt: skip
def test_kinds_the_bot_cannot_read_are_named_for_the_answer(kind: str, what: str) -> None:
    ev = one({"type": kind, kind: {"id": "1"}}).event
    assert ev is not None and ev.unsupported == what and ev.text is None and ev.file is None


def test_an_edited_text_is_not_taken_as_a_new_one() -> None:
    ev = one({"type": "edit", "edit": {"original_message_id": "wamid.A0",
              "message": {"type": "text", "text": {"body": "tugas"}}}}).event  # fmt: skip
    assert ev is not None and ev.unsupported == "edited" and ev.command is None


def test_a_reaction_asks_nothing() -> None:
    assert one({"type": "reaction", "reaction": {"message_id": "w", "emoji": "👍"}}).event is None


# ---------------------------------------------------------------------- who wrote


def test_a_person_is_keyed_on_the_business_scoped_id_and_the_number_kept_as_contact() -> None:
    person = one({"type": "text", "text": {"body": "halo"}}).person
    assert (person.key, person.phone, person.name) == (BSUID, PHONE, "Sari")


def test_without_a_business_scoped_id_the_number_is_the_key() -> None:
    person = one({"type": "text", "text": {"body": "halo"}, "from_user_id": None},
                 contact(user_id=None)).person  # fmt: skip
    assert (person.key, person.phone) == (PHONE, PHONE)


def test_a_person_who_hides_the_number_has_no_phone() -> None:
    person = one({"type": "text", "text": {"body": "halo"}, "from": None},
                 contact(wa_id=None)).person  # fmt: skip
    assert (person.key, person.phone) == (BSUID, None)


def test_among_several_contacts_the_author_is_found_by_id_or_number() -> None:
    other = contact(user_id="ID.999", wa_id="6289999")
    by_id = one({"type": "text", "text": {"body": "a"}}, other, contact())
    assert by_id.person.key == BSUID
    by_number = one({"type": "text", "text": {"body": "a"}, "from_user_id": None},
                    other, contact())  # fmt: skip
    assert by_number.person.key == BSUID


def test_a_message_without_contacts_is_keyed_on_its_sender() -> None:
    full = {"from": PHONE, "id": "wamid.B", "timestamp": str(WHEN), "type": "text",
            "text": {"body": "halo"}}  # fmt: skip
    (got,), _ = read(body({"messages": [full]}))
    assert got.person.key == PHONE and got.person.phone is None


def test_a_message_without_contacts_or_sender_is_dropped() -> None:
    full = {"id": "wamid.C", "timestamp": str(WHEN), "type": "text", "text": {"body": "halo"}}
    assert read(body({"messages": [full]})) == ([], [])


# ---------------------------------------------------------------------- statuses


def test_statuses_are_read_with_the_error_of_a_failure() -> None:
    value = {"statuses": [
        {"id": "wamid.S1", "status": "delivered", "timestamp": str(WHEN)},
        {"id": "wamid.S2", "status": "failed", "timestamp": str(WHEN + 1),
         "errors": [{"code": 131026, "title": "Message undeliverable"}]},
        {"id": "wamid.S3", "status": "failed", "timestamp": str(WHEN + 2),
         "errors": [{"code": "131047", "message": "Re-engagement message"}]},
    ]}  # fmt: skip
    messages, (delivered, gone, window) = read(body(value))
    assert messages == []
    assert (delivered.message_id, delivered.status, delivered.code) == ("wamid.S1", "delivered",
                                                                        None)  # fmt: skip
    assert (gone.status, gone.code, gone.title) == ("failed", 131026, "Message undeliverable")
    assert (window.code, window.title) == (131047, "Re-engagement message")


def test_changes_of_other_fields_are_ignored() -> None:
    value = {"messages": [{"id": "x", "type": "text", "text": {"body": "a"}, "from": PHONE,
                           "timestamp": str(WHEN)}]}  # fmt: skip
    assert read(body(value, field="account_update")) == ([], [])


# ---------------------------------------------------------------------- malformed bodies

GOOD_MESSAGE = {"from": PHONE, "id": "wamid.M", "timestamp": str(WHEN), "type": "text",
                "text": {"body": "a"}}  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": {}},
        {"object": "whatsapp_business_account", "entry": [1]},
        {"object": "whatsapp_business_account", "entry": [{"changes": ["x"]}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
        body({"messages": {"id": "x"}}),
        body({"messages": ["x"]}),
        body({"contacts": [{"profile": {"name": "no id"}}], "messages": [GOOD_MESSAGE]}),
        body({"contacts": [contact()], "messages": [{**GOOD_MESSAGE, "id": ""}]}),
        body({"contacts": [contact()], "messages": [{**GOOD_MESSAGE, "timestamp": "soon"}]}),
        body({"contacts": [contact()], "messages": [{**GOOD_MESSAGE, "timestamp": "9" * 40}]}),
    ],
)
def test_a_body_that_is_not_a_webhook_is_malformed(bad: dict[str, Any]) -> None:
    with pytest.raises(Malformed):
        read(bad)


# ---------------------------------------------------------------------- Meta's error codes


def test_throughput_limits_ask_to_wait() -> None:
    for code, seconds in ((130429, 2), (131056, 10)):
        error = delivery_error(code, "limit", 400)
        assert error.kind == "retry_after" and error.retry_in == timedelta(seconds=seconds)


def test_the_closed_window_asks_for_a_template() -> None:
    assert delivery_error(131047, "Re-engagement message").kind == "window_closed"


def test_a_number_that_cannot_receive_makes_the_person_unreachable() -> None:
    gone = delivery_error(131026, "Message undeliverable")
    assert gone.kind == "permanent" and gone.reach == "unreachable-wa-gone"
    locked = delivery_error(131031, "Business account locked")
    assert locked.kind == "permanent" and "WhatsApp" in t(str(locked.reach))
    blocked = delivery_error(131050, "stopped marketing")
    assert blocked.kind == "permanent" and blocked.reach == "unreachable-blocked"


def test_server_faults_time_outs_and_unknown_errors_are_tried_again() -> None:
    assert delivery_error(1, "unknown", 500).kind == "transient"
    assert delivery_error(131000, "something went wrong", 500).kind == "transient"
    assert delivery_error(999999, "new", 503).kind == "transient"
    assert delivery_error(None, "no code").kind == "transient"
    assert delivery_error(190, "token expired", 401).kind == "transient"  # an admin fixes it


def test_a_request_the_platform_will_never_take_is_given_up() -> None:
    refused = delivery_error(100, "Invalid parameter", 400)
    assert refused.kind == "permanent" and refused.reach is None


# ---------------------------------------------------------------------- typed commands


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("tugas", ("tugas", "")), ("Menu", ("menu", "")), ("  STATUS ", ("status", "")),
     ("/laporan 2027-03", ("laporan", "2027-03")), ("/bantuan", ("bantuan", "")),
     ("help", ("bantuan", "")), ("/cancel", ("batal", "")), ("mulai", ("start", "")),
     ("/start ABC", ("start", "ABC"))],
)  # fmt: skip
def test_a_command_word_alone_or_with_its_slash_is_a_command(
    typed: str, expected: tuple[str, str]
) -> None:
    assert command_of(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "Laporan keuangan 2026",
        "status gizi balita",
        "menu makan siang",
        "",
        "   ",
        "/hapus",
        "tugasku",
        "terima kasih",
    ],
)
def test_a_sentence_or_another_word_is_not_a_command(typed: str) -> None:
    assert command_of(typed) is None


def test_a_status_the_bot_does_not_know_is_skipped_alone_beside_a_message() -> None:
    odd = [{"id": "wamid.S", "status": "played", "timestamp": str(WHEN)},
           {"status": "read", "timestamp": str(WHEN)},
           {"id": "wamid.T", "status": "read", "timestamp": "yesterday"},
           {"id": "wamid.U", "status": "read", "timestamp": str(WHEN)}]  # fmt: skip
    message = {"from": "6281234567001", "id": "wamid.M", "timestamp": str(WHEN), "type": "text",
               "text": {"body": "menu"}}  # fmt: skip
    contact = {"wa_id": "6281234567001", "user_id": "ID.1", "profile": {"name": "Sari"}}
    incoming, statuses = read(body({"contacts": [contact], "messages": [message],
                                    "statuses": odd}))  # fmt: skip
    assert [m.event_id for m in incoming] == ["wamid.M"]
    assert [s.message_id for s in statuses] == ["wamid.U"]
