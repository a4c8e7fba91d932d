"""What a handler receives (`Request`) and the registries the router dispatches through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import Button, Event, FileSource, Response
from bot.models import User
from bot.services.context import Ctx
from bot.texts import t
from handlers.codec import encode


@dataclass
class Request:
    ev: Event
    user: User
    ctx: Ctx
    files: FileSource
    args: tuple[int, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)  # the pending dialog's data


Handler = Callable[[Request], Awaitable[Response]]

BUTTONS: dict[str, Handler] = {}
DIALOGS: dict[str, Handler] = {}
COMMANDS: dict[str, Handler] = {}


def button(action: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        assert action not in BUTTONS, action
        BUTTONS[action] = fn
        return fn

    return register


def dialog(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        assert kind not in DIALOGS, kind
        DIALOGS[kind] = fn
        return fn

    return register


def command(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for name in names:
            COMMANDS[name] = fn
        return fn

    return register


def btn(label: str, action: str, *args: int) -> Button:
    return Button(label=label, data=encode(action, *args))


async def ask(
    req: Request, kind: str, data: dict[str, Any], text: str, cancel: bool = True
) -> Response:
    """Remember what we wait for from this person, and ask for it."""
    async with req.ctx.db.transaction() as uow:
        await uow.dialogs.set(req.user.id, kind, data, req.ctx.now())
        await uow.commit()
    buttons = [[btn(t("btn-cancel"), "cx")]] if cancel else []
    return Response().add(text, buttons)


async def forget(req: Request) -> None:
    async with req.ctx.db.transaction() as uow:
        await uow.dialogs.clear(req.user.id)
        await uow.commit()
