"""The whole SOP for two OPDs, five people, a return at step 2 and an entry returned at step 4."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from bot.fakeapi import flows
from bot.sop import Role
from tests.e2e.conftest import Harness

PDF = b"%PDF-1.4\n" + b"laporan keuangan " * 500
PDF2 = b"%PDF-1.7\n" + b"renstra dinas " * 300


async def test_a_whole_round_for_two_opds_reaches_publication(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES", "DISHUB")
    pejabat = await h.join(3001, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(3002, "Ibu Rina", Role.UTAMA)
    yusuf = await h.join(3003, "Bapak Yusuf", Role.UTAMA)
    dinkes = await h.join(3004, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    dishub = await h.join(3005, "Bapak Joko", Role.PENDUKUNG, "DISHUB")

    # Round with both OPDs.
    await flows.start_round(pejabat, "DIP Semester I 2027", 2)
    created = pejabat.messages[-1]
    assert "paling lambat Selasa, 2 Maret 2027 pukul 16.00 WIB" in created.text

    # Step 1 for DINKES: two entries; for DISHUB: one entry and a draft file.
    await pejabat.press("DINKES")
    await pejabat.wait_for_text("Langkah 1")
    panel = await flows.add_entry_and_return(
        pejabat, "Laporan Keuangan 2026", "LKPD Dinas Kesehatan", "Berkala"
    )
    assert "#1 Laporan Keuangan 2026" in panel.text
    panel = await flows.add_entry_and_return(
        pejabat, "Renstra 2025-2029", "Rencana strategis", "Setiap saat"
    )
    assert "#2 Renstra" in panel.text
    sent = await flows.send_draft(pejabat)
    assert "Selasa, 2 Maret 2027 pukul 16.00 WIB" in sent.text

    # Both PPID Utama are told; Rina returns it with a reason.
    for utama in (rina, yusuf):
        notice = await utama.wait_for_text("Langkah 2")
        assert "Dinas Dinkes" in notice.text and "#2 Renstra" in notice.text
    await flows.return_draft(rina, "Tambahkan ringkasan yang lebih jelas")
    back = await pejabat.wait_for_text("Dikembalikan dengan catatan")
    assert "Tambahkan ringkasan yang lebih jelas" in back.text

    # Yusuf's old button is stale now.
    await yusuf.press("✅ Setujui, teruskan ke OPD")
    assert "sudah diproses oleh Ibu Rina" in await yusuf.next_toast()

    # Pejabat sends again; Yusuf approves.
    await flows.send_draft(pejabat)
    await flows.approve_draft(yusuf)

    # Step 3: the DINKES officer answers both entries.
    task = await dinkes.wait_for_text("Langkah 3")
    assert "0 dari 2 entri lengkap" in task.text
    await flows.entry_action(dinkes, 1, "📎 Kirim dokumen")
    await dinkes.wait_for_text("Silakan kirim dokumen untuk entri #1")
    await dinkes.send_document("lkpd.pdf", PDF)
    await dinkes.wait_for_text("1 dari 2 entri lengkap")
    await dinkes.send_document("lkpd-lagi.pdf", PDF)
    await dinkes.wait_for_text("sudah pernah diterima")
    await dinkes.send_document("renstra.pdf", PDF2, caption="#2")
    await dinkes.wait_for_text("2 dari 2 entri lengkap")
    sent = await flows.finish_and_send_documents(dinkes)
    assert "Dokumen Dinas Dinkes dikirim" in sent.text

    # Step 4: Rina returns entry #2, approving #1.
    await rina.wait_until(lambda m: "Langkah 4" in m.text)
    got = await flows.fetch_document(rina, 1)
    assert got.document is not None and got.document.data == PDF
    await flows.return_entry(rina, "#2 Renstra 2025-2029", "Mohon unggah versi yang ditandatangani")
    again = await dinkes.wait_for_text("Mohon unggah versi yang ditandatangani")
    assert "⬜ #2" in str(again.buttons) and "#1" not in str(again.buttons)
    await dinkes.send_document("renstra-ttd.pdf", PDF2 + b"ttd", caption="#2")
    # One count, in the receipt as on the panel: the returned entry is what is left to answer.
    receipt = await dinkes.wait_for_text("lengkap")
    assert "1 dari 1 entri lengkap" in receipt.text, receipt.text
    await flows.finish_and_send_documents(dinkes)
    # The returned entry's first document was rejected by default: only the signed one is current.
    await flows.approve_documents(yusuf, "✅ 1 dokumen · ❌ 1 dokumen ditolak")

    # Step 5: the Pejabat publishes on the built-in PPID site; everyone involved is told.
    await pejabat.wait_until(lambda m: "Langkah 5" in m.text)
    done = await flows.publish_on_site(pejabat)
    assert "sedang diterbitkan di web PPID: 2 entri terbit" in done.text
    # No public address configured in this test: said without a setting name (admins only).
    assert "PPID_" not in done.text and "alamat publik situs belum diatur" in done.text
    await dinkes.wait_for_text("sudah diterbitkan")
    await h.site_settled()
    register = json.loads((h.settings.web_dir / "current" / "dip.json").read_text(encoding="utf-8"))
    assert sorted(e["judul"] for e in register["informasi"]) == [
        "Laporan Keuangan 2026", "Renstra 2025-2029"
    ]  # fmt: skip

    # DISHUB: one entry not held, one proposed exempt; nothing to publish, still closed.
    await flows.open_task(pejabat, "DISHUB")
    await pejabat.wait_for_text("Langkah 1")
    await flows.add_entry(pejabat, "Data Trayek 2019", "Trayek lama", "Berkala")
    panel = await flows.add_entry_and_return(
        pejabat, "Hasil Uji Kir Kendaraan", "Data pemilik kendaraan", "Setiap saat"
    )
    assert "#2 Hasil Uji Kir" in panel.text
    await flows.send_draft(pejabat)
    await flows.approve_draft(yusuf, "Dishub")
    await dishub.wait_for_text("0 dari 2 entri lengkap")
    await flows.not_held(dishub, 1, "Arsip 2019 sudah diserahkan ke Dinas Perpustakaan")
    await dishub.wait_for_text("1 dari 2 entri lengkap")
    await dishub.press("⬅️ Kembali ke berkas")
    await dishub.wait_until(lambda m: "⬜ #2" in str(m.buttons))
    await flows.propose_exempt(dishub, 2, "UK-03/DISHUB/2027", "31-12-2031")
    await dishub.wait_for_text("2 dari 2 entri lengkap")
    await dishub.press("⬅️ Kembali ke berkas")
    await flows.send_documents(dishub)
    await flows.approve_documents(rina, "Dishub")
    step5 = await pejabat.wait_until(lambda m: "Dishub" in m.text and "Langkah 5" in m.text)
    # Approved at step 4: decided, no longer a proposal.
    assert "#1 Data Trayek 2019 [Berkala] — tidak dikuasai (disetujui)" in step5.text
    assert "#2 Hasil Uji Kir Kendaraan [Dikecualikan] — 🔒 dikecualikan (disetujui)" in step5.text
    assert "usul" not in step5.text
    done = await flows.publish_on_site(pejabat)
    assert "0 entri terbit, 1 tidak dikuasai, 1 dikecualikan" in done.text
    await h.site_settled()
    site = (h.settings.web_dir / "current").resolve()
    assert "Hasil Uji Kir" not in "".join(
        (Path(folder) / name).read_text(encoding="utf-8", errors="ignore")
        for folder, _, names in os.walk(site, followlinks=True)  # `berkas` is a symlink
        for name in names
    )

    # What each person sees in /status: an OPD only its own case, the PPID Utama all of them.
    await dishub.send("/status")
    own = await dishub.wait_until(lambda m: m.text.startswith("DIP Semester I 2027"))
    assert "DISHUB" in own.text and "DINKES" not in own.text
    await rina.send("/status")
    everything = await rina.wait_until(lambda m: m.text.startswith("DIP Semester I 2027"))
    assert "DISHUB" in everything.text and "DINKES" in everything.text
    async with h.ctx.db.transaction() as uow:
        assert all(c.step == 6 for c in await uow.cases.all())
        assert all(r.closed_at is not None for r in await uow.rounds.all())

    # Documents are stored by hash, with their bytes.
    ctx = h.ctx
    async with ctx.db.transaction() as uow:
        dinkes_case = (await uow.cases.all())[0]
        docs = (await uow.documents.with_taken_out([dinkes_case.id]))[dinkes_case.id]
        trail = await uow.audit.for_case(dinkes_case.id)
        tasks = await uow.tasks.for_case(dinkes_case.id)
    assert sorted(d.sha256 for d in docs) == sorted(
        hashlib.sha256(b).hexdigest() for b in (PDF, PDF2, PDF2 + b"ttd")
    )
    # The unsigned Renstra was rejected with the return: kept as evidence, never published.
    assert [d.sha256 for d in docs if d.removed_kind == "rejected"] == [
        hashlib.sha256(PDF2).hexdigest()
    ]
    for d in docs:
        assert ctx.files.path_for(d.sha256).read_bytes() in (PDF, PDF2, PDF2 + b"ttd")
    actions = [a.action for a in trail if a.outcome == "ok"]
    assert actions.count("step1:forwarded") == 2 and "step2:returned" in actions
    assert "step4:returned" in actions and "step5:published" in actions
    assert "document:reject" in actions
    assert [t.step for t in tasks] == [1, 2, 1, 2, 3, 4, 3, 4, 5]
    first = datetime.fromisoformat("2027-03-02T16:00:00+07:00")
    assert all(t.due_at == first for t in tasks if t.step != 3)
    third = next(t for t in tasks if t.step == 3).due_at
    assert third == datetime.fromisoformat("2027-03-23T16:00:00+07:00")  # Nyepi, Idul Fitri
