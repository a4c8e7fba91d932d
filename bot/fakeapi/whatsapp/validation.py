"""The checks of ``POST /{phone-number-id}/messages``: Meta's limits and its error answers.

A request that breaks a limit is refused synchronously with HTTP 400 and Graph error 131009
("Parameter value is not valid", the limit in ``error_data.details``), 131008 for a missing
required parameter, 100 for a malformed request and 131051 for a message type the API does not know.
Limits (Cloud API reference, 2026): text body 4,096; interactive body 1,024 (list body 4,096);
header and footer 60; at most 3 reply buttons, title 1-20, id 1-256, unique ids and titles; a list
has one button label 1-20, 1-10 sections, at most 10 rows in total, row title 1-24, id 1-200,
description 72, section title 24 (required with several sections); captions 1,024.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.fakeapi.whatsapp.models import JSON, GraphError

MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_LIST_BODY = 4096
MAX_HEADER_FOOTER = 60
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_LABEL = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_ID = 200
MAX_ROW_DESCRIPTION = 72
MAX_SECTION_TITLE = 24
MAX_CAPTION = 1024

SUPPORTED_TYPES = (
    "text",
    "interactive",
    "document",
    "image",
    "template",
    "audio",
    "video",
    "sticker",
    "location",
    "contacts",
    "reaction",
)


def invalid(details: str) -> GraphError:
    """131009: a parameter breaks a limit."""
    return GraphError(400, 131009, "(#131009) Parameter value is not valid", details)


def missing(details: str) -> GraphError:
    """131008: a required parameter is missing."""
    return GraphError(400, 131008, "(#131008) Required parameter is missing", details)


def malformed(message: str) -> GraphError:
    """100: the request itself is not understood."""
    return GraphError(400, 100, f"(#100) {message}")


@dataclass
class Outgoing:
    """A valid send request, decoded."""

    type: str
    recipient: str
    by_user_id: bool
    """Addressed by ``recipient`` (a BSUID) rather than ``to``."""
    text: str = ""
    header: str | None = None
    footer: str | None = None
    reply_buttons: list[tuple[str, str]] = field(default_factory=list)
    list_button: str | None = None
    list_rows: list[tuple[str, str, str | None]] = field(default_factory=list)
    media: JSON | None = None
    template: JSON | None = None


def _text(value: Any, what: str, maximum: int, *, minimum: int = 1) -> str:
    if not isinstance(value, str):
        raise (
            missing(f"{what} is required")
            if value is None
            else malformed(f"Param {what} must be a string.")
        )
    if not minimum <= len(value) <= maximum:
        raise invalid(f"{what} length invalid. Min length: {minimum}, Max length: {maximum}")
    return value


def _object(value: Any, what: str) -> JSON:
    if value is None:
        raise missing(f"{what} is required")
    if not isinstance(value, dict):
        raise malformed(f"Param {what} must be a JSON object.")
    return value


def parse_send(payload: Any) -> Outgoing:
    """Decode and check a messages request; raises :class:`GraphError` as Meta would."""
    if not isinstance(payload, dict):
        raise malformed("The parameter messaging_product is required.")
    if payload.get("messaging_product") != "whatsapp":
        raise malformed("The parameter messaging_product is required.")
    to, user_id = payload.get("to"), payload.get("recipient")
    if not to and not user_id:
        raise malformed("The parameter to is required.")
    recipient = str(to or user_id)
    kind = payload.get("type", "text")
    if kind not in SUPPORTED_TYPES:
        raise GraphError(
            400,
            131051,
            "(#131051) Unsupported message type",
            f"Message type {kind!r} is not currently supported.",
        )
    out = Outgoing(type=str(kind), recipient=recipient, by_user_id=not to)
    if kind == "text":
        text = _object(payload.get("text"), "text")
        out.text = _text(text.get("body"), "text['body']", MAX_TEXT)
    elif kind == "interactive":
        _parse_interactive(_object(payload.get("interactive"), "interactive"), out)
    elif kind in ("document", "image"):
        media = _object(payload.get(kind), kind)
        if not media.get("id") and not media.get("link"):
            raise missing(f"{kind}['id'] or {kind}['link'] is required")
        if media.get("caption") is not None:
            out.text = _text(media["caption"], f"{kind}['caption']", MAX_CAPTION)
        out.media = media
    elif kind == "template":
        template = _object(payload.get("template"), "template")
        _text(template.get("name"), "template['name']", 512)
        language = _object(template.get("language"), "template['language']")
        _text(language.get("code"), "template['language']['code']", 15)
        components = template.get("components", [])
        if not isinstance(components, list):
            raise malformed("Param template['components'] must be an array.")
        out.template = template
    else:
        raise GraphError(
            400,
            131051,
            "(#131051) Unsupported message type",
            f"The fake WhatsApp does not deliver {kind!r} messages from businesses.",
        )
    return out


def _parse_interactive(interactive: JSON, out: Outgoing) -> None:
    kind = interactive.get("type")
    if kind not in ("button", "list"):
        raise invalid(f"interactive['type'] {kind!r} is not supported by the fake")
    body = _object(interactive.get("body"), "interactive['body']")
    limit = MAX_LIST_BODY if kind == "list" else MAX_INTERACTIVE_BODY
    out.text = _text(body.get("text"), "body['text']", limit)
    header = interactive.get("header")
    if header is not None:
        header_obj = _object(header, "interactive['header']")
        if header_obj.get("type") != "text":
            raise invalid("Only text headers are supported by the fake")
        out.header = _text(header_obj.get("text"), "header['text']", MAX_HEADER_FOOTER)
    footer = interactive.get("footer")
    if footer is not None:
        out.footer = _text(
            _object(footer, "interactive['footer']").get("text"),
            "footer['text']",
            MAX_HEADER_FOOTER,
        )
    action = _object(interactive.get("action"), "interactive['action']")
    if kind == "button":
        out.type = "button"
        _parse_buttons(action, out)
    else:
        out.type = "list"
        _parse_list(action, out)


def _parse_buttons(action: JSON, out: Outgoing) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise missing("action['buttons'] is required")
    if len(buttons) > MAX_BUTTONS:
        raise invalid(f"buttons: Too many elements. Limit is {MAX_BUTTONS}")
    for button in buttons:
        button_obj = _object(button, "button")
        if button_obj.get("type") != "reply":
            raise invalid("button['type'] must be 'reply'")
        reply = _object(button_obj.get("reply"), "button['reply']")
        title = _text(reply.get("title"), "Button title", MAX_BUTTON_TITLE)
        button_id = _text(reply.get("id"), "Button id", MAX_BUTTON_ID)
        out.reply_buttons.append((button_id, title))
    if len({i for i, _ in out.reply_buttons}) != len(out.reply_buttons):
        raise invalid("Button id is duplicate")
    if len({t for _, t in out.reply_buttons}) != len(out.reply_buttons):
        raise invalid("Button title is duplicate")


def _parse_list(action: JSON, out: Outgoing) -> None:
    out.list_button = _text(action.get("button"), "Button label", MAX_LIST_LABEL)
    sections = action.get("sections")
    if not isinstance(sections, list) or not sections:
        raise missing("action['sections'] is required")
    if len(sections) > MAX_SECTIONS:
        raise invalid(f"sections: Too many elements. Limit is {MAX_SECTIONS}")
    for section in sections:
        section_obj = _object(section, "section")
        title = section_obj.get("title")
        if len(sections) > 1 or title is not None:
            _text(title, "Section title", MAX_SECTION_TITLE)
        rows = section_obj.get("rows")
        if not isinstance(rows, list) or not rows:
            raise missing("section['rows'] is required")
        for row in rows:
            row_obj = _object(row, "row")
            row_id = _text(row_obj.get("id"), "Row id", MAX_ROW_ID)
            row_title = _text(row_obj.get("title"), "Row title", MAX_ROW_TITLE)
            description = row_obj.get("description")
            if description is not None:
                _text(description, "Row description", MAX_ROW_DESCRIPTION, minimum=0)
            out.list_rows.append((row_id, row_title, description))
    if len(out.list_rows) > MAX_ROWS:
        raise invalid(f"Total row count exceed max allowed count: {MAX_ROWS}")
    if len({i for i, _, _ in out.list_rows}) != len(out.list_rows):
        raise invalid("Row id is duplicate")
