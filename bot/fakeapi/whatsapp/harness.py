"""Running the real bot's WhatsApp channel against the fake Cloud API: shared by the end-to-end
tests and the offline demo."""

from __future__ import annotations

import socket

from bot.channels.whatsapp.templates import TEMPLATES
from bot.fakeapi.whatsapp.server import FakeWhatsApp
from bot.texts import plain


def free_port() -> int:
    """A loopback port nobody listens on (for the bot's webhook server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def approve_bot_templates(wa: FakeWhatsApp) -> None:
    """The business account has the bot's templates, approved (as after `whatsapp templates
    --submit` and Meta's review)."""
    for tpl in TEMPLATES:
        wa.add_template(tpl.name, tpl.body(), quick_replies=(plain(tpl.button_key),))
