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


MAX_TYPED_NUMBERS = 500  # a typed list longer than any picker is not a choice


def numbers_of(text: str | None, count: int) -> list[int] | None:
    """The numbers of a picker's choices a person typed (`1 3`, `1, 3`, `2-5`), each once and in
    order; None when the text is not such a list, or names a number outside 1..count."""
    if not text:
        return None
    parts = text.replace(",", " ").replace(";", " ").split()
    if not parts or len(parts) > MAX_TYPED_NUMBERS:
        return None
    found: list[int] = []
    for part in parts:
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            return None
        first, last = int(low), int(high) if dash else int(low)
        if not 1 <= first <= last <= count:
            return None
        found += [n for n in range(first, last + 1) if n not in found]
    return found
