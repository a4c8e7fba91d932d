"""The life of a document after it arrived: the PPID Pendukung removes one of their own entry
before submitting (step 3), the PPID Utama rejects one while reviewing (step 4), or rejects the
current documents of the entries returned at step 4. Nothing is deleted: the row keeps who, when
and why, the bytes stay in the store as evidence, and only current documents are ever published."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.models import Document, Entry, User
from bot.services.cases import CaseView, load
from bot.services.context import Ctx, audit
from bot.services.handover import claim
from bot.workflow import (
    MAX_NOTE,
    Refused,
    check_actor,
    check_document_in_review,
    check_entry_editable_in_step3,
    check_version,
    clean_text,
)
from storage.uow import UnitOfWork

REMOVE_STEP = 3  # the PPID Pendukung, before submitting
REJECT_STEP = 4  # the PPID Utama, while reviewing


async def document_in(
    uow: UnitOfWork, user: User, document_id: int, step: int
) -> tuple[CaseView, Entry, Document]:
    """The current document of an entry that this person may take out at `step` now: role, OPD,
    step, the document belongs to an entry of the case, and that entry is still open to it."""
    doc = await uow.documents.get(document_id)
    if doc is None or doc.entry_id is None:
        raise Refused("refused-unknown-document")
    v = await load(uow, doc.case_id)
    check_actor(user, v.case, step=step)
    entry = next((e for e in v.entries if e.id == doc.entry_id), None)
    if entry is None:
        raise Refused("refused-unknown-document")
    if not doc.current:
        raise Refused("refused-document-gone", name=doc.name)
    if step == REMOVE_STEP:
        check_entry_editable_in_step3(entry)
    else:
        check_document_in_review(entry)
    return v, entry, doc


async def check_document(
    ctx: Ctx, user: User, document_id: int, version: int, step: int
) -> tuple[CaseView, Entry, Document]:
    """The checks of `document_in` and the case version, without changing anything."""
    async with ctx.db.read() as uow:
        v, entry, doc = await document_in(uow, user, document_id, step)
    check_version(v.case, version)
    return v, entry, doc


async def take_out(
    uow: UnitOfWork, user: User, v: CaseView, entry: Entry, docs: Iterable[Document],
    kind: str, reason: str, now: datetime,
) -> int:  # fmt: skip
    """Mark documents of `entry` removed or rejected and audit each; returns how many."""
    count = 0
    for doc in docs:
        if await uow.documents.take_out([doc.id], kind, user.id, reason, now):
            count += 1
            action = "document:remove" if kind == "removed" else "document:reject"
            await audit(uow, now, action, user, case_id=v.case.id, step=v.case.step,
                        note=f"#{entry.number} {doc.name} {doc.sha256}: {reason}")  # fmt: skip
    return count


async def _take_out_one(
    ctx: Ctx, user: User, document_id: int, version: int, reason: str, step: int
) -> tuple[Document, Entry]:
    reason = clean_text(reason, MAX_NOTE)
    now = ctx.now()
    kind = "removed" if step == REMOVE_STEP else "rejected"
    async with ctx.db.transaction() as uow:
        v, entry, doc = await document_in(uow, user, document_id, step)
        check_version(v.case, version)
        await claim(uow, v.case, version)
        await take_out(uow, user, v, entry, [doc], kind, reason, now)
        others = [d for d in v.docs_of(entry.id) if d.id != doc.id]
        if step == REMOVE_STEP and not others and entry.resolution == "documents":
            # Nothing left to send for this entry: it counts as unanswered again.
            await uow.entries.update(entry.id, resolution="none")
        gone = await uow.documents.get(doc.id)
        await uow.commit()
    assert gone is not None
    return gone, entry


async def remove_document(
    ctx: Ctx, user: User, document_id: int, version: int, reason: str
) -> tuple[Document, Entry]:
    """The PPID Pendukung removes a document of their own entry before submitting (step 3)."""
    return await _take_out_one(ctx, user, document_id, version, reason, REMOVE_STEP)


async def reject_document(
    ctx: Ctx, user: User, document_id: int, version: int, reason: str
) -> tuple[Document, Entry]:
    """The PPID Utama rejects one document of an entry under review (step 4)."""
    return await _take_out_one(ctx, user, document_id, version, reason, REJECT_STEP)
