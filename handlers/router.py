"""The router: one entry point from every channel. It finds the person, re-checks them, picks the
handler (button, command, pending dialog, captioned file), and turns refusals into a clear answer
plus an audit entry. Handlers are registered by importing their modules, in one place: here."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from typing import Any

from bot.channels.base import Event, FileSource, Response
from bot.formatting import instant
from bot.models import Case, User
from bot.services import absences, cases, people
from bot.services.context import Ctx, refuse
from bot.texts import t
from bot.untrusted import strip_invisible
from bot.workflow import Refused
from handlers import (
    admin,
    away,
    common,
    entries,
    exemptions,
    moving,
    notices,
    onboarding,
    opd,
    pejabat,
    ppid_utama,
    rounds,
    spreadsheets,
)
from handlers.base import BUTTONS, COMMANDS, DIALOGS, Request, btn
from handlers.codec import TARGETS, BadButton, decode
from handlers.views import panel

log = logging.getLogger(__name__)
_MODULES = (
    admin,
    away,
    common,
    entries,
    exemptions,
    moving,
    notices,
    opd,
    pejabat,
    ppid_utama,
    rounds,
    spreadsheets,
)  # registered


async def route(ev: Event, ctx: Ctx, files: FileSource) -> Response | None:
    """Answer one event; None means: ignore it (no reply at all)."""
    ev = _visible(ev)
    if not ev.private:
        # In groups the bot only says where it works, and only when addressed with a command.
        return Response().add(t("group-private-only", bot=ctx.bot_username)) if ev.command else None
    async with ctx.db.read() as uow:
        # Away today (Plh/Plt)? Every check of this update sees it (`User.away`).
        user = await absences.person_seen(uow, ev.channel, ev.external_id, ctx.now())
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
        if ev.invitation is not None:
            return await onboarding.start_with_token(ev, ctx)
        if user is None or not user.active:
            case = await _target(ctx, ev, None) if ev.button else None
            await refuse(ctx, "not-invited" if user is None else "refused-inactive", user,
                         f"{ev.command or ('button' if ev.button else 'message')}",
                         external_id=ev.external_id, case_id=case.id if case else None,
                         message_id=ev.message_id)  # fmt: skip
            if user is not None:
                return _answer(ev, t("refused-inactive"))
            return _answer(
                ev, t("start-not-invited" if ev.command == "start" else "help-not-invited")
            )
        if pending and pending[0] in DIALOGS and _typed_word(ev):
            # A bare word that names a command ("Laporan", "Status") typed while the bot asks
            # a question is the answer to it; only "batal" (and the slash forms) stay commands.
            ev = dataclasses.replace(ev, command=None, args="")
        if ev.unsupported is not None:
            what = t(f"unsupported-{ev.unsupported}")
            return Response().add(t("unsupported-message", what=what),
                                  [[btn(t("btn-menu"), "mn")]])  # fmt: skip
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
        case = await _target(ctx, ev, pending[1] if pending else None)
        if case is not None and user is not None and not cases.sees(user, case):
            # Nothing about a case this person may not see: not its step, who, when or counts.
            response = _answer(ev, t("refused-opd"))
        else:
            response = await _explain(ctx, exc, ev, user, case)
        await refuse(ctx, exc.key, user, ev.button or ev.command or "message",
                     external_id=ev.external_id, case_id=case.id if case else None,
                     message_id=ev.message_id)  # fmt: skip
        return response


def _typed_word(ev: Event) -> bool:
    """Whether the event is a command typed as a bare word (where a chat app has no menu)."""
    return (
        ev.command is not None
        and ev.command != "batal"
        and ev.text is not None
        and not ev.text.lstrip().startswith("/")
    )


def _visible(ev: Event) -> Event:
    """The event without the invisible characters of what the person typed (bidi controls,
    zero-width characters): here, once, for every channel and every handler."""
    return dataclasses.replace(
        ev,
        text=strip_invisible(ev.text) if ev.text is not None else None,
        caption=strip_invisible(ev.caption) if ev.caption is not None else None,
        command=strip_invisible(ev.command) if ev.command is not None else None,
        args=strip_invisible(ev.args),
        first_name=strip_invisible(ev.first_name),
    )


def _answer(ev: Event, text: str) -> Response:
    """A refusal: the short answer to a press (shown as an alert), a message otherwise."""
    if ev.button is not None:
        return Response(note=text, alert=True)
    return Response().add(text)


async def _target(ctx: Ctx, ev: Event, pending: dict[str, Any] | None) -> Case | None:
    """The case a refused act aimed at: the one its button names (directly or through one of
    its entries), else the one of the question it answered; None when there is no such case."""
    case_id: int | None = None
    press = None
    if ev.button is not None:
        with contextlib.suppress(BadButton):
            press = decode(ev.button)
    async with ctx.db.read() as uow:
        target = TARGETS.get(press.action) if press and press.args else None
        if press and target == "case":
            case_id = press.args[0]
        elif press and target == "entry":
            entry = await uow.entries.get(press.args[0])
            case_id = entry.case_id if entry else None
        elif press and target == "document":
            document = await uow.documents.get(press.args[0])
            case_id = document.case_id if document else None
        elif press is None and pending and isinstance(pending.get("case"), int):
            case_id = pending["case"]
        return await uow.cases.get(case_id) if case_id is not None else None


async def _explain(
    ctx: Ctx, exc: Refused, ev: Event, user: User | None, case: Case | None
) -> Response:
    """The refusal in words. A stale press on a case that now waits for this very person points
    to the newest message and shows it; otherwise it says who handled the case and when."""
    if exc.key not in ("refused-stale", "refused-wrong-step") or not ev.button or case is None:
        return _answer(ev, t(exc.key, **exc.values))
    if exc.key == "refused-stale" and user is not None and cases.acts_on(user, case):
        # Same step, newer version: the case came back to this person (a returned draft), and
        # the press is from an older message of theirs.
        v = await cases.view(ctx, case.id)
        response = _answer(ev, t("refused-stale-newest"))
        response.replies.append(panel(v, user, ctx.settings.publisher))
        return response
    async with ctx.db.read() as uow:
        last = await uow.tasks.last_done(case.id)
        who = await uow.users.get(last.done_by) if last and last.done_by else None
    if last and who and last.done_at:
        at = instant(ctx.calendar.local(last.done_at))
        if user is not None and who.id == user.id:
            # Their own press, taken already (delivered again after a restart, or tapped twice).
            return _answer(ev, t("refused-stale-self", at=at, step=t(f"step-{case.step}")))
        return _answer(ev, t("refused-stale-by", name=who.name, at=at))
    return _answer(ev, t(exc.key, **exc.values))
