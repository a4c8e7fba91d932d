"""Exemptions that expire, in the chat: the notice that asks for a decision (with its buttons),
extending (new consequence test, new end date) and opening (a public category; the entry goes back
to its OPD for documents, then through steps 4 and 5)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import exemptions
from bot.channels.base import Button, Reply, Response
from bot.formatting import deadline, short_date
from bot.models import User
from bot.reminders import standing
from bot.services import exemptions as service
from bot.services.context import Ctx
from bot.sop import Category
from bot.texts import t
from bot.workflow import Refused
from handlers.base import Request, ask, btn, button, dialog, forget
from handlers.opd import parse_date

HEADS = {"exempt_ask": "notice-exempt-head-ask", "exempt_reminder": "notice-exempt-head-reminder",
         "exempt_overdue": "notice-exempt-head-overdue",
         "exempt_escalation": "notice-exempt-head-escalation"}  # fmt: skip


async def notice(ctx: Ctx, user: User, payload: dict[str, Any]) -> Reply | None:
    """The notice about one exemption's decision, true when read; None once it was decided."""
    async with ctx.db.read() as uow:
        entry = await uow.entries.get(payload["entry_id"])
        case = await uow.cases.get(entry.case_id) if entry is not None else None
        opd = await uow.opds.get(case.opd_id) if case is not None else None
    until = date.fromisoformat(payload["until"])
    if entry is None or case is None or opd is None or entry.exempt_until != until:
        return None
    if entry.category != Category.DIKECUALIKAN:
        return None
    from handlers.notices import left_text

    due = ctx.calendar.local(exemptions.decision_window(until, ctx.calendar)[1])
    kind = payload["kind"]
    where = standing(ctx.calendar, due, ctx.now())
    if kind == "exempt_reminder" and where.overdue:
        kind = "exempt_overdue"  # what is true when it leaves
    text = t("notice-exempt", head=t(HEADS[kind]), number=entry.number, title=entry.title,
             opd=opd.name, until=short_date(until), reference=entry.exempt_reference or "-",
             deadline=deadline(due), left=left_text(where, due))  # fmt: skip
    buttons: list[list[Button]] = []
    if service.may_decide(user, case.opd_id):
        buttons.append([btn(t("btn-exempt-extend"), "xe", entry.id, until.toordinal()),
                        btn(t("btn-exempt-open"), "xo", entry.id, until.toordinal())])  # fmt: skip
    else:
        text += t("notice-exempt-deciders", opd=opd.name)
    return Reply(text=text, buttons=buttons)


@button("xe")
async def extend(req: Request) -> Response:
    """Extend: ask the new consequence test's reference."""
    entry_id, until = req.args
    async with req.ctx.db.read() as uow:
        entry, _ = await service.exempt_entry(uow, req.user, entry_id, until)
    data = {"entry": entry.id, "until": until}
    return await ask(req, "exempt_ext_ref", data,
                     t("ask-exempt-ext-ref", number=entry.number, title=entry.title))  # fmt: skip


@dialog("exempt_ext_ref")
async def extend_reference(req: Request) -> Response:
    """The new reference: ask until when."""
    ref = (req.ev.text or "").strip()
    if not ref:
        raise Refused("refused-exempt-reference")
    return await ask(req, "exempt_ext_until", req.data | {"ref": ref}, t("ask-exempt-until"))


@dialog("exempt_ext_until")
async def extend_until(req: Request) -> Response:
    """The new end date: extend (a date in the past is refused and asked again)."""
    until = parse_date(req.ev.text or "")
    if until is None:
        return Response().add(t("bad-date"), [[btn(t("btn-cancel"), "cx")]])
    d = req.data
    entry = await service.extend(req.ctx, req.user, d["entry"], d["until"], d["ref"], until)
    await forget(req)
    return Response().add(t("exempt-extended", number=entry.number, title=entry.title,
                            until=short_date(until), reference=entry.exempt_reference or ""),
                          [[btn(t("btn-menu"), "mn")]])  # fmt: skip


@button("xo")
async def open_(req: Request) -> Response:
    """Open: choose the public category."""
    entry_id, until = req.args
    async with req.ctx.db.read() as uow:
        entry, _ = await service.exempt_entry(uow, req.user, entry_id, until)
    labels = [t(f"cat-{c.value}") for c in service.OPEN_CATEGORIES]
    rows = [[btn(label, "xk", entry.id, i, until)] for i, label in enumerate(labels)]
    rows.append([btn(t("btn-cancel"), "cx")])
    return Response().add(t("pick-exempt-category", number=entry.number, title=entry.title), rows)


@button("xk")
async def open_as(req: Request) -> Response:
    """Category chosen: open the entry; it goes back to its OPD for documents."""
    entry_id, index, until = req.args
    async with req.ctx.db.read() as uow:
        before, case = await service.exempt_entry(uow, req.user, entry_id, until)
        opd = await uow.opds.get(case.opd_id)
    note = t("exempt-open-note", number=before.number, title=before.title)
    entry, due = await service.open_entry(req.ctx, req.user, entry_id, until, index, note)
    text = t("exempt-opened", number=entry.number, title=entry.title,
             category=t(f"cat-{entry.category}"), opd=opd.name if opd else "",
             deadline=deadline(due) if due else "")  # fmt: skip
    return Response().add(text, [[btn(t("btn-tasks"), "tg")]])


def is_exempt_kind(kind: str) -> bool:
    return kind in HEADS


__all__ = ["is_exempt_kind", "notice"]
