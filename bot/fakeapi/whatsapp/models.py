"""The records of the fake WhatsApp Cloud API: what the bot sent, what people posted, the calls.

Plain dataclasses shared by the server, the people and the transcript; no I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

JSON = dict[str, Any]

MessageKind = Literal["text", "button", "list", "document", "image", "template"]
Status = Literal["accepted", "sent", "delivered", "read", "failed"]

STATUS_RANK: dict[str, int] = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
"""How far a message went; a status never moves back (``failed`` ends it)."""

_MARKUP = re.compile(r"(?<![\w*_~`])([*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~`])", re.DOTALL)
_MONO = re.compile(r"```(.+?)```|`([^`\n]+)`", re.DOTALL)


def strip_markup(text: str) -> str:
    """WhatsApp's ``*bold*``, ``_italic_``, ``~strike~`` and backtick monospace, without the marks."""
    text = _MONO.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    previous = None
    while previous != text:
        previous = text
        text = _MARKUP.sub(r"\2", text)
    return text


@dataclass(frozen=True)
class GraphError(Exception):
    """A Graph API error answer: HTTP ``status`` and the ``error`` object's fields."""

    status: int
    code: int
    message: str
    details: str | None = None
    subcode: int | None = None
    is_transient: bool | None = None

    def body(self, fbtrace_id: str) -> JSON:
        """The JSON body Meta answers with."""
        error: JSON = {"message": self.message, "type": "OAuthException", "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}


@dataclass
class Media:
    """A stored media object: uploaded by the bot or attached by a person."""

    id: str
    content: bytes
    mime_type: str
    sha256: str
    created_at: datetime
    origin: Literal["upload", "incoming"]
    filename: str | None = None
    declared_size: int | None = None
    """The ``file_size`` to report instead of the real one (a huge file, cheaply)."""

    @property
    def size(self) -> int:
        return self.declared_size if self.declared_size is not None else len(self.content)


@dataclass(frozen=True)
class DocumentView:
    """A document or image the bot sent, as the person sees it."""

    kind: Literal["document", "image"]
    filename: str | None
    content: bytes | None
    """None when sent by a ``link`` the fake could not fetch."""
    mime_type: str | None
    caption: str | None
    media_id: str | None
    link: str | None


@dataclass(frozen=True)
class TemplateView:
    """A template message as the person sees it."""

    name: str
    language: str
    params: tuple[str, ...]
    """The body parameters, in order."""
    quick_replies: tuple[str, ...]
    """The quick-reply button labels."""
    payloads: tuple[str, ...]
    """The payload of each quick-reply button (the template's button text when none was given)."""
    body: str
    """The body with the parameters filled in."""


@dataclass
class Template:
    """A message template of the business account."""

    id: str
    name: str
    language: str
    category: str
    components: list[JSON]
    status: Literal["APPROVED", "PENDING", "REJECTED"]

    @property
    def body_text(self) -> str:
        return next(
            (str(c.get("text", "")) for c in self.components if c.get("type") == "BODY"), ""
        )

    @property
    def param_count(self) -> int:
        return len(set(re.findall(r"\{\{(\d+)\}\}", self.body_text)))

    @property
    def quick_replies(self) -> list[str]:
        labels: list[str] = []
        for component in self.components:
            if component.get("type") == "BUTTONS":
                labels.extend(
                    str(b.get("text", ""))
                    for b in component.get("buttons", [])
                    if b.get("type") == "QUICK_REPLY"
                )
        return labels

    def as_json(self) -> JSON:
        return {
            "name": self.name,
            "parameter_format": "POSITIONAL",
            "components": self.components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id,
        }


@dataclass
class WaMessage:
    """A message the bot sent (accepted by the API), with what became of it."""

    id: str
    """The wamid."""
    to: str
    """The recipient's wa_id (or the input, for an unknown number)."""
    kind: MessageKind
    text: str
    """The body as sent, WhatsApp markup kept (the caption of a document, a template's body)."""
    payload: JSON
    """The request body as the bot posted it."""
    seq: int
    sent_at: datetime
    reply_buttons: tuple[tuple[str, str], ...] = ()
    """(id, title) of each reply button."""
    list_button: str | None = None
    list_rows: tuple[tuple[str, str, str | None], ...] = ()
    """(id, title, description) of every row, all sections in order."""
    template: TemplateView | None = None
    document: DocumentView | None = None
    header: str | None = None
    footer: str | None = None
    status: Status = "accepted"
    errors: list[JSON] = field(default_factory=list)

    @property
    def plain(self) -> str:
        """The text with WhatsApp's markup removed."""
        return strip_markup(self.text)

    @property
    def buttons(self) -> list[str]:
        """The reply-button titles (or a template's quick replies)."""
        if self.template is not None:
            return list(self.template.quick_replies)
        return [title for _, title in self.reply_buttons]

    @property
    def rows(self) -> list[str]:
        """The titles of the list's rows."""
        return [title for _, title, _ in self.list_rows]

    @property
    def delivered(self) -> bool:
        """Whether the person got it (it did not fail)."""
        return self.status != "failed"


@dataclass
class IncomingMessage:
    """A message a person posted to the business (as carried by the webhook)."""

    id: str
    wa_id: str
    type: str
    payload: JSON
    """The ``messages[0]`` object of the webhook."""
    at: datetime


@dataclass
class ApiCall:
    """One request the bot made, and the answer."""

    method: str
    path: str
    """The path without the version, e.g. ``/1000000001/messages``."""
    version: str
    body: Any
    """The JSON body, the form fields of an upload (``file`` as its size), or the query."""
    status: int = 0
    response: Any = None


@dataclass
class WebhookEvent:
    """One webhook POST the fake owes the bot (or already delivered)."""

    id: str
    body: bytes
    kind: Literal["message", "status"]
    ref: str
    """The wamid it is about."""
    attempts: int = 0
    delivered: bool = False
    statuses_answered: list[int] = field(default_factory=list)
    """The HTTP status of each attempt (0: connection error or time-out)."""


EntryKind = Literal["person", "bot", "failed"]


@dataclass(frozen=True)
class TranscriptEntry:
    """One line of the WhatsApp conversation, for the transcript."""

    kind: EntryKind
    person: str
    """The person's name."""
    text: str
    seq: int
    monotonic: float
    """``time.monotonic()`` when it happened: merge with another channel's transcript by it."""
    buttons: tuple[str, ...] = ()
    list_button: str | None = None
    rows: tuple[str, ...] = ()
    attachment: str | None = None
