"""The bot's own profile in the fake Bot API: getMe, logOut/close, the command lists, the menu button,
and the bot's name and descriptions.

Commands are kept per scope and language as on Telegram, and validated with Telegram's error texts
(``BOT_COMMAND_INVALID``...); tests read them back with :meth:`BotProfileMethods.commands` and
:meth:`BotProfileMethods.menu_button`.
"""

from __future__ import annotations

import json

from bot.fakeapi.core import Handler, ServerCore
from bot.fakeapi.models import JSON
from bot.fakeapi.params import Params, bad_request

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


class BotProfileMethods(ServerCore):
    """What the bot says about itself: identity, commands, menu button, name and descriptions."""

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for this scope and language (as ``getMyCommands``)."""
        return list(self._commands.get((self._scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> JSON:
        """The menu button the bot set for a chat (or the default one)."""
        return (
            self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "default"}
        )

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _scope_key(scope: JSON | None) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

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

    def _menu_chat_id(self, params: Params) -> int | None:
        """The chat of a menu button method; None (no ``chat_id``) is the default button."""
        return self._find_chat(params).id if params.has("chat_id") else None

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
        chat_id = self._menu_chat_id(params)
        button = params.json_object("menu_button") or {"type": "default"}
        if button.get("type") not in ("commands", "web_app", "default"):
            raise bad_request(f"unsupported menu button {button!r}", protocol=True)
        self._menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: Params) -> JSON:
        return self.menu_button(self._menu_chat_id(params))

    def _bot_text_setter(self, field: str) -> Handler:
        """setMyDescription, setMyShortDescription or setMyName, for ``field``."""

        async def setter(params: Params) -> bool:
            value = params.string(field) or ""
            self._bot_texts[(field, params.string("language_code") or "")] = value
            return True

        return setter

    def _bot_text_getter(self, field: str) -> Handler:
        """getMyDescription, getMyShortDescription or getMyName, for ``field``; a text not set for
        the language falls back to the one without language (and the name to the bot's name)."""

        async def getter(params: Params) -> JSON:
            language = params.string("language_code") or ""
            value = self._bot_texts.get((field, language), self._bot_texts.get((field, ""), ""))
            if field == "name" and not value:
                value = self.bot_user.first_name
            return {field: value}

        return getter
