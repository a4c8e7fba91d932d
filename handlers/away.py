"""Absences in the chat (Plh for leave or a duty trip, Plt for a vacancy): a person records their
own from the menu, an admin records anyone's; from, until, then the stand-in by button. While it
lasts, the stand-in gets the person's work and acts for them; it can be ended early."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.absences import Absence, check_dates
from bot.channels.base import Button, Response
from bot.formatting import short_date
from bot.models import Opd, User
from bot.services import absences
from bot.sop import Role
from bot.texts import t
from bot.workflow import Refused
from handlers.base import Request, ask, btn, button, dialog, forget
from handlers.opd import parse_date

MAX_LISTED = 40  # people offered as buttons on one screen


def _line(a: Absence, people: dict[int, User]) -> str:
    person = people.get(a.user_id)
    stand_in = people.get(a.stand_in_id) if a.stand_in_id else None
    return t("absence-line", name=person.name if person else "?",
             starts=short_date(a.starts),
             ends=short_date(a.ends) if a.ends else t("absence-open-ended"),
             stand_in=stand_in.name if stand_in else t("absence-no-stand-in"))  # fmt: skip


@button("ab")
async def overview(req: Request) -> Response:
    """My absences (and whom I stand in for); for an admin every absence in force or to come."""
    rows: list[list[Button]] = []
    if req.user.role == Role.ADMIN:
        listed, people = await absences.all_open(req.ctx)
        lines = [_line(a, people) for a in listed] or [t("absence-none")]
        text = t("absence-all-title") + "\n" + "\n".join(lines)
        rows += [[btn(t("btn-absence-end-of", name=people[a.user_id].name), "ae", a.id)]
                 for a in listed if a.user_id in people][:MAX_LISTED]  # fmt: skip
        rows.append([btn(t("btn-absence-add-other"), "ap")])
    else:
        own, covering, people = await absences.mine(req.ctx, req.user)
        text = t("absence-mine-title") + "\n" + (
            "\n".join(_line(a, people) for a in own) or t("absence-none"))  # fmt: skip
        if covering:
            text += "\n\n" + t("absence-covering-title") + "\n"
            text += "\n".join(_line(a, people) for a in covering)
        rows += [[btn(t("btn-absence-end", starts=short_date(a.starts)), "ae", a.id)]
                 for a in own]  # fmt: skip
        rows.append([btn(t("btn-absence-add"), "aa", req.user.id)])
    rows.append([btn(t("btn-menu"), "mn")])
    return Response().add(text, rows)


@button("ap")
async def pick_person(req: Request) -> Response:
    """Admin: whose absence to record."""
    found = await absences.people_to_record(req.ctx, req.user)
    if not found:
        return Response().add(t("absence-nobody"), [[btn(t("btn-menu"), "mn")]])
    async with req.ctx.db.read() as uow:
        opds = await uow.opds.many(u.opd_id for u in found if u.opd_id is not None)
    rows = [[btn(_who(u, opds), "aa", u.id)] for u in found[:MAX_LISTED]]
    rows.append([btn(t("btn-cancel"), "cx")])
    return Response().add(t("absence-pick-person"), rows)


def _who(u: User, opds: Mapping[int, Opd]) -> str:
    opd = opds.get(u.opd_id) if u.opd_id is not None else None
    code = f" {opd.code}" if opd is not None else ""
    return f"{u.name} ({t(f'role-{u.role}')}{code})"


@button("aa")
async def start(req: Request) -> Response:
    """Record an absence of this person: first, from when."""
    person, _ = await absences.prepare(req.ctx, req.user, req.args[0])
    own = person.id == req.user.id
    text = t("absence-ask-from" if own else "absence-ask-from-other", name=person.name)
    return await ask(req, "absence_from", {"person": person.id}, text)


def _date(req: Request) -> date:
    typed = parse_date(req.ev.text or "")
    if typed is None:
        raise Refused("bad-date")
    return typed


@dialog("absence_from")
async def got_from(req: Request) -> Response:
    """From when: then until when (an admin may leave it open: a Plt for a vacancy)."""
    starts = _date(req)
    check_dates(starts, None, req.ctx.now().date())
    data = req.data | {"starts": starts.isoformat()}
    data.pop("_kind", None)
    response = await ask(req, "absence_until", data, t("absence-ask-until",
                                                       starts=short_date(starts)))  # fmt: skip
    if req.user.role == Role.ADMIN:
        response.replies[-1].buttons.insert(0, [btn(t("btn-absence-open-ended"), "au")])
    return response


@dialog("absence_until")
async def got_until(req: Request) -> Response:
    """Until when: then who stands in."""
    ends = _date(req)
    starts = date.fromisoformat(req.data["starts"])
    check_dates(starts, ends, req.ctx.now().date())
    return await _ask_stand_in(req, ends)


@button("au")
async def open_ended(req: Request) -> Response:
    """Admin: no end date (a vacancy filled by a Plt until an admin ends it)."""
    if req.data.get("_kind") != "absence_until":
        raise Refused("refused-stale")
    if req.user.role != Role.ADMIN:
        raise Refused("refused-absence-open-ended")
    return await _ask_stand_in(req, None)


async def _ask_stand_in(req: Request, ends: date | None) -> Response:
    person, candidates = await absences.prepare(req.ctx, req.user, req.data["person"])
    data = {k: v for k, v in req.data.items() if k != "_kind"}
    data["ends"] = ends.isoformat() if ends else None
    text = t("absence-ask-stand-in", name=person.name)
    if not candidates:
        text += "\n" + t("absence-no-candidates", role=t(f"role-{person.role}"))
    response = await ask(req, "absence_stand_in", data, text)
    rows = [[btn(u.name, "as", u.id)] for u in candidates[:MAX_LISTED]]
    rows.append([btn(t("btn-absence-no-stand-in"), "as", 0)])
    response.replies[-1].buttons[:0] = rows
    return response


@dialog("absence_stand_in")
async def typed_stand_in(req: Request) -> Response:
    """A stand-in is chosen with a button, not typed."""
    return Response().add(t("absence-use-buttons"), [[btn(t("btn-cancel"), "cx")]])


@button("as")
async def chose_stand_in(req: Request) -> Response:
    """Record the absence with the chosen stand-in (0: none)."""
    if req.data.get("_kind") != "absence_stand_in":
        raise Refused("refused-stale")
    ends = req.data.get("ends")
    absence = await absences.record(
        req.ctx, req.user, int(req.data["person"]), date.fromisoformat(req.data["starts"]),
        date.fromisoformat(ends) if ends else None, req.args[0] or None,
    )  # fmt: skip
    await forget(req)
    _, _, people = await absences.mine(req.ctx, req.user)
    text = t("absence-saved", line=_line(absence, people))
    return Response().add(text, [[btn(t("btn-absences"), "ab"), btn(t("btn-menu"), "mn")]])


@button("ae")
async def end(req: Request) -> Response:
    """End an absence now (back early), or withdraw one that has not begun."""
    absence = await absences.end(req.ctx, req.user, req.args[0])
    _, _, people = await absences.mine(req.ctx, req.user)
    text = t("absence-ended", line=_line(absence, people))
    return Response().add(text, [[btn(t("btn-absences"), "ab"), btn(t("btn-menu"), "mn")]])
