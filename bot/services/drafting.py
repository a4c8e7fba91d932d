"""Step 1 (Pejabat PID): compile the OPD's draft list, entry by entry, then send it on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import Entry, User
from bot.services.cases import CaseView, load
from bot.services.context import Ctx, audit
from bot.services.handover import claim, hand_over, take
from bot.sop import Category
from bot.workflow import (
    MAX_SUMMARY,
    MAX_TITLE,
    Refused,
    check_actor,
    check_version,
    clean_text,
    submit_draft,
)

# Editable fields in the order of the buttons; the index travels in button data.
FIELDS = ("title", "summary", "holder", "responsible", "made", "forms", "retention")
FORMS = ("cetak", "softcopy", "online")
CATEGORIES = tuple(Category)


def defaults(opd_name: str, now: datetime) -> dict[str, str]:
    """Sensible values for the Perki 1/2021 fields that the person may change afterwards."""
    return {
        "holder": opd_name,
        "responsible": f"Kepala {opd_name}",
        "made": f"{now.year}, Pontianak",
        "forms": "softcopy",
        "retention": "Sesuai Jadwal Retensi Arsip",
    }


def clean_field(field: str, value: str) -> str:
    if field == "title":
        return clean_text(value, MAX_TITLE)
    if field == "forms":
        words = [w.strip().lower() for w in value.replace(";", ",").split(",") if w.strip()]
        if not words or any(w not in FORMS for w in words):
            raise Refused("refused-forms")
        return ",".join(dict.fromkeys(words))
    return clean_text(value, MAX_SUMMARY if field == "summary" else 300)


async def _editable(uow: Any, user: User, case_id: int) -> CaseView:
    v = await load(uow, case_id)
    check_actor(user, v.case, step=1)
    return v


async def add_entry(
    ctx: Ctx, user: User, case_id: int, title: str, summary: str, category: int
) -> Entry:
    if not 0 <= category < len(CATEGORIES):
        raise Refused("refused-bad-button")
    fields: dict[str, Any] = {
        "title": clean_field("title", title),
        "summary": clean_field("summary", summary),
        "category": CATEGORIES[category].value,
    }
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        await take(uow, case_id)
        v = await _editable(uow, user, case_id)
        entry = await uow.entries.add(case_id, fields | defaults(v.opd.name, now))
        await audit(uow, now, "entry:add", user, case_id=case_id, step=1, note=f"#{entry.number}")
        # The question that led here ends with the answer, in one transaction: a crash between
        # two would leave it open, and the press delivered again would add the entry twice.
        await uow.dialogs.clear(user.id)
        await uow.commit()
    return entry


async def edit_entry(ctx: Ctx, user: User, entry_id: int, field: str, value: str) -> Entry:
    if field not in FIELDS:
        raise Refused("refused-bad-button")
    cleaned = clean_field(field, value)
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        found = await uow.entries.get(entry_id)
        if found is None:
            raise Refused("refused-unknown-entry")
        await take(uow, found.case_id)
        v = await _editable(uow, user, found.case_id)
        # As it is now that the case is ours (it may have been removed meanwhile).
        entry = next((e for e in v.entries if e.id == entry_id), None)
        if entry is None:
            raise Refused("refused-unknown-entry")
        await uow.entries.update(entry_id, **{field: cleaned})
        await audit(uow, now, f"entry:edit:{field}", user, case_id=v.case.id, step=1,
                    note=f"#{entry.number}")  # fmt: skip
        updated = await uow.entries.get(entry_id)
        await uow.commit()
    assert updated is not None
    return updated


async def remove_entry(ctx: Ctx, user: User, entry_id: int, version: int) -> Entry:
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        entry = await uow.entries.get(entry_id)
        if entry is None:
            raise Refused("refused-unknown-entry")
        v = await _editable(uow, user, entry.case_id)
        check_version(v.case, version)
        await claim(uow, v.case, version)
        await uow.entries.remove(entry_id)
        await audit(uow, now, "entry:remove", user, case_id=v.case.id, step=1,
                    note=f"#{entry.number}")  # fmt: skip
        await uow.commit()
    return entry


async def send_to_utama(ctx: Ctx, user: User, case_id: int, version: int) -> datetime | None:
    now = ctx.now()
    async with ctx.db.transaction() as uow:
        v = await _editable(uow, user, case_id)
        check_version(v.case, version)
        transition = submit_draft(v.entries, bool(v.docs_of(None)))
        await claim(uow, v.case, version)
        due = await hand_over(uow, ctx, v.case, user, transition, now)
        await uow.commit()
    ctx.kick()
    return due
