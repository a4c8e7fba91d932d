"""The document lifecycle against a real database: documents rejected with a return at step 4,
removed by their OPD before sending, or rejected one by one while reviewing, are marked with who,
when and why, audited, kept in the store, and never become part of the public register."""

from __future__ import annotations

import pytest

from bot.channels.base import IncomingFile
from bot.services import cases, lifecycle, opd_work, publication, review, uploads
from bot.services.register import public_entries
from tests.storage import test_services as base
from tests.storage.test_services import NOW, Bytes, World, refused, snapshot, version

w = base.w  # the same world of people and OPDs as the other service tests

UNREDACTED = b"%PDF-1.4\nNIK 6171010101010001\n%%EOF\n"
REDACTED = b"%PDF-1.4\nNIK ****************\n%%EOF\n"
OTHER = b"%PDF-1.4\nlampiran\n%%EOF\n"


async def send(w: World, case_id: int, entry_id: int, name: str, data: bytes) -> int:
    got = await uploads.receive(
        w.ctx, w.pendukung, Bytes(data),
        IncomingFile(file_id=name, name=name, mime="application/pdf", size=len(data)),
        case_id=case_id, entry_id=entry_id,
    )  # fmt: skip
    return got.document.id


async def at_step3(w: World, entries: int = 1) -> tuple[int, list[int]]:
    case_id = await base.to_step3(w, tuple([0] * entries))
    return case_id, await base.entry_ids(w, case_id)


async def submit(w: World, case_id: int) -> None:
    await opd_work.send_to_utama(w.ctx, w.pendukung, case_id, await version(w, case_id))


async def public_names(w: World) -> list[str]:
    async with w.ctx.db.read() as uow:
        return [d.name for e in await public_entries(uow, w.ctx) for d in e.documents]


async def publish(w: World, case_id: int) -> None:
    await review.approve_step4(w.ctx, w.utama, case_id, await version(w, case_id))
    await publication.publish_to_site(w.ctx, w.pejabat, case_id, await version(w, case_id))


async def test_take_out_marks_a_document_and_keeps_its_row(w: World) -> None:
    case_id, [entry] = await at_step3(w)
    doc_id = await send(w, case_id, entry, "a.pdf", UNREDACTED)
    async with w.ctx.db.transaction() as uow:
        assert await uow.documents.take_out([doc_id], "rejected", w.utama.id, "NIK", NOW) == 1
        assert await uow.documents.take_out([doc_id], "removed", w.utama.id, "lagi", NOW) == 0
        with pytest.raises(ValueError):
            await uow.documents.take_out([doc_id], "deleted", w.utama.id, "x", NOW)
        assert await uow.documents.for_entry(entry) == []
        assert await uow.documents.for_case(case_id) == []
        doc = await uow.documents.get(doc_id)
        await uow.commit()
    assert doc is not None and not doc.current
    assert (doc.removed_kind, doc.removed_by, doc.removed_reason) == ("rejected", w.utama.id, "NIK")
    assert doc.removed_at == NOW
    v = await cases.view(w.ctx, case_id)
    assert v.documents == [] and [d.id for d in v.rejected_of(entry)] == [doc_id]


async def test_a_document_rejected_with_a_return_is_never_published(w: World) -> None:
    case_id, [entry] = await at_step3(w)
    bad = await send(w, case_id, entry, "penerima.pdf", UNREDACTED)
    await submit(w, case_id)
    await review.return_step4(w.ctx, w.utama, case_id, await version(w, case_id), [entry],
                              "Memuat NIK warga")  # fmt: skip
    v = await cases.view(w.ctx, case_id)
    assert v.docs_of(entry) == []
    [rejected] = v.rejected_of(entry)
    assert (rejected.id, rejected.removed_reason, rejected.removed_by) == (
        bad, "Memuat NIK warga", w.utama.id
    )  # fmt: skip
    # The unchanged file cannot come back; a redacted one can.
    exc = await refused(send(w, case_id, entry, "lagi.pdf", UNREDACTED))
    assert exc.key == "refused-file-rejected-before"
    await send(w, case_id, entry, "penerima-disamarkan.pdf", REDACTED)
    await submit(w, case_id)
    await publish(w, case_id)
    assert await public_names(w) == ["penerima-disamarkan.pdf"]
    assert w.ctx.files.path_for(rejected.sha256).read_bytes() == UNREDACTED
    async with w.ctx.db.read() as uow:
        trail = [a for a in await uow.audit.for_case(case_id) if a.action == "document:reject"]
    assert len(trail) == 1 and trail[0].user_id == w.utama.id
    assert "penerima.pdf" in (trail[0].note or "") and "Memuat NIK warga" in (trail[0].note or "")


async def test_kept_documents_of_a_returned_entry_stay_current(w: World) -> None:
    case_id, [first, second] = await at_step3(w, entries=2)
    await send(w, case_id, first, "satu.pdf", OTHER)
    await send(w, case_id, second, "dua.pdf", REDACTED)
    await submit(w, case_id)
    await review.return_step4(w.ctx, w.utama, case_id, await version(w, case_id),
                              [first, second], "Lengkapi lampiran", keep=[first])  # fmt: skip
    v = await cases.view(w.ctx, case_id)
    assert [d.name for d in v.docs_of(first)] == ["satu.pdf"]
    assert v.docs_of(second) == [] and [d.name for d in v.rejected_of(second)] == ["dua.pdf"]


async def test_an_opd_removes_its_own_document_only_before_sending(w: World) -> None:
    case_id, [entry] = await at_step3(w)
    wrong = await send(w, case_id, entry, "salah.pdf", UNREDACTED)
    right = await send(w, case_id, entry, "benar.pdf", OTHER)
    v0 = await version(w, case_id)
    before = await snapshot(w, case_id)
    exc = await refused(lifecycle.remove_document(w.ctx, w.other_pendukung, wrong, v0, "x"))
    assert exc.key == "refused-opd"
    exc = await refused(lifecycle.remove_document(w.ctx, w.utama, wrong, v0, "x"))
    assert exc.key == "refused-role"
    exc = await refused(lifecycle.remove_document(w.ctx, w.pendukung, wrong, v0 - 1, "x"))
    assert exc.key == "refused-stale"
    exc = await refused(lifecycle.remove_document(w.ctx, w.pendukung, 10**9, v0, "x"))
    assert exc.key == "refused-unknown-document"
    exc = await refused(lifecycle.remove_document(w.ctx, w.pendukung, wrong, v0, "   "))
    assert exc.key == "refused-empty-text"
    assert await snapshot(w, case_id) == before

    doc, e = await lifecycle.remove_document(w.ctx, w.pendukung, wrong, v0, "Salah unggah")
    assert (doc.removed_kind, doc.removed_by, doc.removed_reason, e.number) == (
        "removed", w.pendukung.id, "Salah unggah", 1
    )  # fmt: skip
    exc = await refused(
        lifecycle.remove_document(w.ctx, w.pendukung, wrong, await version(w, case_id), "x")
    )
    assert exc.key == "refused-document-gone"
    # Removing the last document leaves the entry unanswered again.
    await lifecycle.remove_document(w.ctx, w.pendukung, right, await version(w, case_id), "Ganti")
    v = await cases.view(w.ctx, case_id)
    assert v.entries[0].resolution == "none" and v.docs_of(entry) == []
    assert (await refused(submit(w, case_id))).key == "refused-unresolved"
    third = await send(w, case_id, entry, "ketiga.pdf", REDACTED)
    await submit(w, case_id)
    exc = await refused(
        lifecycle.remove_document(w.ctx, w.pendukung, third, await version(w, case_id), "x")
    )
    assert exc.key == "refused-wrong-step"
    async with w.ctx.db.read() as uow:
        actions = [a.action for a in await uow.audit.for_case(case_id)]
    assert actions.count("document:remove") == 2


async def test_the_ppid_utama_rejects_one_document_and_cannot_approve_an_emptied_entry(
    w: World,
) -> None:
    case_id, [first, second] = await at_step3(w, entries=2)
    nik = await send(w, case_id, first, "nik.pdf", UNREDACTED)
    await send(w, case_id, first, "rekap.pdf", REDACTED)
    only = await send(w, case_id, second, "satu.pdf", OTHER)
    exc = await refused(
        lifecycle.reject_document(w.ctx, w.utama, nik, await version(w, case_id), "NIK")
    )
    assert exc.key == "refused-wrong-step"  # before sending, the documents are the OPD's
    await submit(w, case_id)
    exc = await refused(
        lifecycle.reject_document(w.ctx, w.pendukung, nik, await version(w, case_id), "NIK")
    )
    assert exc.key == "refused-role"
    await lifecycle.reject_document(w.ctx, w.utama, nik, await version(w, case_id), "Memuat NIK")
    await lifecycle.reject_document(w.ctx, w.utama, only, await version(w, case_id), "Salah")
    exc = await refused(review.approve_step4(w.ctx, w.utama, case_id, await version(w, case_id)))
    assert (exc.key, exc.values) == ("refused-entry-without-documents", {"number": 2})
    # Entry #2 goes back for a new document; #1 is approved with what it still has.
    await review.return_step4(w.ctx, w.utama, case_id, await version(w, case_id), [second],
                              "Kirim dokumen yang benar")  # fmt: skip
    exc = await refused(
        lifecycle.reject_document(w.ctx, w.utama, nik, await version(w, case_id), "x")
    )
    assert exc.key == "refused-wrong-step"
    await send(w, case_id, second, "dua.pdf", OTHER + b"2")
    await submit(w, case_id)
    v = await cases.view(w.ctx, case_id)
    [rekap] = v.docs_of(first)
    exc = await refused(lifecycle.reject_document(w.ctx, w.utama, rekap.id, v.case.version, "x"))
    assert (exc.key, exc.values) == ("refused-entry-not-in-review", {"number": 1})
    await publish(w, case_id)
    assert sorted(await public_names(w)) == ["dua.pdf", "rekap.pdf"]


async def test_a_photo_gets_a_name_of_its_own_per_entry_and_date(w: World) -> None:
    case_id, [first, second] = await at_step3(w, entries=2)
    names = []
    for entry, data in [(first, b"1"), (first, b"2"), (second, b"3")]:
        got = await uploads.receive(
            w.ctx, w.pendukung, Bytes(b"\xff\xd8\xff\xe0" + data),
            IncomingFile(file_id="p", name="foto.jpg", mime="image/jpeg", size=5, photo=True),
            case_id=case_id, entry_id=entry,
        )  # fmt: skip
        names.append(got.document.name)
    assert names == ["foto-1-20270301-1.jpg", "foto-1-20270301-2.jpg", "foto-2-20270301-1.jpg"]
