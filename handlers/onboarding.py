"""Joining by invitation: `/start <token>` from a deep link."""

from __future__ import annotations

from bot.channels.base import Event, Response
from bot.services import people
from bot.services.context import Ctx
from bot.texts import t


async def start_with_token(ev: Event, ctx: Ctx) -> Response:
    """Register the person who opened an invitation link (refusals raise `Refused`); the
    channel found the token (`Event.invitation`)."""
    assert ev.invitation is not None
    user = await people.join(
        ctx, ev.invitation, channel=ev.channel, external_id=ev.external_id,
        chat_id=ev.chat_id, first_name=ev.first_name,
    )  # fmt: skip
    opd = ""
    if user.opd_id is not None:
        async with ctx.db.read() as uow:
            found = await uow.opds.get(user.opd_id)
            opd = f" {found.name}" if found else ""
    return Response().add(t("joined", name=user.name, role=t(f"role-{user.role}"), opd=opd))
