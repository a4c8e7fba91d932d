"""Rendering queued notices (outbox rows) for their recipient at delivery time.

The outbox stores what to say (kind, case, level), not the words: each channel renders it when it
delivers, from the state of the case at that moment, so that what a notice says is true when it
is read ("overdue since", never "2 hours left" after the deadline). What falls due for one person
at one moment leaves as one message, a bundle (`render_bundle`): the cases, most urgent first,
each with its button, paged when long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.channels.base import OutgoingFile, Reply, Response
from bot.formatting import day_date, deadline, instant, short_date
from bot.models import User
from bot.reminders import TASK_KINDS, Standing, intended_at, is_late, standing
from bot.services import cases
from bot.services.context import Ctx
from bot.services.handover import recipients
from bot.services.sweep import end_of_day
from bot.sop import CLOSED, Role
from bot.texts import t
from bot.workflow import Refused, progress
from handlers.base import Request, btn, button
from handlers.views import panel


async def render(
    ctx: Ctx, user_id: int, payload: dict[str, Any], late: bool = False
) -> Reply | None:
    """The message for one outbox row; None when it no longer applies (the case moved on).
    `late`: the notice leaves well after it was meant to (see `reminders.is_late`)."""
    async with ctx.db.read() as uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active:
        return None
    kind = payload["kind"]
    if kind == "digest":
        return await render_bundle(ctx, user_id, [{"payload": payload}], late=late)
    if kind == "backup_failed":  # to the admins (bot.upkeep)
        return Reply(text=t("notice-backup-failed", at=payload["at"], error=payload["error"]))
    if kind == "site_failed":  # to the admins (bot.services.register)
        return Reply(text=t("notice-site-failed", at=payload["at"], error=payload["error"]))
    if kind == "bot_error":
        return Reply(text=t("notice-bot-error", at=payload["at"], kind=payload["error"],
                            where=payload["where"]))  # fmt: skip
    reply: Reply | None
    if kind == "unreachable":
        reply = _unreachable(payload)
    elif kind in ("send_failed", "delivery_failed"):
        reply = Reply(text=t("notice-send-failed", name=payload["name"],
                             role=t(f"role-{payload['role']}")))  # fmt: skip
    elif kind == "setting_missing":
        # Setting names are for admins only; the others were told an admin knows.
        if user.role != Role.ADMIN:
            return None
        reply = Reply(text=t("notice-setting-missing", setting=payload["setting"],
                             why=t(payload["why"]), example=payload["example"]))  # fmt: skip
    else:
        reply = await _about_case(ctx, user, payload)
    if reply is not None and late:
        reply.text = t("notice-late") + reply.text
    return reply


def _unreachable(payload: dict[str, Any]) -> Reply:
    """To the admins, once per person: who cannot be reached, why, and what they can do."""
    reason = payload.get("reason_key") or "unreachable-refused"
    text = t("notice-unreachable", name=payload["name"], role=t(f"role-{payload['role']}"),
             reason=t(reason))  # fmt: skip
    person = payload["user_id"]
    return Reply(text=text, buttons=[[btn(t("btn-reach-retry"), "ur", person),
                                      btn(t("btn-reach-deactivate"), "ud", person)]])  # fmt: skip


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
                             file_id=d.file_ref(user.channel))
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
    now = ctx.now()
    where = standing(ctx.calendar, due, now)
    if kind == "reminder" and where.overdue:
        kind = "overdue"  # a reminder that leaves after the deadline says what is true then
    values = {"opd": v.opd.name, "round": v.round.name, "step": step, "deadline": deadline(due),
              "left": left_text(where, due), "deadline_plain": instant(due), "missing": missing,
              "assignees": assignees or t("notice-nobody")}  # fmt: skip
    key = f"notice-{kind}" if kind != "escalation" else f"notice-escalation-{payload['level']}"
    return Reply(text=t(key, **values), buttons=open_button)


def left_text(where: Standing, due: datetime) -> str:
    """Where a task stands, in words: time left before the deadline, or how late it is."""
    if where.overdue:
        if where.days:
            return t("notice-over-days", days=where.days)
        return t("notice-over-today", at=f"{due:%H.%M}")
    if where.days:
        return t("notice-left-days", days=where.days)
    if where.minutes < 60:
        return t("notice-left-minutes")
    return t("notice-left-hours", hours=round(where.minutes / 60))


PAGE = 10  # cases per page of a bundle: a phone screen, with a button each
LISTED_KINDS = (*TASK_KINDS, "handover", "deadline_moved")  # a bundle lists their tasks
TAGS = ("handover", "deadline_moved", "escalation", "late")  # what a listed line may add


@dataclass(frozen=True)
class _Line:
    task: dict[str, Any]
    due: datetime
    kinds: frozenset[str]


async def render_bundle(
    ctx: Ctx, user_id: int, rows: list[dict[str, Any]], *, late: bool = False,
    bundle_id: int | None = None, page: int | None = None,
) -> Reply | None:  # fmt: skip
    """One message for everything that leaves for one person at one moment: their notices about
    tasks (already superseded to one per task) and their daily digest, as one list of cases,
    most urgent first, each with a button, paged with "more" buttons (`bundle_id`, `page`).
    As a notice (`page` None), a single notice about a task without a digest reads as that
    notice alone. None when nothing in it still applies."""
    async with ctx.db.read() as uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active:
        return None
    task_rows = [r for r in rows if r["payload"]["kind"] in LISTED_KINDS]
    digest = next((r for r in rows if r["payload"]["kind"] == "digest"), None)
    as_notice = page is None
    if digest is None and len(task_rows) == 1 and as_notice:
        return await render(ctx, user_id, task_rows[0]["payload"], late=late)
    page = page or 0
    now = ctx.now()
    # A notice some of whose cases are late says so on those lines (all late: in the heading).
    mark_late = as_notice and not late
    shown, total = await _lines(ctx, task_rows, digest is not None, now, mark_late, page)
    if total == 0:
        return None
    pages = -(-total // PAGE)
    if page >= pages:  # cases were dealt with since: show the last page there is
        page = pages - 1
        shown, total = await _lines(ctx, task_rows, digest is not None, now, mark_late, page)
    head = (
        t("notice-digest-head", day=day_date(now.date()))
        if digest is not None
        else t("notice-bundle-head", count=total)
    )
    text = [t("notice-late") + head if late else head]
    section = ""
    buttons = []
    for number, line in enumerate(shown, start=page * PAGE + 1):
        where = standing(ctx.calendar, line.due, now)
        title = "notice-digest-overdue" if where.overdue else (
            "notice-digest-due" if where.days == 0 else "notice-digest-soon")  # fmt: skip
        if title != section:
            section = title
            text.append(t(title))
        task = line.task
        tags = "".join(t(f"notice-tag-{k}") for k in TAGS if k in line.kinds)
        text.append(t("notice-digest-line", n=number, opd=task["opd_name"],
                      step=t(f"step-{task['step']}").split(":")[0],
                      due=f"{short_date(line.due.date())} {line.due:%H.%M}",
                      left=left_text(where, line.due), tags=tags))  # fmt: skip
        buttons.append([btn(f"{number}. {task['opd_name']}", "op", task["case_id"])])
    if pages > 1:
        text.append(t("notice-bundle-page", page=page + 1, pages=pages, count=total))
    nav = []
    if bundle_id is not None and page > 0:
        nav.append(btn(t("btn-prev"), "nb", bundle_id, page - 1))
    if bundle_id is not None and page + 1 < pages:
        nav.append(btn(t("btn-next"), "nb", bundle_id, page + 1))
    buttons += [nav] if nav else []
    buttons.append([btn(t("btn-tasks"), "tg"), btn(t("btn-status"), "st")])
    return Reply(text="\n".join(text), buttons=buttons)


async def _lines(
    ctx: Ctx, task_rows: list[dict[str, Any]], digest: bool, now: datetime, mark_late: bool,
    page: int,
) -> tuple[list[_Line], int]:  # fmt: skip
    """One page of the cases a bundle lists, and how many there are: the tasks its notices are
    about (while still open at their step) and, with a digest, every open task due today or
    overdue; most urgent first. The digest's tasks are paged in SQL (a province has tens of
    thousands), the notices' own in memory (they are the person's)."""
    kinds: dict[int, set[str]] = {}
    for r in task_rows:
        marks = kinds.setdefault(int(r["payload"]["task_id"]), set())
        marks.add(r["payload"]["kind"])
        if (
            mark_late
            and "not_before" in r
            and is_late(intended_at(r["payload"], r["not_before"]), now, ctx.policy)
        ):
            marks.add("late")
    until = end_of_day(ctx.calendar, now.date())
    async with ctx.db.read() as uow:
        own = await uow.tasks.briefs(kinds)
        listed = [b for b in own.values() if b["done_at"] is None and b["case_step"] == b["step"]]
        # With a digest, every open task due by tonight is listed from SQL; the notices' own
        # tasks due later (a reminder days ahead) follow them, as the sort by deadline would.
        later = sorted(
            (b for b in listed if not digest or _local(ctx, b) >= until),
            key=lambda b: (_local(ctx, b), b["opd_name"], b["id"]),
        )
        in_digest = await uow.tasks.count_due_by(until) if digest else 0
        first = page * PAGE
        ids = await uow.tasks.due_by_page(until, first, PAGE) if first < in_digest else []
        shown = list((await uow.tasks.briefs(ids)).values()) if ids else []
        shown.sort(key=lambda b: ids.index(b["id"]))
    rest = max(0, first - in_digest)
    shown += later[rest : rest + PAGE - len(shown)]
    lines = [_Line(b, _local(ctx, b), frozenset(kinds.get(b["id"], ()))) for b in shown]
    return lines, in_digest + len(later)


def _local(ctx: Ctx, brief: dict[str, Any]) -> datetime:
    return ctx.calendar.local(datetime.fromisoformat(brief["due_at"]))


@button("nb")
async def bundle_page(req: Request) -> Response:
    """Another page of a bundle of notices (only its own recipient may turn it)."""
    bundle_id, page = req.args
    async with req.ctx.db.read() as uow:
        rows = await uow.outbox.of_bundle(bundle_id, req.user.id)
    if not rows:
        raise Refused("refused-stale")
    reply = await render_bundle(req.ctx, req.user.id, rows, bundle_id=bundle_id, page=page)
    if reply is None:
        return Response(note=t("notice-bundle-empty"), alert=True)
    reply.supersedes = True
    return Response(replies=[reply])
