"""The router: one entry point from every channel. It finds the person, re-checks them, picks the
handler (button, command, pending dialog, captioned file), and turns refusals into a clear answer
plus an audit entry. Handlers are registered by importing their modules, in one place: here."""

from __future__ import annotations

import logging

from bot.channels.base import Event, FileSource, Response
from bot.formatting import instant
from bot.services import people
from bot.services.context import Ctx, refuse
from bot.texts import t
from bot.workflow import Refused
from handlers import (
    admin,
    common,
    entries,
    notices,
    onboarding,
    opd,
    pejabat,
    ppid_utama,
    rounds,
    spreadsheets,
)
from handlers.base import BUTTONS, COMMANDS, DIALOGS, Request, btn
from handlers.codec import BadButton, decode

log = logging.getLogger(__name__)
_MODULES = (
    admin,
    common,
    entries,
    notices,
    opd,
    pejabat,
    ppid_utama,
    rounds,
    spreadsheets,
)  # registered


async def route(ev: Event, ctx: Ctx, files: FileSource) -> Response | None:
    """Answer one event; None means: ignore it (no reply at all)."""
    if not ev.private:
        # In groups the bot only says where it works, and only when addressed with a command.
        return Response().add(t("group-private-only", bot=ctx.bot_username)) if ev.command else None
    async with ctx.db.read() as uow:
        user = await uow.users.by_external(ev.channel, ev.external_id)
        pending = await uow.dialogs.get(user.id) if user else None
    # They write again, so their chat takes messages again: what was held goes out.
    if (
        user is not None
        and user.active
        and user.unreachable_since is not None
        and await people.reached(ctx.db, user, ctx.now())
    ):
        ctx.kick()
    try:
        if ev.command == "start" and ev.args.strip():
            return await onboarding.start_with_token(ev, ctx)
        if user is None or not user.active:
            await refuse(ctx, "not-invited" if user is None else "refused-inactive", user,
                         f"{ev.command or ('button' if ev.button else 'message')}",
                         external_id=ev.external_id, message_id=ev.message_id)  # fmt: skip
            if user is not None:
                return _answer(ev, t("refused-inactive"))
            return _answer(
                ev, t("start-not-invited" if ev.command == "start" else "help-not-invited")
            )
        req = Request(ev=ev, user=user, ctx=ctx, files=files)
        if pending:
            req.data = pending[1] | {"_kind": pending[0]}
        if ev.button is not None:
            press = decode(ev.button)
            req.args = press.args
            return await BUTTONS[press.action](req)
        if ev.command is not None:
            handler = COMMANDS.get(ev.command, common.menu)
            return await handler(req)
        if ev.file is not None and opd.CAPTION.match(ev.caption or ""):
            # An explicit `#3` caption names its entry, whatever the bot was waiting for.
            captioned = await opd.file_with_caption(req)
            if captioned is not None:
                return captioned
        if pending and pending[0] in DIALOGS:
            if ev.file is not None and pending[0] not in ("draft_file", "entry_files"):
                return Response().add(t("expected-text"), [[btn(t("btn-cancel"), "cx")]])
            return await DIALOGS[pending[0]](req)
        if ev.file is not None:
            captioned = await opd.file_with_caption(req)
            return captioned or Response().add(t("unexpected-file"))
        return common.main_menu(req, t("unexpected-text"))
    except BadButton as exc:
        await refuse(ctx, f"bad-button:{exc}", user, "button", external_id=ev.external_id,
                     message_id=ev.message_id)  # fmt: skip
        return _answer(ev, t("refused-bad-button"))
    except Refused as exc:
        text = await _explain(ctx, exc, ev)
        await refuse(ctx, exc.key, user, ev.button or ev.command or "message",
                     external_id=ev.external_id, message_id=ev.message_id)  # fmt: skip
        return _answer(ev, text)


def _answer(ev: Event, text: str) -> Response:
    """A refusal: a toast (alert) on a button press, a message otherwise."""
    if ev.button is not None:
        return Response(toast=text, alert=True)
    return Response().add(text)


async def _explain(ctx: Ctx, exc: Refused, ev: Event) -> str:
    """The refusal in words; a stale button says who handled the case and when."""
    if exc.key in ("refused-stale", "refused-wrong-step") and ev.button:
        try:
            press = decode(ev.button)
        except BadButton:
            press = None
        if (
            press
            and press.args
            and press.action in {"s1", "a2", "r2", "s3", "a4", "r4", "p5", "c4", "k2"}
        ):
            async with ctx.db.read() as uow:
                last = await uow.tasks.last_done(press.args[0])
                who = await uow.users.get(last.done_by) if last and last.done_by else None
            if last and who and last.done_at:
                return t(
                    "refused-stale-by", name=who.name, at=instant(ctx.calendar.local(last.done_at))
                )
    return t(exc.key, **exc.values)
