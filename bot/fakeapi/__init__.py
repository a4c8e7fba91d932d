"""A fake Telegram Bot API owned by the project, and the people who talk to the bot through it.

Used by the end-to-end tests and by the offline demo (``python -m bot demo``). Start with
:class:`FakeTelegram` (the server) and :meth:`FakeTelegram.person` (a :class:`FakePerson`); run the real
bot against it with :func:`application_builder` and :func:`polling`.
"""

from bot.fakeapi.faults import Fault, RateLimiter
from bot.fakeapi.harness import application_builder, polling
from bot.fakeapi.models import (
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    FakeFile,
    FakeUser,
    SentMessage,
    TranscriptEntry,
)
from bot.fakeapi.people import FakePerson
from bot.fakeapi.server import DEFAULT_TOKEN, FakeTelegram, assert_no_protocol_errors

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "CallbackAnswer",
    "ChatMessage",
    "FakeChat",
    "FakeFile",
    "FakePerson",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "RateLimiter",
    "SentMessage",
    "TranscriptEntry",
    "application_builder",
    "assert_no_protocol_errors",
    "polling",
]
