"""The Bot API methods that write in chats: sendMessage, the edits, deleteMessage, answerCallbackQuery,
sendChatAction and getChat.

They check what Telegram checks, with its error texts and limits (4096-character texts, 1024-character
captions, the 48-hour window of deleteMessage, "message is not modified"...), then change the chat's
messages and log what happened in ``sent`` and in the transcript. The helpers that build and edit a
bot message are shared with the media methods of :mod:`bot.fakeapi.files`.
"""

from __future__ import annotations

from typing import Literal

from bot.fakeapi.core import ServerCore
from bot.fakeapi.markup import MarkupError, ParsedText, format_text, validate_reply_markup
from bot.fakeapi.models import (
    JSON,
    CallbackAnswer,
    ChatMessage,
    FakeChat,
    FakeFile,
    MessageKind,
    SentMessage,
)
from bot.fakeapi.params import Params, bad_request

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
DELETE_WINDOW_SECONDS = 48 * 3600

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"

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


class MessageMethods(ServerCore):
    """Sending, editing and deleting the bot's messages, and the other chat methods."""

    # ------------------------------------------------------------------ helpers

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

    @classmethod
    def _message_text(cls, params: Params) -> ParsedText:
        """The ``text`` of sendMessage and editMessageText, formatted and checked."""
        return cls._formatted(
            params,
            "text",
            "entities",
            limit=MAX_TEXT_LENGTH,
            too_long="message is too long",
            empty="message text is empty",
        )

    @classmethod
    def _caption(cls, params: Params) -> ParsedText:
        """The ``caption`` of a media message or of editMessageCaption, formatted and checked."""
        return cls._formatted(
            params,
            "caption",
            "caption_entities",
            limit=MAX_CAPTION_LENGTH,
            too_long="message caption is too long",
            empty=None,
        )

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

    @staticmethod
    def _existing_message(chat: FakeChat, params: Params, action: str) -> ChatMessage:
        """The message of ``message_id`` in ``chat``; ``action`` words Telegram's "not found"."""
        message_id = params.integer("message_id", required=True)
        message = chat.find(message_id or 0)
        if message is None or message.deleted:
            raise bad_request(f"message to {action} not found")
        return message

    def _editable(self, params: Params) -> ChatMessage:
        if params.has("inline_message_id") and not params.has("chat_id"):
            raise bad_request(
                "inline messages are not supported by the fake Bot API", protocol=True
            )
        message = self._existing_message(self._target_chat(params), params, "edit")
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

    # ------------------------------------------------------------------ Bot API methods

    async def _send_message(self, params: Params) -> JSON:
        chat = self._target_chat(params)
        if not params.has("text"):
            raise bad_request("message text is empty", protocol=True)
        parsed = self._message_text(params)
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

    async def _edit_message_text(self, params: Params) -> JSON:
        message = self._editable(params)
        if not params.has("text"):
            raise bad_request("message text is empty", protocol=True)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        parsed = self._message_text(params)
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
        parsed = self._caption(params)
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
        message = self._existing_message(chat, params, "delete")
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

    async def _get_chat(self, params: Params) -> JSON:
        chat = self._find_chat(params)
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11}
