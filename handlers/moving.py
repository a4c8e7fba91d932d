"""A person moves to the other chat app the bot runs on (Telegram or WhatsApp), by themselves:
a single-use link of that app; the first message it sends moves them there, with their role,
tasks and history (`bot.services.people.invite_to_move`)."""

from __future__ import annotations

from bot.channels.base import Response
from bot.formatting import instant
from bot.services import people
from bot.texts import t
from handlers.base import Request, btn, button, command


@command("pindah")
@button("mv")
async def move(req: Request) -> Response:
    """The link that moves this person to the other chat app (none when only one runs)."""
    ctx, user = req.ctx, req.user
    others = [c for c in ctx.channels if c != user.channel]
    menu = [[btn(t("btn-menu"), "mn")]]
    if not others:
        return Response().add(t("move-none"), menu)
    made = await people.invite_to_move(
        ctx.db, user.id, created_by=f"self:{user.id}", now=ctx.now(),
        links=lambda token: [link for c in others for link in ctx.links_on(token, c)],
    )  # fmt: skip
    if not made.links:
        return Response().add(t("move-none"), menu)
    apps = ", ".join(t(f"app-{c}") for c in others)
    until = instant(ctx.calendar.local(made.invitation.expires_at))
    text = t("move-link", apps=apps, links="\n".join(made.links), until=until)
    return Response().add(text, menu)
