"""Step 1 entries (Pejabat PID): add one by title, summary and category; change or remove it.
The PPID Utama uses the same card in step 2 to correct a category."""

from __future__ import annotations

from bot.channels.base import Button, Response
from bot.models import Entry
from bot.services import cases, drafting, review
from bot.sop import Role
from bot.texts import t
from bot.workflow import Refused, check_actor, clean_text
from handlers.base import Request, ask, btn, button, dialog, forget
from handlers.views import panel


def card(e: Entry) -> str:
    return t("entry-card", number=e.number, title=e.title, summary=e.summary,
             category=t(f"cat-{e.category}"), holder=e.holder, responsible=e.responsible,
             made=e.made, forms=e.forms, retention=e.retention)  # fmt: skip


def categories(action: str, *prefix: int, suffix: tuple[int, ...] = ()) -> list[list[Button]]:
    labels = [t(f"cat-{c}") for c in drafting.CATEGORIES]
    row = [btn(label, action, *prefix, i, *suffix) for i, label in enumerate(labels)]
    return [row[:2], row[2:]]


@button("ea")
async def add(req: Request) -> Response:
    """Start a new entry: ask its title."""
    v = await cases.view(req.ctx, req.args[0])
    if not cases.acts_on(req.user, v.case) or v.case.step != 1:
        raise Refused("refused-role" if v.case.step == 1 else "refused-wrong-step")
    return await ask(req, "entry_title", {"case": v.case.id}, t("entry-ask-title"))


@dialog("entry_title")
async def title(req: Request) -> Response:
    """Title arrived: ask the summary."""
    value = drafting.clean_field("title", req.ev.text or "")
    return await ask(req, "entry_summary", req.data | {"title": value},
                     t("entry-ask-summary", title=value))  # fmt: skip


@dialog("entry_summary")
async def summary(req: Request) -> Response:
    """Summary arrived: ask the category by button."""
    value = drafting.clean_field("summary", req.ev.text or "")
    data = req.data | {"summary": value}
    resp = await ask(req, "entry_category", data, t("entry-ask-category", title=data["title"]))
    resp.replies[0].buttons = categories("ec") + resp.replies[0].buttons
    return resp


@button("ec")
async def category(req: Request) -> Response:
    """Category chosen: save the entry with defaults for the other fields."""
    if req.data.get("_kind") != "entry_category":
        raise Refused("refused-stale")
    entry = await drafting.add_entry(req.ctx, req.user, req.data["case"], req.data["title"],
                                     req.data["summary"], req.args[0])  # fmt: skip
    return entry_menu(entry, t("entry-saved", number=entry.number))


def entry_menu(e: Entry, lead: str = "") -> Response:
    labels = [t(f"field-{f}") for f in drafting.FIELDS]
    fields = [btn(label, "ef", e.id, i) for i, label in enumerate(labels)]
    rows = [fields[i : i + 3] for i in range(0, len(fields), 3)]
    rows.append(
        [btn(t("btn-add-entry"), "ea", e.case_id), btn(t("btn-back-case"), "op", e.case_id)]
    )
    return Response().add((lead + "\n\n" if lead else "") + card(e), rows)


@button("ee")
async def show(req: Request) -> Response:
    """An entry's card: fields to edit (step 1) or categories to correct (step 2)."""
    async with req.ctx.db.read() as uow:
        entry = await uow.entries.get(req.args[0])
        v = await cases.load(uow, entry.case_id) if entry else None
    if entry is None or v is None:
        raise Refused("refused-unknown-entry")
    if req.user.role == Role.UTAMA and v.case.step == 2 and cases.acts_on(req.user, v.case):
        rows = categories("kc", entry.id, suffix=(v.case.version,))
        rows.append([btn(t("btn-back-case"), "op", v.case.id)])
        return Response().add(card(entry), rows)
    if not cases.acts_on(req.user, v.case) or v.case.step != 1:
        raise Refused("refused-role")
    resp = entry_menu(entry)
    resp.replies[0].buttons.insert(-1, [btn(t("btn-remove-entry"), "ex", entry.id, v.case.version)])
    return resp


@button("ef")
async def edit_field(req: Request) -> Response:
    """Ask the new value of one field."""
    entry_id, index = req.args
    if index >= len(drafting.FIELDS):
        raise Refused("refused-bad-button")
    async with req.ctx.db.read() as uow:
        entry = await uow.entries.get(entry_id)
    if entry is None:
        raise Refused("refused-unknown-entry")
    check_actor(req.user, (await cases.view(req.ctx, entry.case_id)).case, step=1)
    field = drafting.FIELDS[index]
    key = "field-ask-forms" if field == "forms" else "field-ask"
    text = t(key, field=t(f"field-{field}"), value=getattr(entry, field))
    return await ask(req, "entry_field", {"entry": entry_id, "field": field}, text)


@dialog("entry_field")
async def field_value(req: Request) -> Response:
    """Save the new value of a field."""
    entry = await drafting.edit_entry(req.ctx, req.user, req.data["entry"], req.data["field"],
                                      clean_text(req.ev.text, 1000))  # fmt: skip
    await forget(req)
    return entry_menu(entry)


@button("ex")
async def remove(req: Request) -> Response:
    """Remove an entry from the draft."""
    entry = await drafting.remove_entry(req.ctx, req.user, req.args[0], req.args[1])
    v = await cases.view(req.ctx, entry.case_id)
    resp = Response().add(t("entry-removed", number=entry.number))
    resp.replies.append(panel(v, req.user, req.ctx.settings.publisher))
    return resp


@button("kc")
async def correct(req: Request) -> Response:
    """PPID Utama corrects an entry's category in step 2."""
    entry_id, index, version = req.args
    await review.correct_category(req.ctx, req.user, entry_id, index, version)
    async with req.ctx.db.read() as uow:
        entry = await uow.entries.get(entry_id)
    assert entry is not None
    v = await cases.view(req.ctx, entry.case_id)
    resp = Response(
        note=t("category-fixed", number=entry.number, category=t(f"cat-{entry.category}"))
    )
    resp.replies.append(panel(v, req.user, req.ctx.settings.publisher))
    return resp
