"""A fake Telegram Bot API server on 127.0.0.1, for the end-to-end tests and the offline demo.

The real python-telegram-bot ``Application`` talks to it over HTTP exactly as it talks to Telegram::

    async with FakeTelegram() as fake:
        app = (
            Application.builder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .build()
        )
        sari = fake.person(user_id=1001, first_name="Sari", username="sari")
        ...  # start the app polling, then: await sari.send("/start"); await sari.next_message()

The server answers like Telegram: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
"description": "..."}`` with Telegram's own error texts and limits (4096-character texts,
1024-character captions, 64-byte callback data, 20 MB downloads...). getUpdates is a real long poll.
Every request the fake cannot understand (an unknown method, a malformed parameter) is answered like
Telegram would *and* recorded in :attr:`FakeTelegram.protocol_errors`, so that a test can fail loudly
(see :func:`assert_no_protocol_errors`).

People are played through :meth:`FakeTelegram.person` (see :mod:`bot.fakeapi.people`). Webhooks
work as on Telegram (see :mod:`bot.fakeapi.updates`).

This module is the HTTP server: its lifecycle, its routes and the dispatch of a request to a Bot API
method. :class:`FakeTelegram` puts together the parts of the fake, each in its own module:

* :mod:`bot.fakeapi.core`: the state and the bookkeeping shared by all the parts;
* :mod:`bot.fakeapi.messages`: sendMessage, the edits, deleteMessage, answerCallbackQuery...;
* :mod:`bot.fakeapi.files`: sendDocument, sendPhoto, getFile and downloads;
* :mod:`bot.fakeapi.updates`: getUpdates, the webhook methods and webhook delivery;
* :mod:`bot.fakeapi.bot_profile`: getMe, the commands, the menu button, the bot's name and texts;
* :mod:`bot.fakeapi.user_actions`: what people do, queued as updates;
* :mod:`bot.fakeapi.fault_injection`: scheduled faults and flood limits.
"""

from __future__ import annotations

import asyncio
from functools import cached_property
from types import TracebackType
from typing import Self

from aiohttp import web

# Besides what this module uses, the imports below re-export every name that was importable from
# here before the server was split into modules, so that no importer has to change.
from bot.fakeapi.bot_profile import COMMAND_SCOPES, BotProfileMethods
from bot.fakeapi.core import (
    DEFAULT_ALLOWED_UPDATES,
    DEFAULT_TOKEN,
    MAX_DOWNLOAD_SIZE,
    UPDATE_TYPES,
    Handler,
    T,
)
from bot.fakeapi.fault_injection import FaultInjection
from bot.fakeapi.faults import EDIT_METHODS, RATE_LIMITED_METHODS, Fault, RateLimiter
from bot.fakeapi.files import MAX_UPLOAD_SIZE, FileMethods
from bot.fakeapi.markup import (
    MarkupError,
    ParsedText,
    command_entities,
    format_text,
    image_size,
    validate_reply_markup,
)
from bot.fakeapi.messages import (
    CHAT_ACTIONS,
    DELETE_WINDOW_SECONDS,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
)
from bot.fakeapi.models import (
    JSON,
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    ChatType,
    EntryKind,
    FakeChat,
    FakeFile,
    FakeUser,
    MessageKind,
    SentMessage,
    TranscriptEntry,
)
from bot.fakeapi.params import ApiError, Params, Upload, bad_request, read_params
from bot.fakeapi.people import FakePerson
from bot.fakeapi.transcript import render_transcript
from bot.fakeapi.updates import (
    DEFAULT_MAX_CONNECTIONS,
    LOOPBACK_HOSTS,
    MAX_SECRET_TOKEN_LENGTH,
    SECRET_TOKEN_HEADER,
    SECRET_TOKEN_PATTERN,
    TERMINATED_BY_SET_WEBHOOK,
    WEBHOOK_ACTIVE,
    WEBHOOK_PORTS,
    WEBHOOK_RETRY_FIRST_SECONDS,
    WEBHOOK_RETRY_MAX_SECONDS,
    WEBHOOK_TIMEOUT_SECONDS,
    UpdateDelivery,
)
from bot.fakeapi.user_actions import UserActions

__all__ = [
    "CHAT_ACTIONS",
    "COMMAND_SCOPES",
    "DEFAULT_ALLOWED_UPDATES",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TOKEN",
    "DELETE_WINDOW_SECONDS",
    "EDIT_METHODS",
    "JSON",
    "LOOPBACK_HOSTS",
    "MAX_CAPTION_LENGTH",
    "MAX_DOWNLOAD_SIZE",
    "MAX_SECRET_TOKEN_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_UPLOAD_SIZE",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "RATE_LIMITED_METHODS",
    "SECRET_TOKEN_HEADER",
    "SECRET_TOKEN_PATTERN",
    "TERMINATED_BY_SET_WEBHOOK",
    "UPDATE_TYPES",
    "WEBHOOK_ACTIVE",
    "WEBHOOK_PORTS",
    "WEBHOOK_RETRY_FIRST_SECONDS",
    "WEBHOOK_RETRY_MAX_SECONDS",
    "WEBHOOK_TIMEOUT_SECONDS",
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "ChatMessage",
    "ChatType",
    "EntryKind",
    "FakeChat",
    "FakeFile",
    "FakePerson",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "Handler",
    "MarkupError",
    "MessageKind",
    "Params",
    "ParsedText",
    "RateLimiter",
    "SentMessage",
    "T",
    "TranscriptEntry",
    "Upload",
    "assert_no_protocol_errors",
    "bad_request",
    "command_entities",
    "format_text",
    "image_size",
    "read_params",
    "render_transcript",
    "validate_reply_markup",
]


def assert_no_protocol_errors(fake: FakeTelegram) -> None:
    """Fail (AssertionError) if the bot made requests the fake did not understand."""
    if fake.protocol_errors:
        listing = "\n".join(f"  - {error}" for error in fake.protocol_errors)
        raise AssertionError(
            f"the bot made {len(fake.protocol_errors)} request(s) the fake Bot API does not "
            f"understand:\n{listing}"
        )


class FakeTelegram(FaultInjection, UserActions, FileMethods, UpdateDelivery, BotProfileMethods):
    """The fake Bot API server, its state, and the factory of the people who talk to the bot.

    The constructor is :meth:`bot.fakeapi.core.ServerCore.__init__`.
    """

    @cached_property
    def _methods(self) -> dict[str, Handler]:
        """The Bot API methods by lower-case name.

        Built from bound methods, so that a subclass that overrides one (the benchmarks do) is
        the one called.
        """
        return {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "setmydescription": self._bot_text_setter("description"),
            "getmydescription": self._bot_text_getter("description"),
            "setmyshortdescription": self._bot_text_setter("short_description"),
            "getmyshortdescription": self._bot_text_getter("short_description"),
            "setmyname": self._bot_text_setter("name"),
            "getmyname": self._bot_text_getter("name"),
            "getchat": self._get_chat,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "getfile": self._get_file,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start listening (on a free port unless one was given)."""
        if self._runner is not None:
            return
        self._closing = asyncio.Event()
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        if self._webhook is not None:
            self._start_delivery(self._webhook)

    async def stop(self) -> None:
        """Stop promptly: pending long polls, delayed answers and webhook deliveries end at once.

        A webhook stays set (its updates stay pending) and is served again after :meth:`start`.
        """
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        self._notify()
        await self._stop_delivery()
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("the fake Telegram server is not started")
        return self._port

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url`` (PTB appends ``<token>/<method>``)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url`` (PTB appends ``<token>/<file_path>``)."""
        return f"{self.url}/file/bot"

    @property
    def api_url(self) -> str:
        """``<base_url><token>``: append ``/<method>`` to call the API by hand."""
        return f"{self.base_url}{self.token}"

    # ------------------------------------------------------------------ people and chats

    def person(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        *,
        started: bool = False,
    ) -> FakePerson:
        """A person in a private chat with the bot (chat id == user id).

        Like on Telegram, the bot may only write to a person who has written to it first (or pressed
        Start); pass ``started=True`` for a person who did so before the test began.
        """
        if user_id <= 0:
            raise ValueError("a user id is a positive number")
        if user_id in self._chats:
            raise ValueError(f"there is already a chat with id {user_id}")
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        chat = FakeChat(id=user_id, type="private", user=user, started=started)
        chat.member_ids.add(user_id)
        self._chats[user_id] = chat
        person = FakePerson(self, user, chat)
        self._people[user_id] = person
        return person

    def group(
        self,
        chat_id: int,
        title: str,
        *,
        username: str | None = None,
        chat_type: ChatType | None = None,
    ) -> FakeChat:
        """A group the bot is a member of; people write there with ``person.send(..., chat=group)``.

        The type is ``supergroup`` for ids starting with -100, ``group`` otherwise.
        """
        if chat_id >= 0:
            raise ValueError("a group chat id is negative")
        if chat_id in self._chats:
            raise ValueError(f"there is already a chat with id {chat_id}")
        if chat_type is None:
            chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = FakeChat(id=chat_id, type=chat_type, title=title, username=username, started=True)
        self._chats[chat_id] = chat
        return chat

    @property
    def people(self) -> list[FakePerson]:
        """Every person created so far."""
        return list(self._people.values())

    def chat(self, chat_id: int) -> FakeChat:
        """The chat with this id (KeyError if unknown)."""
        return self._chats[chat_id]

    # ------------------------------------------------------------------ inspection

    def take_protocol_errors(self) -> list[str]:
        """Return the protocol errors recorded so far and forget them (for tests that expect some)."""
        errors, self.protocol_errors = self.protocol_errors, []
        return errors

    def assert_no_protocol_errors(self) -> None:
        """Fail if the bot made requests the fake did not understand."""
        assert_no_protocol_errors(self)

    def calls_of(self, method: str) -> list[ApiCall]:
        """The calls of one Bot API method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    # ------------------------------------------------------------------ HTTP

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        try:
            params = await read_params(request)
        except ApiError as error:
            self._record_protocol(method, error.description)
            return self._error_response(error)
        handler = self._methods.get(method.lower())
        if handler is None:
            self._record_protocol(method, "unknown Bot API method (not implemented by the fake)")
            self.calls.append(ApiCall(method, params.snapshot(), 404, "Not Found"))
            return self._error_response(ApiError(404, "Not Found"))
        try:
            await self._apply_faults(method, params)
            self._check_rate_limits(method, params)
            result = await handler(params)
        except ApiError as error:
            if error.protocol:
                self._record_protocol(method, error.description)
            self.calls.append(ApiCall(method, params.snapshot(), error.status, error.description))
            return self._error_response(error)
        self.calls.append(ApiCall(method, params.snapshot(), 200))
        return web.json_response({"ok": True, "result": result})

    async def _handle_unknown_path(self, request: web.Request) -> web.StreamResponse:
        self._record_protocol(request.method, f"request to an unknown path {request.path!r}")
        return self._error_response(ApiError(404, "Not Found"))
