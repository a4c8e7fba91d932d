"""Rendering queued notices (outbox rows) for their recipient at delivery time.

The outbox stores what to say (kind, case, level), not the words: each channel renders it when it
delivers, from the state of the case at that moment, so that what a notice says is true when it
is read ("overdue since", never "2 hours left" after the deadline). What falls due for one person
at one moment leaves as one message, a bundle (`render_bundle`): the cases, most urgent first,
each with its button, paged when long."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.channels.base import OutgoingFile, Reply, Response
from bot.channels.port import Brief
from bot.formatting import day_date, deadline, instant, local, short_date
from bot.models import OutboxRow, TaskBrief, User
from bot.reminders import EXEMPT_KINDS, TASK_KINDS, Standing, intended_at, is_late, standing
from bot.services import cases
from bot.services.absences import cover_at
from bot.services.context import Ctx
from bot.services.handover import recipients
from bot.services.sweep import end_of_day
from bot.sop import CLOSED, Role
from bot.texts import Marked, escape, t
from bot.workflow import Refused, progress
from handlers.base import Request, btn, button
from handlers.codec import encode
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
        return await _bundle(ctx, user_id, [], [], digest=True, late=late)
    if kind == "backup_failed":  # to the admins (bot.upkeep)
        return Reply(text=t("notice-backup-failed", at=payload["at"], error=payload["error"]))
    if kind == "templates_missing":  # to the admins (bot.channels.whatsapp)
        return Reply(text=t("wa-templates-missing", names=", ".join(payload["names"])))
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
    elif kind.startswith("absence_") or kind == "task_uncovered":
        reply = await _about_absence(ctx, user, payload)
    elif kind == "setting_missing":
        # Setting names are for admins only; the others were told an admin knows.
        if user.role != Role.ADMIN:
            return None
        reply = Reply(text=t("notice-setting-missing", setting=payload["setting"],
                             why=t(payload["why"]), example=payload["example"]))  # fmt: skip
    elif kind in EXEMPT_KINDS:
        from handlers import exemptions  # it renders with this module's `left_text`

        reply = await exemptions.notice(ctx, user, payload)
    else:
        reply = await _about_case(ctx, user, payload)
    if reply is not None and payload.get("for"):
        reply.text = await _on_behalf(ctx, payload["for"]) + reply.text
    if reply is not None and late:
        reply.text = t("notice-late") + reply.text
    return reply


async def _on_behalf(ctx: Ctx, ids: list[int]) -> str:
    """The line that says a notice reaches a stand-in for an absent person ("a.n. X")."""
    async with ctx.db.read() as uow:
        names = [u.name for u in [await uow.users.get(int(i)) for i in ids] if u is not None]
    return t("notice-on-behalf", names=", ".join(names) or "?")


async def _about_absence(ctx: Ctx, user: User, payload: dict[str, Any]) -> Reply | None:
    """Absences (Plh/Plt): recorded, over, and work nobody can take."""
    kind = payload["kind"]
    menu = [[btn(t("btn-tasks"), "tg"), btn(t("btn-absences"), "ab")]]
    if kind == "task_uncovered":
        v = await cases.view(ctx, payload["case_id"])
        if v.case.step != payload["step"] or v.task is None or v.task.id != payload["task_id"]:
            return None  # somebody took it since
        return Reply(text=t("notice-task-uncovered", opd=v.opd.name, round=v.round.name,
                            step=t(f"step-{v.case.step}"), role=t(f"role-{payload['role']}"),
                            deadline=deadline(ctx.calendar.local(v.task.due_at))),
                     buttons=[[btn(t("btn-open"), "op", v.case.id)]])  # fmt: skip
    async with ctx.db.read() as uow:
        absence = await uow.absences.get(payload["absence_id"])
        if absence is None:
            return None
        person = await uow.users.get(absence.user_id)
        stand_in = await uow.users.get(absence.stand_in_id) if absence.stand_in_id else None
        open_tasks = len(await cases.tasks_of(uow, person)) if person else 0
    if person is None:
        return None
    values = {"name": person.name, "role": t(f"role-{person.role}"),
              "stand_in": stand_in.name if stand_in else t("absence-no-stand-in"),
              "starts": short_date(absence.starts), "tasks": open_tasks,
              "ends": short_date(absence.ends) if absence.ends else t("absence-open-ended")}  # fmt: skip
    if kind in ("absence_uncovered", "absence_recorded") and absence.ended_at is not None:
        return None  # ended (or withdrawn) before this left: no longer true
    if kind == "absence_uncovered":
        return Reply(text=t("notice-absence-uncovered", day=short_date(
            date.fromisoformat(payload["day"])), **values), buttons=menu)  # fmt: skip
    if kind == "absence_recorded":
        key = "notice-absence-stand-in" if user.id == absence.stand_in_id else "notice-absence-you"
        return Reply(text=t(key, **values), buttons=menu)
    if kind == "absence_withdrawn":
        return Reply(text=t("notice-absence-withdrawn", **values), buttons=menu)
    # absence_over: told once, to both.
    key = "notice-absence-back" if user.id == absence.user_id else "notice-absence-handed-back"
    return Reply(text=t(key, **values), buttons=menu)


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
    now = ctx.now()
    async with ctx.db.read() as uow:
        # Who acts now: an absent officer's stand-in, "a.n." them (`bot.absences`).
        cover = await cover_at(uow, now)
        routed = cover.route(await recipients(uow, v.case, v.case.step))
    # Sentences from `t` are escaped already: the list is marked as such, not escaped twice.
    assignees = Marked(", ".join(
        t("notice-assignee-on-behalf", name=r.user.name,
          names=", ".join(cover.people[i].name for i in r.on_behalf if i in cover.people))
        if r.on_behalf else escape(r.user.name)
        for r in routed
    ))  # fmt: skip
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
    task: TaskBrief
    due: datetime
    kinds: frozenset[str]


async def render_bundle(
    ctx: Ctx, user_id: int, rows: Sequence[OutboxRow], *, late: bool = False,
    bundle_id: int | None = None, page: int | None = None,
) -> Reply | None:  # fmt: skip
    """One message for everything that leaves for one person at one moment: their notices about
    tasks (already superseded to one per task) and their daily digest, as one list of cases,
    most urgent first, each with a button, paged with "more" buttons (`bundle_id`, `page`).
    As a notice (`page` None), a single notice about a task without a digest reads as that
    notice alone. None when nothing in it still applies."""
    task_rows = [r for r in rows if r.kind in LISTED_KINDS]
    exempt_rows = [r for r in rows if r.kind in EXEMPT_KINDS]
    digest = any(r.kind == "digest" for r in rows)
    return await _bundle(ctx, user_id, task_rows, exempt_rows, digest=digest, late=late,
                         bundle_id=bundle_id, page=page)  # fmt: skip


async def _bundle(
    ctx: Ctx, user_id: int, task_rows: list[OutboxRow], exempt_rows: list[OutboxRow], *,
    digest: bool, late: bool = False, bundle_id: int | None = None, page: int | None = None,
) -> Reply | None:  # fmt: skip
    """`render_bundle` of rows already sorted out: the notices about tasks, those about
    exemptions, and whether a digest is among them (a digest alone is its own notice)."""
    async with ctx.db.read() as uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active:
        return None
    as_notice = page is None
    alone = task_rows or exempt_rows
    if not digest and len(alone) == 1 and not (task_rows and exempt_rows) and as_notice:
        return await render(ctx, user_id, alone[0].payload, late=late)
    page = page or 0
    now = ctx.now()
    # A notice some of whose cases are late says so on those lines (all late: in the heading).
    mark_late = as_notice and not late
    shown, total = await _lines(ctx, task_rows, digest, now, mark_late, page)
    # Exemptions awaiting a decision come after the cases, on the first page, each with its
    # buttons (they are few: a city decides a handful a month).
    exempt = await _exemption_blocks(ctx, user, exempt_rows) if page == 0 else []
    if total == 0 and exempt:
        head = t("notice-bundle-head", count=len(exempt))
        return Reply(text="\n\n".join([t("notice-late") + head if late else head,
                                        *(r.text for r in exempt)]),
                     buttons=[row for r in exempt for row in r.buttons])  # fmt: skip
    if total == 0:
        return None
    pages = -(-total // PAGE)
    if page >= pages:  # cases were dealt with since: show the last page there is
        page = pages - 1
        shown, total = await _lines(ctx, task_rows, digest, now, mark_late, page)
    head = (
        t("notice-digest-head", day=day_date(now.date()))
        if digest
        else t("notice-bundle-head", count=total)
    )
    text = [t("notice-late") + head if late else head]
    on_behalf = sorted({int(i) for r in task_rows for i in r.payload.get("for", [])})
    if on_behalf:
        text.insert(0, (await _on_behalf(ctx, on_behalf)).rstrip("\n"))
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
        text.append(t("notice-digest-line", n=number, opd=task.opd_name,
                      step=t(f"step-{task.step}").split(":")[0],
                      due=f"{short_date(local(line.due).date())} {local(line.due):%H.%M}",
                      left=left_text(where, line.due), tags=tags))  # fmt: skip
        buttons.append([btn(f"{number}. {task.opd_name}", "op", task.case_id)])
    for block in exempt:
        text.append("\n" + block.text)
        buttons += block.buttons
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


async def _exemption_blocks(ctx: Ctx, user: User, rows: list[OutboxRow]) -> list[Reply]:
    """The notices about exemptions in a bundle, each as it reads alone; none once decided."""
    from handlers import exemptions

    blocks = [await exemptions.notice(ctx, user, r.payload) for r in rows]
    return [b for b in blocks if b is not None]


async def _lines(
    ctx: Ctx, task_rows: list[OutboxRow], digest: bool, now: datetime, mark_late: bool,
    page: int,
) -> tuple[list[_Line], int]:  # fmt: skip
    """One page of the cases a bundle lists, and how many there are: the tasks its notices are
    about (while still open at their step) and, with a digest, every open task due today or
    overdue; most urgent first. The digest's tasks are paged in SQL (a province has tens of
    thousands), the notices' own in memory (they are the person's)."""
    kinds: dict[int, set[str]] = {}
    for r in task_rows:
        marks = kinds.setdefault(int(r.payload["task_id"]), set())
        marks.add(r.kind)
        if mark_late and is_late(intended_at(r.payload, r.not_before), now, ctx.policy):
            marks.add("late")
    until = end_of_day(ctx.calendar, now.date())
    # Beside the units of work: the digest's count runs over every open task due by tonight.
    async with ctx.db.read_aside() as uow:
        own = await uow.tasks.briefs(kinds)
        listed = [b for b in own.values() if b.done_at is None and b.case_step == b.step]
        # With a digest, every open task due by tonight is listed from SQL; the notices' own
        # tasks due later (a reminder days ahead) follow them, as the sort by deadline would.
        later = sorted(
            (b for b in listed if not digest or _local(ctx, b) >= until),
            key=lambda b: (_local(ctx, b), b.opd_name, b.id),
        )
        in_digest = await uow.tasks.count_due_by(until) if digest else 0
        first = page * PAGE
        ids = await uow.tasks.due_by_page(until, first, PAGE) if first < in_digest else []
        shown = list((await uow.tasks.briefs(ids)).values()) if ids else []
        shown.sort(key=lambda b: ids.index(b.id))
    rest = max(0, first - in_digest)
    shown += later[rest : rest + PAGE - len(shown)]
    lines = [_Line(b, _local(ctx, b), frozenset(kinds.get(b.id, ()))) for b in shown]
    return lines, in_digest + len(later)


def _local(ctx: Ctx, brief: TaskBrief) -> datetime:
    return ctx.calendar.local(brief.due_at)


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


async def brief(
    ctx: Ctx, user_id: int, rows: Sequence[OutboxRow], *, bundle_id: int | None = None
) -> Brief | None:
    """A notice (one row, or a person's bundle) in short, for a person the bot may not write
    to freely: a hand-over names its OPD, step and deadline; a bundle how many cases wait and
    the most urgent one; anything else what it is about. Its button opens the full notice
    (`on`: one row; `nb`: the bundle, re-rendered from the state of that moment). None when
    nothing in it still applies."""
    async with ctx.db.read() as uow:
        user = await uow.users.get(user_id)
    if user is None or not user.active:
        return None
    first = rows[0]
    payload = first.payload
    kind = first.kind
    if bundle_id is None and kind == "handover":
        v = await cases.view(ctx, payload["case_id"])
        if v.case.step != payload["step"] or v.task is None or v.task.id != payload["task_id"]:
            return None
        due = deadline(ctx.calendar.local(v.task.due_at))
        return Brief("handover", (v.opd.name, t(f"step-{v.case.step}"), due), _on(first))
    task_rows = [r for r in rows if r.kind in LISTED_KINDS]
    digest = any(r.kind == "digest" for r in rows)
    if task_rows or digest:
        shown, total = await _lines(ctx, task_rows, digest, ctx.now(), False, 0)
        if total == 0:
            return None
        top = shown[0]
        step = t(f"step-{top.task.step}").split(":")[0]
        button = encode("nb", bundle_id, 0) if bundle_id is not None else _on(first)
        return Brief("reminders", (str(total), f"{top.task.opd_name} ({step})",
                                   deadline(top.due)), button)  # fmt: skip
    if await render(ctx, user_id, payload) is None:
        return None
    return Brief("notice", (t(f"brief-{kind}") if f"brief-{kind}" in BRIEF_SUBJECTS
                            else t("brief-other"),), _on(first))  # fmt: skip


BRIEF_SUBJECTS = frozenset(
    f"brief-{k}" for k in ("published", "unreachable", "send_failed", "delivery_failed",
                           "backup_failed", "bot_error", "setting_missing")
)  # fmt: skip


def _on(row: OutboxRow) -> str:
    """The data of the button that opens one queued notice in full."""
    return encode("on", row.id)


@button("on")
async def open_notice(req: Request) -> Response:
    """A notice the person was sent in short (a template outside WhatsApp's window), in full,
    as it reads now (only its own recipient may open it)."""
    (row_id,) = req.args
    async with req.ctx.db.read() as uow:
        row = await uow.outbox.of_user(row_id, req.user.id)
    if row is None:
        raise Refused("refused-stale")
    reply = await render(req.ctx, req.user.id, row.payload)
    if reply is None:
        return Response(replies=[Reply(text=t("notice-no-longer"))])
    return Response(replies=[reply])
