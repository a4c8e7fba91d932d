"""Rendering queued notices (outbox rows) for their recipient at delivery time."""

from __future__ import annotations

from typing import Any

from bot.channels.base import OutgoingFile, Reply
from bot.services import cases
from bot.services.context import Ctx
from bot.texts import t
from handlers.views import panel


async def render(ctx: Ctx, user_id: int, payload: dict[str, Any]) -> Reply | None:
    """The message for one outbox row; None when it no longer applies (the case moved on)."""
    async with ctx.db.transaction() as uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active:
        return None
    v = await cases.view(ctx, payload["case_id"])
    if payload["kind"] == "handover":
        if v.case.step != payload["step"]:
            return None
        reply = panel(v, user)
        reply.text = "📥 " + reply.text
        if v.case.step == 2:
            reply.files = [
                OutgoingFile(name=d.name, mime=d.mime, path=ctx.files.path_for(d.sha256),
                             file_id=d.channel_file_id)
                for d in v.docs_of(None)
            ]  # fmt: skip
        return reply
    if payload["kind"] == "published":
        text = t("notice-published", opd=v.opd.name, round=v.round.name,
                 published=payload["published"], not_held=payload["not_held"],
                 exempt=payload["exempt"])  # fmt: skip
        return Reply(text=text)
    raise ValueError(f"unknown notice kind {payload['kind']!r}")
