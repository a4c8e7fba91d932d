"""A fake WhatsApp Cloud API owned by the project, and the people who write to the business through it.

Used by the end-to-end tests and the offline demo, beside the fake Telegram (:mod:`bot.fakeapi`); it
imports nothing of python-telegram-bot. Start :class:`FakeWhatsApp` (``async with``), point the
WhatsApp client at :attr:`FakeWhatsApp.api_url`, subscribe the bot's webhook with
:meth:`FakeWhatsApp.deliver_to`, and play people with :meth:`FakeWhatsApp.person`.
"""

from bot.fakeapi.whatsapp.models import (
    ApiCall,
    DocumentView,
    GraphError,
    IncomingMessage,
    Media,
    Template,
    TemplateView,
    TranscriptEntry,
    WaMessage,
    WebhookEvent,
    strip_markup,
)
from bot.fakeapi.whatsapp.people import DEFAULT_TIMEOUT, FakeWhatsAppPerson
from bot.fakeapi.whatsapp.server import DEFAULT_API_VERSION, DEFAULT_TOKEN, FakeWhatsApp
from bot.fakeapi.whatsapp.transcript import render_transcript
from bot.fakeapi.whatsapp.webhooks import SIGNATURE_HEADER, post_signed, signature

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN",
    "SIGNATURE_HEADER",
    "ApiCall",
    "DocumentView",
    "FakeWhatsApp",
    "FakeWhatsAppPerson",
    "GraphError",
    "IncomingMessage",
    "Media",
    "Template",
    "TemplateView",
    "TranscriptEntry",
    "WaMessage",
    "WebhookEvent",
    "post_signed",
    "render_transcript",
    "signature",
    "strip_markup",
]
