"""The PPID Pendukung's step 3: documents per entry, not held, proposed exempt, then send."""

from __future__ import annotations

import re
from datetime import date

from bot.channels.base import Response
from bot.formatting import deadline, short_date
from bot.models import Document
from bot.services import cases, lifecycle, opd_work, uploads
from bot.texts import t
from bot.workflow import Refused, progress
from handlers.base import Request, ask, btn, button, dialog, forget
from handlers.entries import card
from handlers.pdata import warning

CAPTION = re.compile(r"^\s*#\s*(\d{1,6})\b")


async def _progress(req: Request, case_id: int) -> str:
    v = await cases.view(req.ctx, case_id)
    done, total = progress(v.entries)
    return t("progress", done=done, total=total)


def _back(case_id: int) -> list[list[object]]:
    return [[btn(t("btn-back-case"), "op", case_id)]]


@button("e3")
async def entry(req: Request) -> Response:
    """One requested entry and what can be done with it."""
    async with req.ctx.db.read() as uow:
        v, e = await opd_work.entry_in_step3(uow, req.user, req.args[0])
    rows = [[btn(t("btn-send-files"), "fu", e.id)], [btn(t("btn-not-held"), "nh", e.id)],
            [btn(t("btn-exempt"), "xp", e.id)]]  # fmt: skip
    current, rejected = v.docs_of(e.id), v.rejected_of(e.id)
    # Each document of the entry may be removed before the answers are sent.
    rows += [[btn(t("btn-remove-doc", name=d.name), "xd", d.id, v.case.version)]
             for d in current]  # fmt: skip
    rows.append([btn(t("btn-back-case"), "op", v.case.id)])
    note = t("state-returned", note=e.review_note) if e.review == "returned" else ""
    return Response().add(card(e) + note + document_lines(current, rejected), rows)


def document_lines(current: list[Document], rejected: list[Document]) -> str:
    """The entry's documents: current ones, and the rejected ones with the reason."""
    lines = [t("doc-line-current", name=d.name) for d in current]
    lines += [t("doc-line-rejected", name=d.name, reason=d.removed_reason or "") for d in rejected]
    return "\n\n" + "\n".join([t("docs-heading"), *lines]) if lines else ""


@button("xd")
async def remove_document(req: Request) -> Response:
    """Ask why a document of my entry is removed."""
    document_id, version = req.args
    _, entry, doc = await lifecycle.check_document(req.ctx, req.user, document_id, version,
                                                   lifecycle.REMOVE_STEP)  # fmt: skip
    data = {"document": doc.id, "version": version, "case": doc.case_id}
    return await ask(req, "doc_remove", data,
                     t("ask-remove-doc", name=doc.name, number=entry.number))  # fmt: skip


@dialog("doc_remove")
async def remove_document_reason(req: Request) -> Response:
    """Remove the document with the reason: it stays on record, never published."""
    d = req.data
    doc, entry = await lifecycle.remove_document(req.ctx, req.user, d["document"], d["version"],
                                                 req.ev.text or "")  # fmt: skip
    await forget(req)
    text = t("doc-removed", name=doc.name, number=entry.number,
             progress=await _progress(req, doc.case_id))  # fmt: skip
    return Response().add(text, [[btn(t("btn-back-case"), "op", doc.case_id)]])


@button("fu")
async def files_for_entry(req: Request) -> Response:
    """Wait for files for one entry."""
    async with req.ctx.db.read() as uow:
        v, e = await opd_work.entry_in_step3(uow, req.user, req.args[0])
    data = {"case": v.case.id, "entry": e.id}
    resp = await ask(req, "entry_files", data, t("ask-files", number=e.number, title=e.title))
    resp.replies[0].buttons = [[btn(t("btn-done"), "op", v.case.id)]]
    return resp


async def _store(req: Request, case_id: int, entry_id: int) -> Response:
    assert req.ev.file is not None
    got = await uploads.receive(req.ctx, req.user, req.files, req.ev.file, case_id=case_id,
                                entry_id=entry_id, message_id=req.ev.message_id)  # fmt: skip
    if got.duplicate:
        return Response().add(t("file-duplicate", name=got.document.name))
    text = t("file-saved", name=got.document.name, number=got.entry_number,
             progress=await _progress(req, case_id))  # fmt: skip
    said = warning(got.check)
    text += "\n\n" + said if said else ""
    return Response().add(text, [[btn(t("btn-done"), "op", case_id)]])


@dialog("entry_files")
async def entry_file(req: Request) -> Response:
    """A file for the chosen entry."""
    if req.ev.file is None:
        return Response().add(t("expected-file"), [[btn(t("btn-done"), "op", req.data["case"])]])
    return await _store(req, req.data["case"], req.data["entry"])


async def file_with_caption(req: Request) -> Response | None:
    """A file captioned `#3` goes to entry 3 of my case in step 3; None if no such caption."""
    match = CAPTION.match(req.ev.caption or "")
    if match is None:
        return None
    case_id, entry_id = await opd_work.open_case_of(req.ctx, req.user, int(match.group(1)))
    return await _store(req, case_id, entry_id)


@button("nh")
async def not_held(req: Request) -> Response:
    """Ask why the OPD does not hold this information."""
    async with req.ctx.db.read() as uow:
        _, e = await opd_work.entry_in_step3(uow, req.user, req.args[0])
    return await ask(req, "not_held", {"entry": e.id, "case": e.case_id},
                     t("ask-not-held", number=e.number))  # fmt: skip


@dialog("not_held")
async def not_held_reason(req: Request) -> Response:
    """Record the entry as not held."""
    e = await opd_work.declare_not_held(req.ctx, req.user, req.data["entry"], req.ev.text or "")
    text = t("not-held-saved", number=e.number, progress=await _progress(req, e.case_id))
    return Response().add(text, [[btn(t("btn-back-case"), "op", e.case_id)]])


@button("xp")
async def exempt(req: Request) -> Response:
    """Ask the consequence test's reference."""
    async with req.ctx.db.read() as uow:
        _, e = await opd_work.entry_in_step3(uow, req.user, req.args[0])
    return await ask(req, "exempt_ref", {"entry": e.id}, t("ask-exempt-ref", number=e.number))


@dialog("exempt_ref")
async def exempt_reference(req: Request) -> Response:
    """Reference given: ask until when."""
    ref = " ".join((req.ev.text or "").split())
    if not ref:
        raise Refused("refused-exempt-reference")
    return await ask(req, "exempt_until", req.data | {"ref": ref}, t("ask-exempt-until"))


def parse_date(text: str) -> date | None:
    m = re.fullmatch(r"\s*(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})\s*", text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@dialog("exempt_until")
async def exempt_until(req: Request) -> Response:
    """Record the proposed exemption."""
    until = parse_date(req.ev.text or "")
    if until is None:
        return Response().add(t("bad-date"), [[btn(t("btn-cancel"), "cx")]])
    e = await opd_work.propose_exempt(req.ctx, req.user, req.data["entry"], req.data["ref"], until)
    text = t("exempt-saved", number=e.number, until=short_date(until),
             progress=await _progress(req, e.case_id))  # fmt: skip
    return Response().add(text, [[btn(t("btn-back-case"), "op", e.case_id)]])


@button("s3")
async def send(req: Request) -> Response:
    """Step 3 done: the answers go to the PPID Utama."""
    due = await opd_work.send_to_utama(req.ctx, req.user, *req.args)
    v = await cases.view(req.ctx, req.args[0])
    text = t("step3-sent", opd=v.opd.name, deadline=deadline(due) if due else "")
    return Response().add(text, [[btn(t("btn-tasks"), "tg")]])
