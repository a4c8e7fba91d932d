"""The life of a document through the chat: a document the PPID Utama rejects never reaches the
public site (nor dip.json, dip.csv), stays on record as evidence and in the audit trail; an OPD
removes its own document before sending; the PPID Utama rejects a single document; forged and
stale presses are refused in Indonesian; a withdrawn entry's files leave the live site; photos get
a name of their own."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.fakeapi import flows
from bot.fakeapi.models import ChatMessage
from bot.fakeapi.people import FakePerson
from bot.models import Document
from bot.publishing.server import create_app
from bot.services import cases, publication
from bot.sop import Role
from handlers.codec import encode
from tests.e2e.conftest import Harness, toast_with

UNREDACTED = b"%PDF-1.4\nPenerima: Budi, NIK 6171010101010001\n%%EOF\n"
REDACTED = b"%PDF-1.4\nPenerima: Budi, NIK ****************\n%%EOF\n"
OTHER = b"%PDF-1.4\nLaporan kinerja 2026\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
SECRET_NIK = b"6171010101010001"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def site_files(h: Harness) -> dict[str, bytes]:
    """Every file of the live site, by its path under `current`."""
    live = (h.settings.web_dir / "current").resolve()
    found = {}
    # Following `berkas`: the documents' folder the generations share.
    for folder, _, names in os.walk(live, followlinks=True):
        for name in names:
            path = Path(folder) / name
            found[str(path.relative_to(live))] = path.read_bytes()
    return found


def published_documents(h: Harness) -> list[tuple[str, str]]:
    """(name, sha256) of every document dip.json lists."""
    data = json.loads((h.settings.web_dir / "current" / "dip.json").read_text(encoding="utf-8"))
    return [(d["nama"], d["sha256"]) for e in data["informasi"] for d in e["berkas"]]


async def documents_of(h: Harness, case_id: int) -> list[Document]:
    """Every document of the case, removed and rejected ones included."""
    async with h.ctx.db.read() as uow:
        return (await uow.documents.with_taken_out([case_id])).get(case_id, [])


async def refusal_notes(h: Harness) -> list[str]:
    async with h.ctx.db.read() as uow:
        return [a.note or "" for a in await uow.audit.all() if a.outcome == "refused"]


async def audit_cli(case_id: int) -> str:
    """`python -m bot audit --case N` as a process, against the running bot's database."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "audit", "--case", str(case_id),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=dict(os.environ),
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def upload(person: FakePerson, name: str, data: bytes, number: int = 1) -> None:
    await person.send_document(name, data, caption=f"#{number}")
    await person.wait_for_text(f"{name} diterima untuk entri #{number}")


async def publish(
    h: Harness, rina: FakePerson, andi: FakePerson, *about: str, review: ChatMessage | None = None
) -> None:
    """Step 4 approved by the PPID Utama (from `review`, else the newest review that mentions
    `about`), step 5 published on the site by the Pejabat PID."""
    if review is None:
        await flows.approve_documents(rina, *about)
    else:
        assert all(a in review.text for a in about)
        await rina.press(flows.APPROVE_DOCUMENTS, review)
        await rina.wait_for_text("disetujui dan diteruskan ke Pejabat PID")
    step5 = await andi.wait_until(lambda m: "Langkah 5" in m.text)
    await flows.publish_on_site(andi, step5)
    await h.site_settled()


async def test_a_document_rejected_at_step_4_is_never_published_and_stays_on_record(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7100)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Penerima Bantuan Sosial"])
    await sari.wait_for_text("0 dari 1 entri lengkap")
    await upload(sari, "penerima.pdf", UNREDACTED)
    await flows.finish_and_send_documents(sari)

    # Step 4: Rina returns the entry "contains NIK"; its document is rejected by default.
    review = await rina.wait_until(lambda m: "Langkah 4" in m.text)
    await rina.press("↩️ Kembalikan entri tertentu", review)
    await rina.wait_for_text("Pilih entri yang dikembalikan")
    await rina.press("⬜ #1 Penerima Bantuan Sosial")
    picked = await rina.wait_until(lambda m: "Terpilih: 1" in m.text)
    assert "❌ Dokumen #1: ditolak" in str(picked.buttons)
    await rina.press("Lanjut ➡️", picked)
    await rina.wait_for_text("catatan untuk OPD")
    await rina.send("Memuat NIK warga")
    returned = await rina.wait_for_text("1 entri dikembalikan")
    assert "1 dokumen ditolak" in returned.text

    # The OPD sees the document as rejected, with the reason, and cannot send it again unchanged.
    back = await sari.wait_until(lambda m: "Memuat NIK warga" in m.text and "Langkah 3" in m.text)
    assert "❌ 1 dokumen ditolak" in back.text
    await sari.press("⬜ #1", back)
    card = await sari.wait_for_text("ditolak: Memuat NIK warga")
    assert "❌ penerima.pdf" in card.text and "Hapus penerima.pdf" not in str(card.buttons)
    await sari.send_document("penerima-lagi.pdf", UNREDACTED, caption="#1")
    again = await sari.wait_for_text("sudah ditolak PPID Utama")
    assert "Memuat NIK warga" in again.text
    await upload(sari, "penerima-disamarkan.pdf", REDACTED)
    await flows.finish_and_send_documents(sari)
    await publish(h, rina, andi, "✅ 1 dokumen · ❌ 1 dokumen ditolak")

    # Only the redacted PDF is public: on the site, in dip.json and in dip.csv.
    assert published_documents(h) == [("penerima-disamarkan.pdf", sha(REDACTED))]
    files = site_files(h)
    assert not any(SECRET_NIK in data for data in files.values())
    assert f"berkas/{sha(REDACTED)}/penerima-disamarkan.pdf" in files
    csv_text = files["dip.csv"].decode("utf-8-sig")
    assert "penerima-disamarkan.pdf" in csv_text and sha(UNREDACTED) not in csv_text
    # The rejected one is kept by hash as evidence, marked with who, when and why.
    rejected = [d for d in await documents_of(h, case_id) if d.removed_kind == "rejected"]
    assert [(d.name, d.sha256, d.removed_reason) for d in rejected] == [
        ("penerima.pdf", sha(UNREDACTED), "Memuat NIK warga")
    ]
    assert rejected[0].removed_by == (await h.user(rina)).id and rejected[0].removed_at
    assert h.ctx.files.path_for(sha(UNREDACTED)).read_bytes() == UNREDACTED
    trail = await audit_cli(case_id)
    line = next(x for x in trail.splitlines() if "document:reject" in x)
    assert "Rina (PPID Utama)" in line and "penerima.pdf" in line and "Memuat NIK warga" in line


async def test_an_opd_removes_its_own_document_before_sending_and_never_after(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES", "DISHUB")
    andi, rina, sari = await h.join_team(7200)
    joko = await h.join(7203, "Bapak Joko", Role.PENDUKUNG, "DISHUB")
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Laporan Kinerja"])
    await sari.wait_for_text("0 dari 1 entri lengkap")
    await upload(sari, "salah.pdf", UNREDACTED)
    await upload(sari, "laporan.pdf", OTHER)
    await sari.press("✅ Selesai")
    panel = await sari.wait_until(lambda m: "✅ #1" in str(m.buttons))
    await sari.press("✅ #1", panel)
    card = await sari.wait_until(lambda m: "🗑 Hapus salah.pdf" in str(m.buttons))
    assert "📎 salah.pdf" in card.text and "📎 laporan.pdf" in card.text
    wrong, right = await documents_of(h, case_id)

    # Another OPD's officer forging the press is refused, and nothing changes.
    version = (await cases.view(h.ctx, case_id)).case.version
    await joko.press_data(encode("xd", wrong.id, version), joko.messages[-1])
    assert "milik OPD lain" in await toast_with(joko, "milik OPD lain")

    await sari.press("🗑 Hapus salah.pdf", card)
    await sari.wait_for_text("alasan singkat dokumen salah.pdf")
    await sari.send("Salah unggah, berisi data pribadi")
    removed = await sari.wait_for_text("dihapus dari entri #1")
    assert "1 dari 1 entri lengkap" in removed.text
    await sari.press("⬅️ Kembali ke berkas", removed)
    await flows.send_documents(sari)

    # After sending, the old button is stale: refused in Indonesian, saying where the case is.
    await sari.press("🗑 Hapus laporan.pdf", card)
    assert "Berkas kini di Langkah 4" in await toast_with(sari, "Berkas kini di Langkah 4")
    assert (await documents_of(h, case_id))[1].current

    # The PPID Utama receives only the current document; the removed one stays on record.
    review = await rina.wait_until(lambda m: "Langkah 4" in m.text)
    got = await flows.fetch_document(rina, 1, review)
    assert got.document is not None and got.document.data == OTHER
    gone = (await documents_of(h, case_id))[0]
    assert (gone.removed_kind, gone.removed_reason) == (
        "removed",
        "Salah unggah, berisi data pribadi",
    )
    assert gone.removed_by == (await h.user(sari)).id
    assert h.ctx.files.path_for(wrong.sha256).read_bytes() == UNREDACTED
    assert {"refused-opd", "refused-wrong-step"} <= set(await refusal_notes(h))
    await publish(h, rina, andi, "✅ 1 dokumen", review=review)
    assert published_documents(h) == [("laporan.pdf", right.sha256)]
    async with h.ctx.db.read() as uow:
        trail = [a for a in await uow.audit.for_case(case_id) if a.action == "document:remove"]
    assert len(trail) == 1 and "salah.pdf" in (trail[0].note or "")
    assert "Salah unggah" in (trail[0].note or "")


async def test_the_ppid_utama_rejects_a_single_document_while_reviewing(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7300)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Penerima Bantuan Sosial"])
    await sari.wait_for_text("0 dari 1 entri lengkap")
    await upload(sari, "nik.pdf", UNREDACTED)
    await upload(sari, "rekap.pdf", REDACTED)
    await flows.finish_and_send_documents(sari)

    review = await rina.wait_until(lambda m: "Langkah 4" in m.text)
    await rina.press("📄 Dokumen #1", review)
    docs = await rina.wait_until(lambda m: "❌ Tolak nik.pdf" in str(m.buttons))
    assert "❌ Tolak rekap.pdf" in str(docs.buttons)
    await rina.press("❌ Tolak nik.pdf", docs)
    await rina.wait_for_text("Alasan ini dibaca OPD")
    await rina.send("Memuat NIK warga")
    await rina.wait_for_text("nik.pdf entri #1 ditolak")
    # The same button pressed again is refused: the document is already rejected.
    await rina.press("❌ Tolak nik.pdf", docs)
    assert "sudah dihapus atau ditolak" in await toast_with(rina, "sudah dihapus atau ditolak")
    # The OPD cannot reject at step 4, even with a forged press.
    version = (await cases.view(h.ctx, case_id)).case.version
    nik, rekap = await documents_of(h, case_id)
    await sari.press_data(encode("jd", rekap.id, version), sari.messages[-1])
    assert "bukan tugas peran" in await toast_with(sari, "bukan tugas peran")

    await publish(h, rina, andi, "✅ 1 dokumen · ❌ 1 dokumen ditolak")
    assert published_documents(h) == [("rekap.pdf", sha(REDACTED))]
    assert not any(SECRET_NIK in data for data in site_files(h).values())
    assert (nik.removed_kind, nik.removed_reason) == ("rejected", "Memuat NIK warga")


async def test_a_withdrawn_entrys_files_leave_the_live_site_at_once(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7400)
    case_id = await h.round_at_step5(andi, rina, sari, "DINKES", ["Laporan", "Data Warga"])
    v = await cases.view(h.ctx, case_id)
    await publication.publish_to_site(h.ctx, await h.user(andi), case_id, v.case.version)
    await h.site_settled()
    [doc] = v.docs_of(v.entries[1].id)
    path = f"berkas/{doc.sha256}/{doc.name}"
    assert path in site_files(h)
    async with TestClient(TestServer(create_app(h.settings.web_dir))) as client:
        assert (await client.get(f"/{path}")).status == 200
        await publication.withdraw(h.ctx, await h.user(rina), v.entries[1].id, "Data pribadi")
        assert (await client.get(f"/{path}")).status == 404
    assert path not in site_files(h)
    assert doc.sha256 not in {s for _, s in published_documents(h)}
    assert h.ctx.files.path_for(doc.sha256).is_file()  # the bytes stay as evidence


async def test_photos_are_named_from_the_entry_and_the_date_one_name_each(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7500)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Dokumentasi Kegiatan"])
    await sari.wait_for_text("0 dari 1 entri lengkap")
    await sari.send_photo(JPEG, caption="#1")
    await sari.wait_for_text("foto-1-20270301-1.jpg diterima untuk entri #1")
    await sari.send_photo(JPEG + b"\x01", caption="#1")
    await sari.wait_for_text("foto-1-20270301-2.jpg diterima untuk entri #1")
    await flows.finish_and_send_documents(sari)
    await publish(h, rina, andi, "✅ 2 dokumen")
    assert sorted(name for name, _ in published_documents(h)) == [
        "foto-1-20270301-1.jpg", "foto-1-20270301-2.jpg"
    ]  # fmt: skip
    assert {d.name for d in await documents_of(h, case_id)} == {
        "foto-1-20270301-1.jpg", "foto-1-20270301-2.jpg"
    }  # fmt: skip
    assert all(Path(p).name != "foto.jpg" for p in site_files(h))


async def test_returning_an_entry_can_keep_its_documents(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(7600)
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Laporan Kinerja"])
    await sari.wait_for_text("0 dari 1 entri lengkap")
    await upload(sari, "laporan.pdf", OTHER)
    await flows.finish_and_send_documents(sari)
    review = await rina.wait_until(lambda m: "Langkah 4" in m.text)
    await rina.press("↩️ Kembalikan entri tertentu", review)
    await rina.wait_for_text("Pilih entri yang dikembalikan")
    await rina.press("⬜ #1 Laporan Kinerja")
    await rina.wait_until(lambda m: "Terpilih: 1" in m.text)
    await rina.press("❌ Dokumen #1: ditolak")
    picked = await rina.wait_until(lambda m: "📎 Dokumen #1: dipertahankan" in str(m.buttons))
    await rina.press("Lanjut ➡️", picked)
    await rina.wait_for_text("catatan untuk OPD")
    await rina.send("Tambahkan lampiran tanda tangan")
    returned = await rina.wait_for_text("1 entri dikembalikan")
    assert "ditolak" not in returned.text
    back = await sari.wait_until(lambda m: "Tambahkan lampiran" in m.text and "Langkah 3" in m.text)
    assert "ditolak" not in back.text
    [kept] = await documents_of(h, case_id)
    assert kept.current
