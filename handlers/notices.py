"""Rendering queued notices (outbox rows) for their recipient at delivery time.

The outbox stores what to say (kind, case, level), not the words: each channel renders it when it
delivers, from the state of the case at that moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.channels.base import OutgoingFile, Reply
from bot.formatting import day_date, deadline, instant, short_date
from bot.models import User
from bot.services import cases
from bot.services.context import Ctx
from bot.services.handover import recipients
from bot.sop import CLOSED, Role
from bot.texts import t
from bot.workflow import progress
from handlers.base import btn
from handlers.views import panel

TASK_KINDS = ("reminder", "overdue", "escalation")


async def render(ctx: Ctx, user_id: int, payload: dict[str, Any]) -> Reply | None:
    """The message for one outbox row; None when it no longer applies (the case moved on)."""
    async with ctx.db.read() as uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active:
        return None
    kind = payload["kind"]
    if kind == "digest":
        reply = await _digest(ctx, payload)
    elif kind == "setting_missing":
        # Setting names are for admins only; the others were told an admin knows.
        if user.role != Role.ADMIN:
            return None
        reply = Reply(text=t("notice-setting-missing", setting=payload["setting"],
                             why=t(payload["why"]), example=payload["example"]))  # fmt: skip
    elif kind == "delivery_failed":
        reply = Reply(text=t("notice-delivery-failed", name=payload["name"],
                             role=t(f"role-{payload['role']}"), reason=payload["reason"],
                             id=payload["row"]))  # fmt: skip
    else:
        reply = await _about_case(ctx, user, payload)
    if reply is not None and payload.get("late"):
        reply.text = t("notice-late") + reply.text
    return reply


async def _about_case(ctx: Ctx, user: User, payload: dict[str, Any]) -> Reply | None:
    v = await cases.view(ctx, payload["case_id"])
    kind = payload["kind"]
    # A notice about a step that is over would only confuse.
    if kind != "published" and (v.case.step != payload["step"] or v.case.step == CLOSED):
        return None
    if kind in TASK_KINDS and (v.task is None or v.task.id != payload["task_id"]):
        return None
    if kind == "handover":
        reply = panel(v, user, ctx.settings.publisher)
        reply.text = "📥 " + reply.text
        if v.case.step == 2:
            reply.files = [
                OutgoingFile(name=d.name, mime=d.mime, path=ctx.files.path_for(d.sha256),
                             file_id=d.channel_file_id)
                for d in v.docs_of(None)
            ]  # fmt: skip
        return reply
    if kind == "published":
        return Reply(text=t("notice-published", opd=v.opd.name, round=v.round.name,
                            published=payload["published"], not_held=payload["not_held"],
                            exempt=payload["exempt"]))  # fmt: skip
    step = t(f"step-{v.case.step}")
    open_button = [[btn(t("btn-open"), "op", v.case.id)]]
    if kind == "deadline_moved":
        old = ctx.calendar.local(datetime.fromisoformat(payload["old_due"]))
        text = t("notice-moved", opd=v.opd.name, step=step,
                 deadline=deadline(ctx.calendar.local(datetime.fromisoformat(payload["due"]))),
                 old=instant(old))  # fmt: skip
        return Reply(text=text, buttons=open_button)
    assert v.task is not None
    due = ctx.calendar.local(v.task.due_at)
    missing = ""
    if v.case.step == 3:
        done, total = progress(v.entries)
        missing = t("notice-missing", missing=total - done, total=total) if done < total else ""
    async with ctx.db.read() as uow:
        assignees = ", ".join(u.name for u in await recipients(uow, v.case, v.case.step))
    left = ""
    if kind == "reminder":
        now = ctx.now()
        days = ctx.calendar.workdays_between(now.date(), due.date())
        if days >= 1:
            left = t("notice-left-days", days=days)
        else:
            hours = ctx.calendar.office_time_between(now, due).total_seconds() / 3600
            left = t("notice-left-hours", hours=max(1, round(hours)))
    values = {"opd": v.opd.name, "round": v.round.name, "step": step, "deadline": deadline(due),
              "left": left,
              "deadline_plain": instant(due), "missing": missing,
              "assignees": assignees or t("notice-nobody")}  # fmt: skip
    key = f"notice-{kind}" if kind != "escalation" else f"notice-escalation-{payload['level']}"
    return Reply(text=t(key, **values), buttons=open_button)


async def _digest(ctx: Ctx, payload: dict[str, Any]) -> Reply | None:
    day = datetime.fromisoformat(payload["day"]).date()
    now = ctx.now()
    async with ctx.db.read() as uow:
        rows = await uow.tasks.open_with_names()
    due = {r["id"]: ctx.calendar.local(datetime.fromisoformat(r["due_at"])) for r in rows}
    overdue = [r for r in rows if due[r["id"]] < now]
    due_today = [r for r in rows if due[r["id"]].date() == day and due[r["id"]] >= now]
    if not due_today and not overdue:
        return None
    lines = [t("notice-digest-head", day=day_date(day))]
    for title, group in (("notice-digest-overdue", overdue), ("notice-digest-due", due_today)):
        if group:
            lines.append(t(title))
            for r in group:
                at = due[r["id"]]
                lines.append(t("notice-digest-line", opd=r["opd_name"],
                               step=t(f"step-{r['step']}").split(":")[0],
                               due=f"{short_date(at.date())} {at:%H.%M}"))  # fmt: skip
    return Reply(text="\n".join(lines), buttons=[[btn(t("btn-status"), "st")]])
