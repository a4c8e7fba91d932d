"""Invitation links, one per configured channel: the Telegram deep link (`/start TOKEN`) and the
wa.me link that types the invitation's sentence for the person (they only press send). Whichever
link a person opens, the first message that carries the token binds them on that channel."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from bot.config import Settings
from bot.texts import plain


def telegram_link(bot_username: str, token: str) -> str:
    """The deep link that opens the bot and redeems `token` (`/start <token>`)."""
    return f"https://t.me/{bot_username}?start={token}"


def whatsapp_link(number: str, token: str) -> str:
    """The wa.me link that opens a chat with the bot's number, the invitation's sentence typed."""
    return f"https://wa.me/{number}?text={quote(plain('wa-invite-text', token=token))}"


def invitation_links(settings: Settings, bot_username: str | None) -> Callable[[str], list[str]]:
    """The links of a token for the configured channels: Telegram's when its username is known,
    WhatsApp's when WhatsApp is on and its number set."""

    def links(token: str) -> list[str]:
        made = [telegram_link(bot_username, token)] if bot_username else []
        if settings.whatsapp_on and settings.whatsapp_number:
            made.append(whatsapp_link(settings.whatsapp_number, token))
        return made

    return links
