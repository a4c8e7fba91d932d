"""People who talk to the bot through the fake Telegram: what a test (or the demo) plays.

A :class:`FakePerson` is created by :meth:`bot.fakeapi.server.FakeTelegram.person` and lives in a
private chat with the bot (chat id == user id); it can also write in groups made by
:meth:`~bot.fakeapi.server.FakeTelegram.group`. Its actions queue updates for the bot's getUpdates;
its ``next_message``/``wait_*`` methods wait for what the bot answers.

Reading rules, per chat:

* :meth:`FakePerson.next_message` returns the bot's messages one by one, oldest first, each once
  ("consumed"); messages deleted before being read are skipped.
* :meth:`FakePerson.wait_until` and :meth:`FakePerson.wait_for_text` look at the messages not yet
  consumed *and* at messages edited since the person's last action, and return the first one that
  matches. A matching new message is consumed together with every older one (the person has read the
  chat up to there); an edited message does not move the reading position.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.fakeapi.models import JSON, CallbackAnswer, ChatMessage, FakeChat, FakeUser
from bot.fakeapi.transcript import render_buttons, render_history

if TYPE_CHECKING:
    from bot.fakeapi.server import FakeTelegram

DEFAULT_TIMEOUT = 15.0  # generous: CI may run on a busy machine; only a failing wait costs it


@dataclass
class _View:
    """How far a person has read one chat."""

    consumed_seq: int = 0
    """``seq_sent`` of the newest bot message consumed."""
    action_seq: int = 0
    """Global sequence number of the person's last action in the chat."""


class FakePerson:
    """A Telegram user played by a test: sends texts, commands and files, presses buttons, reads."""

    def __init__(self, fake: FakeTelegram, user: FakeUser, chat: FakeChat) -> None:
        self.fake = fake
        self.user = user
        self.chat = chat
        """The private chat with the bot."""
        self.answers: list[CallbackAnswer] = []
        """The bot's answers to this person's button presses, in order."""
        self._views: dict[int, _View] = {}
        self._answers_read = 0

    def __repr__(self) -> str:
        return f"FakePerson({self.user.id}, {self.user.first_name!r})"

    # ------------------------------------------------------------------ identity

    @property
    def id(self) -> int:
        """The user id (also the id of the private chat)."""
        return self.user.id

    @property
    def first_name(self) -> str:
        """First name, as shown in transcripts."""
        return self.user.first_name

    # ------------------------------------------------------------------ acting

    async def send(
        self, text: str, *, chat: FakeChat | None = None, reply_to: int | None = None
    ) -> int:
        """Write a text or a command (``/start TOKEN``); returns the new message's id.

        Commands get ``bot_command`` entities like on Telegram. Writing to a bot one has blocked
        unblocks it first, as Telegram's "Restart" button does.
        """
        if not text.strip():
            raise ValueError("Telegram clients do not send empty messages")
        target = self._chat(chat)
        message = self.fake.post_user_message(self, target, text=text, reply_to=reply_to)
        self._acted(target)
        await asyncio.sleep(0)
        return message.message_id

    async def tap(self, label: str) -> int:
        """Press a button of the reply keyboard the bot shows (sends its text)."""
        keyboard = self.reply_keyboard
        if keyboard is None or not any(label in row for row in keyboard):
            shown = "; ".join(render_buttons(keyboard or [])) or "no reply keyboard"
            raise AssertionError(f"{self.first_name} sees no keyboard button {label!r} ({shown})")
        return await self.send(label)

    async def send_document(
        self,
        filename: str,
        data: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        declared_size: int | None = None,
        chat: FakeChat | None = None,
    ) -> int:
        """Send a file as a document; returns the message id.

        The MIME type is guessed from the name when not given. ``declared_size`` makes Telegram
        declare another ``file_size`` than ``len(data)`` (e.g. to emulate a 30 MB file cheaply).
        """
        file = self.fake.new_file(
            data,
            kind="document",
            filename=filename,
            mime_type=mime_type,
            declared_size=declared_size,
        )
        target = self._chat(chat)
        message = self.fake.post_user_message(self, target, text=caption or "", file=file)
        self._acted(target)
        await asyncio.sleep(0)
        return message.message_id

    async def send_photo(
        self, data: bytes, caption: str | None = None, *, chat: FakeChat | None = None
    ) -> int:
        """Send a picture as a photo; returns the message id."""
        file = self.fake.new_file(data, kind="photo")
        target = self._chat(chat)
        message = self.fake.post_user_message(self, target, text=caption or "", file=file)
        self._acted(target)
        await asyncio.sleep(0)
        return message.message_id

    async def press(
        self,
        label: str,
        message: ChatMessage | int | None = None,
        *,
        chat: FakeChat | None = None,
    ) -> str:
        """Press the inline button labelled ``label``; returns the callback query id.

        Looks for a button whose text equals ``label`` on the newest message that has one (or on
        ``message``), then for a button whose text contains it. Raises AssertionError listing the
        visible buttons if there is none. Returns once the update is queued for the bot.
        """
        target = self._chat(chat)
        candidates = (
            [self._message(target, message)]
            if message is not None
            else list(reversed(target.bot_messages))
        )
        matchers: list[Callable[[str], bool]] = [
            lambda text: text == label,
            lambda text: label in text,
            lambda text: label.casefold() in text.casefold(),
        ]
        for matches in matchers:
            for candidate in candidates:
                hits = [b for row in candidate.inline_keyboard for b in row if matches(b["text"])]
                if not hits:
                    continue
                if len(hits) > 1 and len({b["text"] for b in hits}) > 1:
                    raise AssertionError(
                        f"{label!r} is ambiguous on message #{candidate.message_id}: "
                        f"{[b['text'] for b in hits]}"
                    )
                return await self._press_button(candidate, hits[0])
        raise AssertionError(
            f"{self.first_name} sees no button {label!r} in {target.display_name}.\n"
            f"Visible buttons:\n{self._visible_buttons(candidates)}"
        )

    async def press_data(
        self, data: str, message: ChatMessage | int, *, chat: FakeChat | None = None
    ) -> str:
        """Send a callback query with hand-made ``data`` for ``message`` (a forged or stale button)."""
        target = self._chat(chat)
        found = self._message(target, message)
        label = next((text for text, value in found.button_data.items() if value == data), None)
        query_id = self.fake.post_callback(self, found, data, label)
        self._acted(target)
        await asyncio.sleep(0)
        return query_id

    async def edit(self, message_id: int, new_text: str, *, chat: FakeChat | None = None) -> None:
        """Edit one of this person's own messages (the bot gets an ``edited_message`` update)."""
        target = self._chat(chat)
        message = target.find(message_id)
        if message is None or message.deleted or message.sender is not self.user:
            raise AssertionError(f"{self.first_name} has no message #{message_id} to edit")
        self.fake.post_user_edit(self, message, new_text)
        self._acted(target)
        await asyncio.sleep(0)

    def block_bot(self) -> None:
        """Block the bot: it gets ``my_chat_member`` and then 403 for everything it sends here."""
        self.fake.set_blocked(self, blocked=True)

    def unblock_bot(self) -> None:
        """Unblock the bot again."""
        self.fake.set_blocked(self, blocked=False)

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[ChatMessage]:
        """The bot's messages in the private chat, oldest first, edits applied, deleted ones gone."""
        return self.chat.bot_messages

    def messages_in(self, chat: FakeChat) -> list[ChatMessage]:
        """The bot's messages in another chat (a group)."""
        return chat.bot_messages

    @property
    def last_message(self) -> ChatMessage | None:
        """The bot's newest message in the private chat."""
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The labels of the reply keyboard the bot currently shows in the private chat, if any."""
        markup = self.chat.reply_keyboard
        if markup is None:
            return None
        return [[str(button.get("text", "")) for button in row] for row in markup["keyboard"]]

    @property
    def toasts(self) -> list[str]:
        """The texts of the bot's answers to button presses (notifications and alerts)."""
        return [answer.text for answer in self.answers if answer.text]

    async def next_message(
        self,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        *,
        chat: FakeChat | None = None,
    ) -> ChatMessage:
        """Wait for the next new message from the bot in this chat and consume it."""
        target = self._chat(chat)
        view = self._view(target)

        def oldest_new() -> ChatMessage | None:
            return next((m for m in target.bot_messages if m.seq_sent > view.consumed_seq), None)

        found = await self.fake.wait_for(oldest_new, timeout)
        if found is None:
            raise self._timeout(target, "a new message", timeout)
        view.consumed_seq = found.seq_sent
        return found

    async def wait_until(
        self,
        predicate: Callable[[ChatMessage], bool],
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        *,
        chat: FakeChat | None = None,
        description: str = "a message matching the condition",
    ) -> ChatMessage:
        """Wait until a new, or newly edited, message of the bot satisfies ``predicate``."""
        target = self._chat(chat)
        view = self._view(target)

        def first_match() -> ChatMessage | None:
            candidates = [
                m
                for m in target.bot_messages
                if m.seq_sent > view.consumed_seq or (m.edited and m.seq_changed > view.action_seq)
            ]
            candidates.sort(key=lambda m: m.seq_changed)
            return next((m for m in candidates if predicate(m)), None)

        found = await self.fake.wait_for(first_match, timeout)
        if found is None:
            raise self._timeout(target, description, timeout)
        view.consumed_seq = max(view.consumed_seq, found.seq_sent)
        return found

    async def wait_for_text(
        self,
        substring: str,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        *,
        chat: FakeChat | None = None,
    ) -> ChatMessage:
        """Wait until a new, or newly edited, message of the bot contains ``substring``."""
        return await self.wait_until(
            lambda message: substring in message.text,
            timeout,
            chat=chat,
            description=f"a message containing {substring!r}",
        )

    async def next_toast(self, timeout: float = DEFAULT_TIMEOUT) -> str:  # noqa: ASYNC109
        """Wait for the bot's next answer to a button press; returns its text ('' if none)."""

        def next_answer() -> CallbackAnswer | None:
            return (
                self.answers[self._answers_read] if len(self.answers) > self._answers_read else None
            )

        answer = await self.fake.wait_for(next_answer, timeout)
        if answer is None:
            unanswered = self.fake.unanswered_callbacks()
            raise AssertionError(
                f"{self.first_name} got no answer to a button press within {timeout}s "
                f"(unanswered callback data: {unanswered})"
            )
        self._answers_read += 1
        return answer.text

    # ------------------------------------------------------------------ internals

    def _chat(self, chat: FakeChat | None) -> FakeChat:
        return self.chat if chat is None else chat

    def _view(self, chat: FakeChat) -> _View:
        return self._views.setdefault(chat.id, _View())

    def _acted(self, chat: FakeChat) -> None:
        self._view(chat).action_seq = self.fake.current_seq

    def _message(self, chat: FakeChat, message: ChatMessage | int) -> ChatMessage:
        found = chat.find(message) if isinstance(message, int) else message
        if found is None or found.deleted or found.chat is not chat:
            raise AssertionError(f"there is no message {message!r} in {chat.display_name}")
        return found

    async def _press_button(self, message: ChatMessage, button: JSON) -> str:
        if "callback_data" not in button:
            kinds = [key for key in button if key != "text"]
            raise AssertionError(
                f"button {button['text']!r} on message #{message.message_id} is not a callback "
                f"button ({', '.join(kinds)}: {[button[k] for k in kinds]})"
            )
        query_id = self.fake.post_callback(self, message, button["callback_data"], button["text"])
        self._acted(message.chat)
        await asyncio.sleep(0)
        return query_id

    @staticmethod
    def _visible_buttons(candidates: list[ChatMessage]) -> str:
        lines = [
            f"  #{m.message_id} {m.text[:40]!r}: " + " / ".join(render_buttons(m.buttons))
            for m in candidates
            if m.buttons
        ]
        return "\n".join(lines[:8]) or "  (no message with inline buttons)"

    def _timeout(self, chat: FakeChat, what: str, timeout: float) -> AssertionError:
        details = [
            f"{self.first_name} waited {timeout}s for {what} in {chat.display_name} (chat {chat.id}).",
            "Recent messages:",
            render_history(chat.messages),
        ]
        if self.fake.pending_updates:
            details.append(f"Updates the bot has not confirmed: {len(self.fake.pending_updates)}")
        if self.fake.protocol_errors:
            details.append(f"Protocol errors: {self.fake.protocol_errors}")
        return AssertionError("\n".join(details))
