"""The PPID Utama's decisions: the draft list (step 2) and the OPD's documents (step 4)."""

from __future__ import annotations

from datetime import datetime

from bot.channels.base import Choice, Picker, Reply, Response
from bot.formatting import deadline
from bot.services import cases, lifecycle, review
from bot.texts import t
from bot.workflow import Refused, check_actor, check_version, under_review
from handlers.base import Request, ask, btn, button, dialog, forget, numbers_of
from handlers.codec import encode
from handlers.pdata import combined, items
from handlers.views import panel


def _done(key: str, opd: str, due: datetime | None, **values: object) -> Response:
    text = t(key, opd=opd, deadline=deadline(due) if due else "", **values)
    return Response().add(text, [[btn(t("btn-tasks"), "tg")]])


async def _checked(req: Request, step: int) -> cases.CaseView:
    case_id, version = req.args[0], req.args[1]
    v = await cases.view(req.ctx, case_id)
    check_actor(req.user, v.case, step=step)
    check_version(v.case, version)
    return v


@button("a2")
async def approve_draft(req: Request) -> Response:
    """Approve the draft and forward it to the OPD."""
    due = await review.approve_step2(req.ctx, req.user, *req.args)
    v = await cases.view(req.ctx, req.args[0])
    return _done("draft-approved", v.opd.name, due)


@button("r2")
async def return_draft(req: Request) -> Response:
    """Ask why the draft goes back."""
    v = await _checked(req, 2)
    data = {"case": v.case.id, "version": v.case.version}
    return await ask(req, "return_reason", data, t("ask-return-reason"))


@dialog("return_reason")
async def return_reason(req: Request) -> Response:
    """Return the draft to the Pejabat PID with the reason."""
    due = await review.return_step2(req.ctx, req.user, req.data["case"], req.data["version"],
                                    req.ev.text or "")  # fmt: skip
    await forget(req)
    v = await cases.view(req.ctx, req.data["case"])
    return _done("draft-returned", v.opd.name, due)


@button("k2")
async def pick_category_entry(req: Request) -> Response:
    """Choose the entry whose category is corrected."""
    v = await _checked(req, 2)
    rows = [[btn(f"#{e.number} {e.title}", "ee", e.id)] for e in v.entries]
    rows.append([btn(t("btn-back-case"), "op", v.case.id)])
    return Response().add(t("pick-entry-category"), rows)


@button("a4")
async def approve_documents(req: Request) -> Response:
    """Approve every document and forward to the Pejabat PID."""
    due = await review.approve_step4(req.ctx, req.user, *req.args)
    v = await cases.view(req.ctx, req.args[0])
    return _done("docs-approved", v.opd.name, due)


async def _return_picker(
    req: Request, v: cases.CaseView, chosen: list[int], keep: list[int]
) -> Response:
    """The entries to return, and for each chosen one with documents whether its documents are
    rejected (the default: a return at step 4 is about the documents) or kept."""
    async with req.ctx.db.transaction() as uow:
        data = {"case": v.case.id, "version": v.case.version, "chosen": chosen, "keep": keep}
        await uow.dialogs.set(req.user.id, "return_pick", data, req.ctx.now())
        await uow.commit()
    choices = []
    for e in under_review(v.entries):
        extra = None
        if e.id in chosen and v.docs_of(e.id):
            label = "btn-docs-kept" if e.id in keep else "btn-docs-rejected"
            extra = btn(t(label, number=e.number), "k4", v.case.id, e.id)
        choices.append(Choice(f"#{e.number} {e.title}", encode("t4", v.case.id, e.id),
                              e.id in chosen, extra))  # fmt: skip
    rows = [[btn(t("btn-continue"), "c4", v.case.id, v.case.version), btn(t("btn-cancel"), "cx")]]
    text = t("pick-return-entries", count=len(chosen))
    if any(v.docs_of(eid) for eid in chosen):
        text += " " + t("pick-return-documents")
    return Response(replies=[Reply(text, rows, picker=Picker(choices))])


@dialog("return_pick")
async def typed_return(req: Request) -> Response:
    """The numbers of entries typed (where the picker is numbered, as on WhatsApp): each
    toggled, re-checked as a press would be."""
    case_id = req.data.get("case")
    if not isinstance(case_id, int):
        raise Refused("refused-stale")
    req.args = (case_id,)
    v, chosen, keep = await _picking(req)
    entries = under_review(v.entries)
    picked = numbers_of(req.ev.text, len(entries))
    if picked is None:
        return Response().add(t("picker-bad-numbers", count=len(entries)))
    for number in picked:
        entry_id = entries[number - 1].id
        if entry_id in chosen:
            chosen.remove(entry_id)
            keep = [k for k in keep if k != entry_id]
        else:
            chosen.append(entry_id)
    return await _return_picker(req, v, chosen, keep)


async def _picking(req: Request) -> tuple[cases.CaseView, list[int], list[int]]:
    """The return being chosen, re-checked: this person's pick for this case, still in step 4
    at the version the pick started from."""
    if req.data.get("_kind") != "return_pick" or req.data.get("case") != req.args[0]:
        raise Refused("refused-stale")
    v = await cases.view(req.ctx, req.args[0])
    check_actor(req.user, v.case, step=4)
    check_version(v.case, req.data["version"])
    return v, list(req.data["chosen"]), list(req.data.get("keep", []))


@button("r4")
async def start_return(req: Request) -> Response:
    """Choose the entries that go back to the OPD."""
    return await _return_picker(req, await _checked(req, 4), [], [])


@button("t4")
async def toggle_return(req: Request) -> Response:
    """Add or remove one entry from the return."""
    v, chosen, keep = await _picking(req)
    entry_id = req.args[1]
    if entry_id in chosen:
        chosen.remove(entry_id)
        keep = [k for k in keep if k != entry_id]
    else:
        chosen.append(entry_id)
    resp = await _return_picker(req, v, chosen, keep)
    resp.replies[0].supersedes = True
    return resp


@button("k4")
async def toggle_keep(req: Request) -> Response:
    """Switch a chosen entry between rejecting and keeping its current documents."""
    v, chosen, keep = await _picking(req)
    entry_id = req.args[1]
    if entry_id not in chosen:
        raise Refused("refused-stale")
    keep.remove(entry_id) if entry_id in keep else keep.append(entry_id)
    resp = await _return_picker(req, v, chosen, keep)
    resp.replies[0].supersedes = True
    return resp


@button("c4")
async def confirm_return(req: Request) -> Response:
    """Entries chosen: ask the note for the OPD."""
    if req.data.get("_kind") != "return_pick" or not req.data.get("chosen"):
        raise Refused("refused-nothing-chosen")
    await _checked(req, 4)
    return await ask(req, "return_note", req.data, t("ask-return-note"))


@dialog("return_note")
async def return_note(req: Request) -> Response:
    """Return the chosen entries to step 3 with the note; their documents are rejected unless
    kept."""
    d = req.data
    keep = list(d.get("keep", []))
    before = await cases.view(req.ctx, d["case"])
    rejected = sum(len(before.docs_of(e)) for e in d["chosen"] if e not in keep)
    due = await review.return_step4(req.ctx, req.user, d["case"], d["version"], d["chosen"],
                                    req.ev.text or "", keep)  # fmt: skip
    await forget(req)
    v = await cases.view(req.ctx, d["case"])
    if not v.entries:
        raise Refused("refused-unknown-case")
    resp = _done("entries-returned", v.opd.name, due, count=len(d["chosen"]))
    if rejected:
        resp.replies[0].text += t("entries-returned-rejected", count=rejected)
    return resp


@button("jd")
async def reject_document(req: Request) -> Response:
    """Ask why one document of an entry under review is rejected."""
    document_id, version = req.args
    _, entry, doc = await lifecycle.check_document(req.ctx, req.user, document_id, version,
                                                   lifecycle.REJECT_STEP)  # fmt: skip
    data = {"document": doc.id, "version": version, "case": doc.case_id}
    return await ask(req, "doc_reject", data,
                     t("ask-reject-doc", name=doc.name, number=entry.number))  # fmt: skip


@dialog("doc_reject")
async def reject_document_reason(req: Request) -> Response:
    """Reject the document with the reason; it is never published."""
    d = req.data
    doc, entry = await lifecycle.reject_document(req.ctx, req.user, d["document"], d["version"],
                                                 req.ev.text or "")  # fmt: skip
    await forget(req)
    v = await cases.view(req.ctx, doc.case_id)
    resp = Response().add(t("doc-rejected", name=doc.name, number=entry.number))
    resp.replies.append(panel(v, req.user, req.ctx.settings.publisher))
    return resp


@button("rp")
async def return_personal_data(req: Request) -> Response:
    """Return one entry whose documents seem to carry personal data, in one tap: its documents
    are rejected with a note that says what was found (counts, never the numbers)."""
    case_id, entry_id, version = req.args
    v = await cases.view(req.ctx, case_id)
    check_actor(req.user, v.case, step=4)
    check_version(v.case, version)
    entry = next((e for e in under_review(v.entries) if e.id == entry_id), None)
    found = combined(v.docs_of(entry.id))[0] if entry is not None else None
    if entry is None or found is None or not found.found:
        raise Refused("refused-stale")
    note = t("return-pdata-note", items=items(found, places=False))
    rejected = len(v.docs_of(entry.id))
    due = await review.return_step4(req.ctx, req.user, v.case.id, v.case.version, [entry.id], note)
    resp = _done("entries-returned", v.opd.name, due, count=1)
    resp.replies[0].text += t("entries-returned-rejected", count=rejected)
    return resp
