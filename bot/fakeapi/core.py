"""The state of the fake Bot API server and the bookkeeping that all its parts share.

:class:`ServerCore` holds everything the server knows (chats, people, queued updates, files, the
webhook, the bot's commands and texts) and the records tests read (``calls``, ``sent``, ``events``,
``protocol_errors``). The Bot API methods are mixins built on it, one module per concern
(``messages``, ``files``, ``updates``, ``bot_profile``, ``user_actions``, ``fault_injection``), and
:class:`bot.fakeapi.server.FakeTelegram` puts them together with the HTTP server.

All the state is created here, in one constructor, so that each mixin can rely on it without
importing another mixin, and so that the whole state of the server can be read in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from bot.fakeapi.faults import Fault, RateLimiter
from bot.fakeapi.models import (
    JSON,
    ApiCall,
    EntryKind,
    FakeChat,
    FakeFile,
    FakeUser,
    SentMessage,
    TranscriptEntry,
)
from bot.fakeapi.params import ApiError, Params, bad_request
from bot.fakeapi.people import FakePerson
from bot.fakeapi.transcript import render_transcript

T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-TOKEN"
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024

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

Handler = Callable[[Params], Awaitable[Any]]
"""A Bot API method of the server: the request's parameters in, the ``result`` out."""


@dataclass
class PendingCallback:
    """A button press queued for the bot, until answerCallbackQuery."""

    person: FakePerson
    data: str
    answered: bool = False


@dataclass(frozen=True)
class Webhook:
    """The webhook set by setWebhook."""

    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    allowed_updates: tuple[str, ...] | None


@dataclass(frozen=True)
class WebhookError:
    """The last failed webhook delivery, as getWebhookInfo reports it."""

    date: int
    message: str


class ServerCore:
    """The state of the fake Bot API server and the helpers every group of methods uses."""

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
        """Scheduled faults, see :meth:`~bot.fakeapi.fault_injection.FaultInjection.inject`."""
        self.events: list[TranscriptEntry] = []
        """The conversation, for :meth:`transcript`."""
        self.rate_limiter: RateLimiter | None = None
        self._webhook: Webhook | None = None
        self._webhook_error: WebhookError | None = None
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
        self._callbacks: dict[str, PendingCallback] = {}
        self._query_counter = 0
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._menu_buttons: dict[int | None, JSON] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._seq = 0
        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ time and changes

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

    def transcript(self) -> str:
        """The whole conversation of all people, chronological and readable."""
        return render_transcript(self.events, self.bot_user.first_name)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _notify(self) -> None:
        """Wake everybody waiting for a change (long polls, people waiting for answers)."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ records

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

    # ------------------------------------------------------------------ HTTP and chats

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        return web.json_response(error.to_api(), status=error.status)

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
