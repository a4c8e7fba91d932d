"""`python -m bot demo` plays a whole round for two OPDs and prints the conversation: everyone on
Telegram except Dinas Perhubungan's PPID Pendukung, who is on WhatsApp."""

from __future__ import annotations

import pytest

from bot.demo import DemoNeedsEmptyDatabase, run_demo
from bot.texts import plain
from tests.pgcluster import Cluster


def order_of(transcript: str, *fragments: str) -> list[int]:
    """Where each fragment first appears in the transcript (each must appear)."""
    where = [transcript.find(fragment) for fragment in fragments]
    missing = [f for f, at in zip(fragments, where, strict=True) if at < 0]
    assert not missing, f"not in the transcript: {missing}\n{transcript}"
    return where


async def test_the_demo_walks_two_opds_to_publication_with_both_returns() -> None:
    transcript = await run_demo()
    assert "Rina pressed [ ↩️ Kembalikan untuk revisi ]" in transcript
    assert "entri dikembalikan ke Dinas Kesehatan" in transcript
    assert "Sari: 📎 lkpd-2026.pdf" in transcript
    assert (
        "Berkas Dinas Kesehatan sedang diterbitkan di web PPID: 2 entri terbit, 1 tidak dikuasai"
        in transcript
    )
    assert "Berkas Dinas Perhubungan sedang diterbitkan di web PPID: 1 entri terbit" in transcript
    assert "Traceback" not in transcript

    # Joko plays Dinas Perhubungan's step 3 on WhatsApp, and only there.
    assert transcript.startswith(plain("demo-legend"))
    assert "Joko:" not in transcript and "→ Joko:" not in transcript
    steps = order_of(
        transcript,
        "Joko (WhatsApp): Halo PPID Bot, saya ingin bergabung. Kode undangan: ",
        "PPID Bot → Joko (WhatsApp): Selamat bergabung, Bapak Joko.",
        " hari kemudian: ",  # 2 or more: a weekend may come between
        "Yusuf pressed [ ✅ Setujui, teruskan ke OPD ]",
        # Silent since he joined, so the task comes as a template; its quick reply opens it.
        "PPID Bot → Joko (WhatsApp): 📋 ppid_tugas_baru_v1 📥 Tugas baru PPID untuk Bapak/Ibu:"
        " Dinas Perhubungan, Langkah 3",
        "Joko (WhatsApp) pressed [ Buka tugas ]",
        "0 dari 1 entri lengkap",
        "Joko (WhatsApp) pressed [ ⬜ #1 ]",
        "Joko (WhatsApp) opened [ Pilih ] and chose [ 📎 Kirim dokumen ]",
        "Joko (WhatsApp): 📎 trayek.pdf",
        "Joko (WhatsApp) pressed [ Kirim ke PPID Utama ]",
        # Yusuf, on Telegram, reviews what Joko sent on WhatsApp, then Joko hears of the publication.
        "PPID Bot → Yusuf: 📥 Dinas Perhubungan — DIP Semester I 2027\n"
        "    Langkah 4: PPID Utama memeriksa dokumen",
        "PPID Bot → Joko (WhatsApp): 🌐 Berkas *Dinas Perhubungan* (DIP Semester I 2027) sudah"
        " diterbitkan",
    )
    assert steps == sorted(steps), "the two chat apps' conversations are merged in order"
    sent, thanked = order_of(
        transcript,
        "Joko (WhatsApp) pressed [ Kirim ke PPID Utama ]",
        "PPID Bot → Joko (WhatsApp): Terima kasih. Dokumen Dinas Perhubungan dikirim ke PPID Utama",
    )
    assert sent < thanked


async def test_the_demo_runs_on_an_empty_postgresql_database_and_never_on_one_in_use(
    pg_cluster: Cluster,
) -> None:
    url = pg_cluster.database()
    transcript = await run_demo(database_url=url)
    assert "Berkas Dinas Perhubungan sedang diterbitkan di web PPID: 1 entri terbit" in transcript
    assert "Traceback" not in transcript
    with pytest.raises(DemoNeedsEmptyDatabase):  # its people are in it now
        await run_demo(database_url=url)
