"""The Pejabat PID starts a documentation round: a name, then its OPDs chosen with toggles."""

from __future__ import annotations

from bot.channels.base import Choice, Picker, Reply, Response
from bot.formatting import MONTHS, deadline
from bot.services import cases, recurring
from bot.sop import Role
from bot.texts import t
from bot.workflow import Refused, clean_text
from handlers.base import Request, ask, btn, button, dialog, numbers_of
from handlers.codec import encode


def _pejabat(req: Request) -> None:
    if req.user.role != Role.PEJABAT:
        raise Refused("refused-role")


@button("rn")
async def new_round(req: Request) -> Response:
    """Ask for the round's name."""
    _pejabat(req)
    return await ask(req, "round_name", {}, t("round-ask-name"))


async def _picker(req: Request, name: str, chosen: list[int]) -> Response:
    async with req.ctx.db.transaction() as uow:
        opds = await uow.opds.all()
        await uow.dialogs.set(req.user.id, "round_opds", {"name": name, "chosen": chosen},
                              req.ctx.now())  # fmt: skip
        await uow.commit()
    if not opds:
        return Response().add(t("no-opds"))
    picker = Picker([Choice(o.code, encode("rt", o.id), o.id in chosen) for o in opds], columns=2)
    rows = [[btn(t("btn-all-opds"), "ra"), btn(t("btn-create-round"), "rc")],
            [btn(t("btn-cancel"), "cx")]]  # fmt: skip
    text = t("round-pick-opds", name=name, count=len(chosen))
    return Response(replies=[Reply(text, rows, picker=picker)])


@dialog("round_name")
async def round_name(req: Request) -> Response:
    """The name arrived: show the OPD picker."""
    _pejabat(req)
    name = clean_text(req.ev.text, 120, "refused-round-name")
    return await _picker(req, name, [])


async def _pick(req: Request, toggle: int | None) -> Response:
    _pejabat(req)
    if req.data.get("_kind") != "round_opds":
        raise Refused("refused-stale")
    chosen = list(req.data.get("chosen", []))
    if toggle is None:
        async with req.ctx.db.read() as uow:
            chosen = [o.id for o in await uow.opds.all()]
    elif toggle in chosen:
        chosen.remove(toggle)
    else:
        chosen.append(toggle)
    resp = await _picker(req, req.data["name"], chosen)
    resp.replies[0].supersedes = True
    return resp


@dialog("round_opds")
async def typed_opds(req: Request) -> Response:
    """The numbers of OPDs typed (where the picker is numbered, as on WhatsApp): each toggled."""
    _pejabat(req)
    async with req.ctx.db.read() as uow:
        opds = await uow.opds.all()
    picked = numbers_of(req.ev.text, len(opds))
    if picked is None:
        return Response().add(t("picker-bad-numbers", count=len(opds)))
    chosen = list(req.data.get("chosen", []))
    for number in picked:
        opd_id = opds[number - 1].id
        if opd_id in chosen:
            chosen.remove(opd_id)
        else:
            chosen.append(opd_id)
    return await _picker(req, req.data["name"], chosen)


@button("rt")
async def toggle_opd(req: Request) -> Response:
    """Add or remove one OPD."""
    return await _pick(req, req.args[0])


@button("ra")
async def all_opds(req: Request) -> Response:
    """Choose every OPD."""
    return await _pick(req, None)


@button("rc")
async def create(req: Request) -> Response:
    """Create the round: one case per OPD, each in step 1 with its deadline."""
    _pejabat(req)
    if req.data.get("_kind") != "round_opds":
        raise Refused("refused-stale")
    views = await cases.create_round(req.ctx, req.user, req.data["name"], req.data["chosen"],
                                     asked="round_opds")  # fmt: skip
    due = views[0].task.due_at if views[0].task else req.ctx.now()
    rows = [
        [btn(v.opd.code, "op", v.case.id) for v in views[i : i + 3]]
        for i in range(0, len(views), 3)
    ]
    text = t("round-created", name=views[0].round.name, count=len(views), deadline=deadline(due))
    return Response().add(text, rows)


@button("sc")
async def schedule(req: Request) -> Response:
    """Six-monthly rounds: show the schedule (0), switch it on (1) or off (2)."""
    _pejabat(req)
    choice = req.args[0]
    if choice == 1:
        await recurring.set_schedule(req.ctx, req.user)
    elif choice == 2:
        await recurring.stop_schedule(req.ctx, req.user)
    elif choice != 0:
        raise Refused("refused-bad-button")
    async with req.ctx.db.read() as uow:
        active = await uow.schedules.active()
    if active:
        months = ", ".join(MONTHS[m - 1] for m in recurring.months_of(active[0].months))
        text = t("schedule-on", months=months)
        rows = [[btn(t("btn-schedule-off"), "sc", 2)]]
    else:
        text = t("schedule-off")
        rows = [[btn(t("btn-schedule-on"), "sc", 1)]]
    rows.append([btn(t("btn-menu"), "mn")])
    return Response().add(text, rows)
