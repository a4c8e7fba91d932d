"""Unit tests of the Telegram adapter's way in: a Bot API update becomes a neutral event keyed
by its channel and a string event id, whatever kind it is."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.channels.telegram.adapter import CHANNEL, to_event

USER = {"id": 501, "is_bot": False, "first_name": "Sari"}
CHAT = {"id": 501, "type": "private", "first_name": "Sari"}


def update(**body: Any) -> Update:
    found = Update.de_json({"update_id": 9001, **body}, None)
    assert found is not None
    return found


def test_a_message_becomes_an_event_with_its_channel_and_string_id() -> None:
    ev = to_event(update(message={"message_id": 7, "date": 0, "chat": CHAT, "from": USER,
                                  "text": "/tugas@ppid_bot"}), "ppid_bot")  # fmt: skip
    assert ev is not None
    assert (ev.channel, ev.event_id, ev.external_id, ev.command) == (
        CHANNEL,
        "9001",
        "501",
        "tugas",
    )


def test_a_press_becomes_an_event_with_its_button_data() -> None:
    ev = to_event(update(callback_query={"id": "q1", "from": USER, "chat_instance": "c",
                                         "data": "1:tg", "message": {"message_id": 3, "date": 0,
                                                                     "chat": CHAT}}))  # fmt: skip
    assert ev is not None and ev.button == "1:tg" and ev.event_id == "9001"


def test_an_edited_message_changes_nothing() -> None:
    edited = {"message_id": 7, "date": 0, "edit_date": 1, "chat": CHAT, "from": USER, "text": "x"}
    assert to_event(update(edited_message=edited)) is None


def test_a_documents_file_id_is_used_only_on_the_channel_it_came_from() -> None:
    from datetime import UTC, datetime

    from bot.models import Document

    doc = Document(id=1, case_id=1, entry_id=1, step=3, sha256="a" * 64, size=5, mime="x/y",
                   name="a.pdf", channel_file_id="BQACAgIAAx", uploaded_by=1,
                   uploaded_at=datetime(2027, 3, 1, tzinfo=UTC))  # fmt: skip
    assert doc.file_ref("telegram") == "BQACAgIAAx"
    assert doc.file_ref("whatsapp") is None  # uploaded from the store instead


def test_a_deep_link_start_carries_its_invitation_token() -> None:
    body = {"message_id": 8, "date": 0, "chat": CHAT, "from": USER, "text": "/start Abc-123_x"}
    ev = to_event(update(message=body))
    assert ev is not None and ev.invitation == "Abc-123_x"
    plain = to_event(update(message={**body, "text": "/start"}))
    assert plain is not None and plain.invitation is None
