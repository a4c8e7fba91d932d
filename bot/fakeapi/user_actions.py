"""The people's side of the fake Bot API: what a person does becomes an update for the bot.

:class:`bot.fakeapi.people.FakePerson` calls these methods (tests that need to queue updates in bulk
call them directly): writing or editing a message, pressing a button, blocking the bot. Each one
changes the chat as Telegram would, writes the transcript, and queues the update the bot then receives
through getUpdates or its webhook (see :mod:`bot.fakeapi.updates`).
"""

from __future__ import annotations

from bot.fakeapi.core import PendingCallback, ServerCore
from bot.fakeapi.markup import command_entities
from bot.fakeapi.models import JSON, ChatMessage, FakeChat, FakeFile, MessageKind
from bot.fakeapi.people import FakePerson


class UserActions(ServerCore):
    """Messages, edits, button presses and blocks by people, queued as updates."""

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
        self._callbacks[query_id] = PendingCallback(person, data)
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

    def unanswered_callbacks(self) -> list[str]:
        """Data of the button presses the bot has not answered with answerCallbackQuery."""
        return [pending.data for pending in self._callbacks.values() if not pending.answered]

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
