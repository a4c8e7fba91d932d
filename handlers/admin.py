"""Administrators in the chat: invite people (choose a role and OPD, get a deep link), and decide
about a person the bot cannot reach (try again, or deactivate)."""

from __future__ import annotations

from bot.channels.base import Response
from bot.formatting import instant
from bot.services import people
from bot.sop import Role
from bot.texts import t
from bot.workflow import Refused
from handlers.base import Request, btn, button

ROLES = tuple(Role)


def _admin(req: Request) -> None:
    if req.user.role != Role.ADMIN:
        raise Refused("refused-role")


async def _invite(req: Request, role: Role, opd_code: str | None) -> Response:
    made = await people.invite(
        req.ctx.db, role=role, opd_code=opd_code, name=None, created_by=f"user:{req.user.id}",
        now=req.ctx.now(), links=req.ctx.invite_links,
    )  # fmt: skip
    opd = f" {made.opd.name}" if made.opd else ""
    text = t("invite-created", role=t(f"role-{role}"), opd=opd,
             until=instant(made.invitation.expires_at), link="\n".join(made.links))  # fmt: skip
    return Response().add(text, [[btn(t("btn-menu"), "mn")]])


@button("iv")
async def invite(req: Request) -> Response:
    """Pick a role; for a PPID Pendukung then an OPD."""
    _admin(req)
    index = req.args[0]
    if index == 0:  # the menu's entry point: show the roles
        rows = [[btn(t(f"role-{r}"), "iv", i + 1)] for i, r in enumerate(ROLES)]
        return Response().add(t("invite-pick-role"), rows)
    if index > len(ROLES):
        raise Refused("refused-bad-button")
    role = ROLES[index - 1]
    if role != Role.PENDUKUNG:
        return await _invite(req, role, None)
    async with req.ctx.db.read() as uow:
        opds = await uow.opds.all()
    rows = [
        [btn(o.code, "io", index, o.id) for o in opds[i : i + 3]] for i in range(0, len(opds), 3)
    ]
    return Response().add(t("invite-pick-opd"), rows)


@button("io")
async def invite_for_opd(req: Request) -> Response:
    """Invite a PPID Pendukung of the chosen OPD."""
    _admin(req)
    async with req.ctx.db.read() as uow:
        opd = await uow.opds.get(req.args[1])
    if opd is None:
        raise Refused("refused-unknown-opd", code="?")
    return await _invite(req, Role.PENDUKUNG, opd.code)


@button("ur")
async def reach_again(req: Request) -> Response:
    """Try a person the bot could not reach again (their held notices go out)."""
    _admin(req)
    user = await people.reach_again(req.ctx.db, req.user, req.args[0], req.ctx.now())
    req.ctx.kick()
    return Response().add(t("reach-retried", name=user.name))


@button("ud")
async def deactivate_unreachable(req: Request) -> Response:
    """Deactivate a person the bot could not reach."""
    _admin(req)
    user = await people.deactivate_unreachable(req.ctx.db, req.user, req.args[0], req.ctx.now())
    return Response().add(t("reach-deactivated", name=user.name))
