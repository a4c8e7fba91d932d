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

People are played through :meth:`FakeTelegram.person` (see :mod:`bot.fakeapi.people`).

Webhooks work as on Telegram: after ``setWebhook`` every update is POSTed as JSON to the webhook URL
(with the ``X-Telegram-Bot-Api-Secret-Token`` header when a secret token was given), one at a time and
in order, by a background task of the server. An update stays pending until the receiver answers 2xx;
failures are retried with a short backoff and reported by ``getWebhookInfo``. While a webhook is set,
``getUpdates`` answers 409 Conflict; ``deleteWebhook`` returns to polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.fakeapi.faults import EDIT_METHODS, RATE_LIMITED_METHODS, Fault, RateLimiter
from bot.fakeapi.markup import (
    MarkupError,
    ParsedText,
    command_entities,
    format_text,
    image_size,
    validate_reply_markup,
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

T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-TOKEN"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
DELETE_WINDOW_SECONDS = 48 * 3600

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
TERMINATED_BY_SET_WEBHOOK = "Conflict: terminated by setWebhook request"
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]*")
MAX_SECRET_TOKEN_LENGTH = 256
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
LOOPBACK_HOSTS = frozenset({"localhost", "::1"})
DEFAULT_MAX_CONNECTIONS = 40
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_RETRY_FIRST_SECONDS = 0.05
WEBHOOK_RETRY_MAX_SECONDS = 1.0

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_ALLOWED_UPDATES = UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

Handler = Callable[[Params], Awaitable[Any]]


@dataclass
class _PendingCallback:
    person: FakePerson
    data: str
    answered: bool = False


@dataclass(frozen=True)
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    allowed_updates: tuple[str, ...] | None


@dataclass(frozen=True)
class _WebhookError:
    date: int
    message: str


def assert_no_protocol_errors(fake: FakeTelegram) -> None:
    """Fail (AssertionError) if the bot made requests the fake did not understand."""
    if fake.protocol_errors:
        listing = "\n".join(f"  - {error}" for error in fake.protocol_errors)
        raise AssertionError(
            f"the bot made {len(fake.protocol_errors)} request(s) the fake Bot API does not "
            f"understand:\n{listing}"
        )


class FakeTelegram:
    """The fake Bot API server, its state, and the factory of the people who talk to the bot."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "ppid_test_bot",
        bot_name: str = "PPID Bot",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_download_size: int | None = MAX_DOWNLOAD_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Prepare a server (not yet listening: call :meth:`start` or use ``async with``).

        ``max_download_size`` is the getFile limit (None emulates a self-hosted Bot API server);
        ``clock`` gives the time of message dates, in Unix seconds.
        """
        bot_id = token.split(":", 1)[0]
        self.token = token
        self.host = host
        self.max_download_size = max_download_size
        self.bot_user = FakeUser(
            id=int(bot_id) if bot_id.isdigit() else 123456,
            first_name=bot_name,
            username=bot_username,
            is_bot=True,
        )
        self.protocol_errors: list[str] = []
        """Requests the fake did not understand; a test should end with this empty."""
        self.sent: list[SentMessage] = []
        """Everything the bot sent, edited or deleted, in order, as it was at that moment."""
        self.calls: list[ApiCall] = []
        """Every Bot API request the bot made, in order."""
        self.faults: list[Fault] = []
        """Scheduled faults, see :meth:`inject`."""
        self.events: list[TranscriptEntry] = []
        """The conversation, for :meth:`transcript`."""
        self.rate_limiter: RateLimiter | None = None
        self._webhook: _Webhook | None = None
        self._webhook_error: _WebhookError | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._requested_port = port
        self._clock = clock
        self._chats: dict[int, FakeChat] = {}
        self._people: dict[int, FakePerson] = {}
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._files: dict[str, FakeFile] = {}
        self._file_paths: dict[str, FakeFile] = {}
        self._file_counter = 0
        self._callbacks: dict[str, _PendingCallback] = {}
        self._query_counter = 0
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._seq = 0
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._methods: dict[str, Handler] = {
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

    @property
    def webhook_url(self) -> str:
        """The URL set by ``setWebhook``, or "" while the bot polls."""
        return self._webhook.url if self._webhook is not None else ""

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

    # ------------------------------------------------------------------ faults and limits

    def inject(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        times: int | None = 1,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> Fault:
        """Schedule a fault for the next ``times`` calls of ``method`` (None: any method).

        ``status=429`` answers "Too Many Requests: retry after N" with ``parameters.retry_after``
        (PTB raises ``RetryAfter``); ``status=502`` answers "Bad Gateway" (PTB: ``NetworkError``);
        ``delay`` answers that many seconds late (then fails with ``status``, or carries the request
        out normally when there is no status). ``times=None`` keeps the fault until removed from
        :attr:`faults`. ``chat_id`` restricts it to requests for that chat.
        """
        if status is None and delay is None:
            raise ValueError("a fault needs a status, a delay, or both")
        fault = Fault(
            method=method,
            status=status,
            retry_after=retry_after,
            delay=delay,
            times=times,
            chat_id=chat_id,
            description=description,
        )
        self.faults.append(fault)
        return fault

    def enforce_rate_limits(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int | None = 20,
    ) -> RateLimiter:
        """Answer 429 like Telegram when the bot sends messages faster than these limits."""
        self.rate_limiter = RateLimiter(
            global_per_second, per_chat_per_second, per_group_per_minute
        )
        return self.rate_limiter

    # ------------------------------------------------------------------ inspection

    def take_protocol_errors(self) -> list[str]:
        """Return the protocol errors recorded so far and forget them (for tests that expect some)."""
        errors, self.protocol_errors = self.protocol_errors, []
        return errors

    def assert_no_protocol_errors(self) -> None:
        """Fail if the bot made requests the fake did not understand."""
        assert_no_protocol_errors(self)

    def unanswered_callbacks(self) -> list[str]:
        """Data of the button presses the bot has not answered with answerCallbackQuery."""
        return [pending.data for pending in self._callbacks.values() if not pending.answered]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for this scope and language (as ``getMyCommands``)."""
        return list(self._commands.get((self._scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> JSON:
        """The menu button the bot set for a chat (or the default one)."""
        return (
            self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "default"}
        )

    def calls_of(self, method: str) -> list[ApiCall]:
        """The calls of one Bot API method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued for the bot and not yet confirmed by it."""
        return list(self._updates)

    async def wait_until_confirmed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and confirmed every queued update."""
        done = await self.wait_for(lambda: True if not self._updates else None, timeout)
        if done is None:
            raise AssertionError(
                f"the bot did not confirm {len(self._updates)} update(s) within {timeout}s: "
                f"{[update['update_id'] for update in self._updates]}"
            )

    def transcript(self) -> str:
        """The whole conversation of all people, chronological and readable."""
        return render_transcript(self.events, self.bot_user.first_name)

    # ------------------------------------------------------------------ used by FakePerson

    @property
    def current_seq(self) -> int:
        """Sequence number of the latest change (messages, edits, presses); see people.py."""
        return self._seq

    def now(self) -> int:
        """Current time in Unix seconds, per the injected clock."""
        return int(self._clock())

    async def wait_for(self, check: Callable[[], T | None], timeout: float) -> T | None:  # noqa: ASYNC109
        """Return ``check()`` as soon as it is not None, re-checking after every change; None on
        timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def post_user_message(
        self,
        person: FakePerson,
        chat: FakeChat,
        *,
        text: str = "",
        file: FakeFile | None = None,
        reply_to: int | None = None,
    ) -> ChatMessage:
        """A person writes ``text`` (or sends ``file`` with ``text`` as caption) in ``chat``."""
        if chat.is_private:
            if chat.blocked:
                self.set_blocked(person, blocked=False)
            chat.started = True
        chat.member_ids.add(person.user.id)
        kind: MessageKind = "text" if file is None else file.kind
        message = ChatMessage(
            chat=chat,
            message_id=chat.allocate_message_id(),
            date=self.now(),
            sender=person.user,
            kind=kind,
            text=text,
            html=text,
            entities=command_entities(text),
            file=file,
            reply_to_message_id=reply_to,
        )
        message.seq_sent = message.seq_changed = self._next_seq()
        chat.messages.append(message)
        self._event(
            "user_text" if file is None else "user_file",
            chat,
            person.user.first_name,
            text=text,
            file=file,
            message_id=message.message_id,
        )
        self._queue_update("message", message.to_api())
        return message

    def post_user_edit(self, person: FakePerson, message: ChatMessage, text: str) -> None:
        """A person edits one of their messages."""
        message.text = message.html = text
        message.entities = command_entities(text)
        message.edit_date = self.now()
        message.seq_changed = self._next_seq()
        self._event(
            "user_edit",
            message.chat,
            person.user.first_name,
            text=text,
            message_id=message.message_id,
        )
        self._queue_update("edited_message", message.to_api())

    def post_callback(
        self, person: FakePerson, message: ChatMessage, data: str, label: str | None
    ) -> str:
        """A person presses an inline button (or forges one); returns the callback query id."""
        self._query_counter += 1
        query_id = f"{person.user.id}{self._query_counter:06d}"
        self._callbacks[query_id] = _PendingCallback(person, data)
        payload: JSON = {
            "id": query_id,
            "from": person.user.to_api(),
            "message": message.to_api(),
            "chat_instance": str(-abs(message.chat.id) * 31 - 7),
            "data": data,
        }
        self._next_seq()
        self._event(
            "press",
            message.chat,
            person.user.first_name,
            text=data,
            buttons=((label,),) if label is not None else (),
            message_id=message.message_id,
        )
        self._queue_update("callback_query", payload)
        return query_id

    def set_blocked(self, person: FakePerson, *, blocked: bool) -> None:
        """A person blocks (or unblocks) the bot; the bot gets a ``my_chat_member`` update."""
        chat = person.chat
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        bot = self.bot_user.to_api()
        old: JSON = {"user": bot, "status": "member"}
        new: JSON = {"user": bot, "status": "kicked", "until_date": 0}
        self._event("block" if blocked else "unblock", chat, person.user.first_name)
        self._queue_update(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": person.user.to_api(),
                "date": self.now(),
                "old_chat_member": new if not blocked else old,
                "new_chat_member": old if not blocked else new,
            },
        )

    def new_file(
        self,
        data: bytes,
        *,
        kind: Literal["document", "photo"],
        filename: str | None = None,
        mime_type: str | None = None,
        declared_size: int | None = None,
    ) -> FakeFile:
        """Register a file (with a new file_id) as Telegram does for every upload."""
        self._file_counter += 1
        number = self._file_counter
        width, height = (0, 0)
        if kind == "photo":
            width, height = image_size(data) or (800, 600)
            mime_type = mime_type or "image/jpeg"
        elif mime_type is None:
            mime_type = (
                mimetypes.guess_type(filename)[0] if filename else None
            ) or "application/octet-stream"
        prefix = "BQACAgUAAxkBAAI" if kind == "document" else "AgACAgUAAxkBAAI"
        file = FakeFile(
            file_id=f"{prefix}{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            size=len(data) if declared_size is None else declared_size,
            kind=kind,
            width=width,
            height=height,
        )
        self._files[file.file_id] = file
        return file

    # ------------------------------------------------------------------ internals

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _notify(self) -> None:
        """Wake everybody waiting for a change (long polls, people waiting for answers)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _record_protocol(self, method: str, description: str) -> None:
        self.protocol_errors.append(f"{method}: {description}")

    def _queue_update(self, kind: str, payload: JSON) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, kind: payload})
        self._notify()
        return update_id

    def _event(
        self,
        kind: EntryKind,
        chat: FakeChat,
        actor: str,
        *,
        text: str = "",
        buttons: Iterable[Iterable[str]] = (),
        file: FakeFile | None = None,
        message_id: int = 0,
        alert: bool = False,
    ) -> None:
        self.events.append(
            TranscriptEntry(
                kind=kind,
                chat_id=chat.id,
                chat_name=chat.display_name,
                is_private=chat.is_private,
                actor=actor,
                text=text,
                buttons=tuple(tuple(row) for row in buttons),
                file=file,
                message_id=message_id,
                alert=alert,
            )
        )

    def _log(
        self, action: Literal["send", "edit", "delete"], method: str, msg: ChatMessage
    ) -> None:
        self.sent.append(
            SentMessage(
                action=action,
                method=method,
                chat_id=msg.chat.id,
                message_id=msg.message_id,
                text=msg.text,
                html=msg.html,
                buttons=tuple(tuple(row) for row in msg.buttons),
                file=msg.file,
                date=self.now(),
            )
        )

    @staticmethod
    def _scope_key(scope: JSON | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    # ------------------------------------------------------------------ HTTP

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        return web.json_response(error.to_api(), status=error.status)

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
            if self.rate_limiter is not None and method.lower() in RATE_LIMITED_METHODS:
                chat = self._chats.get(self._raw_chat_id(params) or 0)
                self.rate_limiter.check(
                    chat.id if chat else None,
                    is_group=chat is not None and not chat.is_private,
                    new_message=method.lower() not in EDIT_METHODS,
                )
            result = await handler(params)
        except ApiError as error:
            if error.protocol:
                self._record_protocol(method, error.description)
            self.calls.append(ApiCall(method, params.snapshot(), error.status, error.description))
            return self._error_response(error)
        self.calls.append(ApiCall(method, params.snapshot(), 200))
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        file = self._file_paths.get(path)
        if file is None:
            self._record_protocol(
                "file download", f"unknown file path {path!r} (call getFile first)"
            )
            return self._error_response(ApiError(404, "Not Found"))
        response = web.StreamResponse(
            headers={
                "Content-Type": file.mime_type or "application/octet-stream",
                "Content-Length": str(len(file.data)),
            }
        )
        await response.prepare(request)
        chunk = 64 * 1024
        for start in range(0, len(file.data), chunk):
            await response.write(file.data[start : start + chunk])
        await response.write_eof()
        return response

    async def _handle_unknown_path(self, request: web.Request) -> web.StreamResponse:
        self._record_protocol(request.method, f"request to an unknown path {request.path!r}")
        return self._error_response(ApiError(404, "Not Found"))

    @staticmethod
    def _raw_chat_id(params: Params) -> int | None:
        try:
            chat_id = params.chat_id() if params.has("chat_id") else None
        except ApiError:
            return None
        return chat_id if isinstance(chat_id, int) else None

    async def _apply_faults(self, method: str, params: Params) -> None:
        chat_id = self._raw_chat_id(params)
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.hits += 1
                if fault.delay:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), fault.delay)
                error = fault.error()
                if error is not None:
                    raise error
                return

    # ------------------------------------------------------------------ helpers of the methods

    def _find_chat(self, params: Params) -> FakeChat:
        chat_id = params.chat_id()
        chat: FakeChat | None
        if isinstance(chat_id, str):
            chat = next(
                (c for c in self._chats.values() if c.username and f"@{c.username}" == chat_id),
                None,
            )
        else:
            chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _target_chat(self, params: Params) -> FakeChat:
        """The chat of ``chat_id``, checking that the bot may write there."""
        chat = self._find_chat(params)
        if chat.is_private and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.is_private and not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    @staticmethod
    def _formatted(
        params: Params,
        field: str,
        entities_field: str,
        *,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> ParsedText:
        source = params.string(field) or ""
        try:
            parsed = format_text(
                source, params.string("parse_mode"), params.json_list(entities_field)
            )
        except MarkupError as error:
            raise bad_request(error.description, protocol=error.protocol) from None
        if empty is not None and not parsed.text:
            raise bad_request(empty)
        if len(parsed.text) > limit:
            raise bad_request(too_long)
        return parsed

    @staticmethod
    def _reply_markup(params: Params, *, inline_only: bool = False) -> JSON | None:
        markup = params.json("reply_markup")
        if markup is None:
            return None
        try:
            return validate_reply_markup(markup, inline_only=inline_only)
        except MarkupError as error:
            raise bad_request(error.description, protocol=error.protocol) from None

    @staticmethod
    def _reply_to(params: Params, chat: FakeChat) -> int | None:
        reply = params.json_object("reply_parameters")
        message_id = params.integer("reply_to_message_id")
        allow_missing = params.flag("allow_sending_without_reply")
        if reply is not None:
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        if not isinstance(message_id, int):
            raise bad_request("invalid reply message id", protocol=True)
        found = chat.find(message_id)
        if found is None or found.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _post_bot_message(
        self,
        method: str,
        params: Params,
        chat: FakeChat,
        parsed: ParsedText,
        *,
        kind: MessageKind,
        source: str,
        markup: JSON | None,
        file: FakeFile | None = None,
    ) -> ChatMessage:
        message = ChatMessage(
            chat=chat,
            message_id=0,
            date=self.now(),
            sender=self.bot_user,
            kind=kind,
            text=parsed.text,
            html=source,
            parse_mode=params.string("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            file=file,
            reply_to_message_id=self._reply_to(params, chat),
            link_preview_options=params.json_object("link_preview_options"),
        )
        message.message_id = chat.allocate_message_id()
        message.seq_sent = message.seq_changed = self._next_seq()
        chat.messages.append(message)
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self._log("send", method, message)
        self._event(
            "bot_send",
            chat,
            self.bot_user.first_name,
            text=message.text,
            buttons=message.buttons,
            file=file,
            message_id=message.message_id,
        )
        self._notify()
        return message

    def _editable(self, params: Params) -> ChatMessage:
        if params.has("inline_message_id") and not params.has("chat_id"):
            raise bad_request(
                "inline messages are not supported by the fake Bot API", protocol=True
            )
        chat = self._target_chat(params)
        message_id = params.integer("message_id", required=True)
        message = chat.find(message_id or 0)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(
        self,
        method: str,
        message: ChatMessage,
        markup: JSON | None,
        parsed: ParsedText | None = None,
        source: str | None = None,
        parse_mode: str | None = None,
    ) -> JSON:
        same_content = parsed is None or (
            parsed.text == message.text and parsed.entities == message.entities
        )
        if same_content and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        if parsed is not None:
            message.text = parsed.text
            message.entities = parsed.entities
            message.html = source or ""
            message.parse_mode = parse_mode
        message.reply_markup = markup
        message.edit_date = self.now()
        message.seq_changed = self._next_seq()
        self._log("edit", method, message)
        self._event(
            "bot_edit" if parsed is not None else "bot_markup",
            message.chat,
            self.bot_user.first_name,
            text=message.text,
            buttons=message.buttons,
            file=message.file if parsed is not None else None,
            message_id=message.message_id,
        )
        self._notify()
        return message.to_api()

    def _outgoing_file(self, source: Upload | str, kind: Literal["document", "photo"]) -> FakeFile:
        if isinstance(source, Upload):
            if not source.data:
                raise bad_request("file must be non-empty")
            if kind == "photo" and image_size(source.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            mime = source.content_type
            if mime in (None, "application/octet-stream") and source.filename:
                mime = mimetypes.guess_type(source.filename)[0] or mime
            return self.new_file(source.data, kind=kind, filename=source.filename, mime_type=mime)
        existing = self._files.get(source)
        if existing is not None:
            if existing.kind != kind:
                raise bad_request(
                    f"can't use file of type {existing.kind.title()} as {kind.title()}"
                )
            return existing
        if source.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ Bot API methods

    async def _true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> JSON:
        return {
            **self.bot_user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, params: Params) -> bool:
        if params.has("certificate"):
            raise bad_request(
                "custom certificates are not supported by the fake Bot API", protocol=True
            )
        # A missing url is an empty one, and an empty url removes the webhook, as on Telegram.
        url = self._checked_webhook_url((params.string("url") or "").strip())
        secret = params.string("secret_token") or ""
        if len(secret) > MAX_SECRET_TOKEN_LENGTH:
            raise bad_request("secret token is too long")
        if not SECRET_TOKEN_PATTERN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = self._allowed_updates_param(params)
        # Telegram clamps max_connections to 1..100 rather than refusing it.
        max_connections = params.integer("max_connections") or DEFAULT_MAX_CONNECTIONS
        max_connections = min(max(max_connections, 1), 100)
        await self._stop_delivery()
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or DEFAULT_ALLOWED_UPDATES
        if not url:
            self._webhook = self._webhook_error = None
            self._notify()
            return True
        previous = self._webhook
        if previous is None or previous.url != url:
            self._webhook_error = None
        allowed_updates = tuple(allowed) if allowed is not None else None
        if allowed_updates is None and previous is not None:
            allowed_updates = previous.allowed_updates
        self._webhook = _Webhook(
            url=url,
            secret_token=secret or None,  # an empty secret_token means "no secret", as on Telegram
            max_connections=max_connections,
            ip_address=params.string("ip_address"),
            allowed_updates=allowed_updates,
        )
        self._notify()  # a pending long poll ends with 409 "terminated by setWebhook request"
        self._start_delivery(self._webhook)
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        await self._stop_delivery()
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        self._webhook = self._webhook_error = None
        self._notify()
        return True

    async def _get_webhook_info(self, params: Params) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": sum(
                1 for update in self._updates if self._update_type(update) in self._allowed_updates
            ),
        }
        hook = self._webhook
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.allowed_updates is not None:
                info["allowed_updates"] = list(hook.allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"] = self._webhook_error.date
            info["last_error_message"] = self._webhook_error.message
        return info

    @staticmethod
    def _allowed_updates_param(params: Params) -> list[str] | None:
        allowed = params.json_list("allowed_updates")
        if allowed is None:
            return None
        names = list(dict.fromkeys(map(str, allowed)))
        unknown = set(names) - UPDATE_TYPES
        if unknown:
            raise bad_request(
                f"unknown update types in allowed_updates: {sorted(unknown)}", protocol=True
            )
        return names

    @staticmethod
    def _checked_webhook_url(url: str) -> str:
        """The webhook URL if Telegram would accept it ("" stays "", meaning no webhook).

        Deviation from Telegram, for tests: a URL on this machine (127.0.0.0/8, ``localhost``,
        ``::1``) may be plain http and use any port, as the self-hosted ``telegram-bot-api --local``
        server allows. Telegram itself requires https on port 80, 88, 443 or 8443. The fake never
        leaves the machine, so any other host is refused as if it could not be resolved.
        """
        if not url:
            return ""
        if "://" not in url:
            url = f"https://{url}"  # Telegram reads a URL without a scheme as https
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise bad_request("invalid webhook URL specified") from None
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise bad_request("invalid webhook URL specified")
        if host in LOOPBACK_HOSTS or re.fullmatch(r"127(\.\d{1,3}){3}", host):
            return url
        if parts.scheme.lower() != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if port is not None and port not in WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")

    async def _get_updates(self, params: Params) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        allowed = self._allowed_updates_param(params)
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or DEFAULT_ALLOWED_UPDATES
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older pending poll ends with 409 Conflict, as on Telegram

        def batch() -> list[JSON] | None:
            if self._webhook is not None:
                raise ApiError(409, TERMINATED_BY_SET_WEBHOOK)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            self._updates = [
                u for u in self._updates if self._update_type(u) in self._allowed_updates
            ]
            if self._updates or self._closing.is_set():
                return self._updates[:limit]
            return None

        return await self.wait_for(batch, timeout) or []

    @staticmethod
    def _update_type(update: JSON) -> str:
        return next(key for key in update if key != "update_id")

    # ------------------------------------------------------------------ webhook delivery

    def _start_delivery(self, hook: _Webhook) -> None:
        if self._delivery is None and self._runner is not None:
            self._delivery = asyncio.create_task(
                self._deliver_updates(hook), name="fake Telegram webhook delivery"
            )

    async def _stop_delivery(self) -> None:
        """Cancel the delivery task and wait for it; an update being posted stays pending."""
        task, self._delivery = self._delivery, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})
        if not task.cancelled():
            task.result()  # a bug in the delivery loop surfaces here rather than being lost

    async def _next_pending_update(self) -> JSON:
        while True:
            changed = self._changed
            self._updates = [
                u for u in self._updates if self._update_type(u) in self._allowed_updates
            ]
            if self._updates:
                return self._updates[0]
            await changed.wait()

    async def _deliver_updates(self, hook: _Webhook) -> None:
        """POST the pending updates to the webhook, oldest first, one at a time, until cancelled."""
        retry_delay = WEBHOOK_RETRY_FIRST_SECONDS
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                update = await self._next_pending_update()
                error = await self._post_update(session, hook, update)
                if error is None:
                    update_id = update["update_id"]
                    self._updates = [u for u in self._updates if u["update_id"] != update_id]
                    retry_delay = WEBHOOK_RETRY_FIRST_SECONDS
                    self._notify()
                    continue
                self._webhook_error = _WebhookError(self.now(), error)
                await asyncio.sleep(retry_delay)
                retry_delay = min(retry_delay * 2, WEBHOOK_RETRY_MAX_SECONDS)

    @staticmethod
    async def _post_update(
        session: aiohttp.ClientSession, hook: _Webhook, update: JSON
    ) -> str | None:
        """Deliver one update; None on a 2xx answer, else the error as Telegram words it."""
        # PTB's webhook server refuses anything but exactly "application/json".
        headers = {"Content-Type": "application/json"}
        if hook.secret_token is not None:
            headers[SECRET_TOKEN_HEADER] = hook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        try:
            async with session.post(hook.url, data=body, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                status = f"{response.status} {response.reason or ''}".rstrip()
                return f"Wrong response from the webhook: {status}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection error: {type(error).__name__}"

    async def _send_message(self, params: Params) -> JSON:
        chat = self._target_chat(params)
        if not params.has("text"):
            raise bad_request("message text is empty", protocol=True)
        parsed = self._formatted(
            params,
            "text",
            "entities",
            limit=MAX_TEXT_LENGTH,
            too_long="message is too long",
            empty="message text is empty",
        )
        markup = self._reply_markup(params)
        message = self._post_bot_message(
            "sendMessage",
            params,
            chat,
            parsed,
            kind="text",
            source=params.string("text") or "",
            markup=markup,
        )
        return message.to_api()

    async def _send_media(
        self, method: str, params: Params, kind: Literal["document", "photo"]
    ) -> JSON:
        chat = self._target_chat(params)
        source = params.input_file(kind)
        if source is None:
            raise bad_request(f"there is no {kind} in the request", protocol=True)
        file = self._outgoing_file(source, kind)
        parsed = self._formatted(
            params,
            "caption",
            "caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
            empty=None,
        )
        markup = self._reply_markup(params)
        message = self._post_bot_message(
            method,
            params,
            chat,
            parsed,
            kind=kind,
            source=params.string("caption") or "",
            markup=markup,
            file=file,
        )
        return message.to_api()

    async def _send_document(self, params: Params) -> JSON:
        return await self._send_media("sendDocument", params, "document")

    async def _send_photo(self, params: Params) -> JSON:
        return await self._send_media("sendPhoto", params, "photo")

    async def _edit_message_text(self, params: Params) -> JSON:
        message = self._editable(params)
        if not params.has("text"):
            raise bad_request("message text is empty", protocol=True)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        parsed = self._formatted(
            params,
            "text",
            "entities",
            limit=MAX_TEXT_LENGTH,
            too_long="message is too long",
            empty="message text is empty",
        )
        markup = self._reply_markup(params, inline_only=True)
        return self._apply_edit(
            "editMessageText",
            message,
            markup,
            parsed,
            params.string("text"),
            params.string("parse_mode"),
        )

    async def _edit_message_caption(self, params: Params) -> JSON:
        message = self._editable(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        parsed = self._formatted(
            params,
            "caption",
            "caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
            empty=None,
        )
        markup = self._reply_markup(params, inline_only=True)
        return self._apply_edit(
            "editMessageCaption",
            message,
            markup,
            parsed,
            params.string("caption"),
            params.string("parse_mode"),
        )

    async def _edit_message_reply_markup(self, params: Params) -> JSON:
        message = self._editable(params)
        markup = self._reply_markup(params, inline_only=True)
        return self._apply_edit("editMessageReplyMarkup", message, markup)

    async def _delete_message(self, params: Params) -> bool:
        chat = self._target_chat(params)
        message_id = params.integer("message_id", required=True)
        message = chat.find(message_id or 0)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if self.now() - message.date > DELETE_WINDOW_SECONDS:
            raise bad_request("message can't be deleted for everyone")
        message.deleted = True
        message.seq_changed = self._next_seq()
        self._log("delete", "deleteMessage", message)
        self._event("bot_delete", chat, self.bot_user.first_name, message_id=message.message_id)
        self._notify()
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.string("callback_query_id", required=True) or ""
        pending = self._callbacks.get(query_id)
        if pending is None or pending.answered:
            raise bad_request(QUERY_TOO_OLD)
        pending.answered = True
        text = params.string("text") or ""
        show_alert = params.flag("show_alert")
        pending.person.answers.append(
            CallbackAnswer(query_id, pending.data, text, show_alert, params.string("url"))
        )
        if text:
            self._event(
                "toast", pending.person.chat, self.bot_user.first_name, text=text, alert=show_alert
            )
        self._next_seq()
        self._notify()
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        chat = self._target_chat(params)
        action = params.string("action", required=True)
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request", protocol=True)
        chat.actions.append(action)
        return True

    def _command_key(self, params: Params) -> tuple[str, str]:
        scope = params.json_object("scope") or {"type": "default"}
        if scope.get("type") not in COMMAND_SCOPES:
            raise bad_request(f"unsupported command scope {scope!r}", protocol=True)
        if "chat_id" in scope:
            chat_id = scope["chat_id"]
            if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
                scope = {**scope, "chat_id": int(chat_id)}
            if scope["chat_id"] not in self._chats:
                raise bad_request("chat not found")
        return self._scope_key(scope), params.string("language_code") or ""

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.json_list("commands")
        if commands is None:
            raise bad_request("parameter 'commands' is required", protocol=True)
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        stored: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand", protocol=True)
            name, description = command.get("command"), command.get("description")
            if (
                not isinstance(name, str)
                or not name
                or len(name) > 32
                or not all(c.islower() or c.isdigit() or c == "_" for c in name)
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        self._commands[self._command_key(params)] = stored
        return True

    async def _get_my_commands(self, params: Params) -> list[JSON]:
        return list(self._commands.get(self._command_key(params), []))

    async def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(self._command_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id = self._find_chat(params).id if params.has("chat_id") else None
        button = params.json_object("menu_button") or {"type": "default"}
        if button.get("type") not in ("commands", "web_app", "default"):
            raise bad_request(f"unsupported menu button {button!r}", protocol=True)
        self._menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: Params) -> JSON:
        chat_id = self._find_chat(params).id if params.has("chat_id") else None
        return self.menu_button(chat_id)

    def _bot_text_setter(self, field: str) -> Handler:
        async def setter(params: Params) -> bool:
            value = params.string(field) or ""
            self._bot_texts[(field, params.string("language_code") or "")] = value
            return True

        return setter

    def _bot_text_getter(self, field: str) -> Handler:
        async def getter(params: Params) -> JSON:
            language = params.string("language_code") or ""
            value = self._bot_texts.get((field, language), self._bot_texts.get((field, ""), ""))
            if field == "name" and not value:
                value = self.bot_user.first_name
            return {field: value}

        return getter

    async def _get_chat(self, params: Params) -> JSON:
        chat = self._find_chat(params)
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11}

    async def _get_file(self, params: Params) -> JSON:
        file_id = params.string("file_id", required=True) or ""
        file = self._files.get(file_id)
        if file is None:
            raise bad_request("invalid file_id")
        if self.max_download_size is not None and file.size > self.max_download_size:
            raise bad_request("file is too big")
        if file.file_path is None:
            suffix = PurePosixPath(file.filename or "").suffix or (
                ".jpg" if file.kind == "photo" else ""
            )
            folder = "documents" if file.kind == "document" else "photos"
            file.file_path = f"{folder}/file_{len(self._file_paths)}{suffix}"
            self._file_paths[file.file_path] = file
        return file.to_file()
