"""`python -m bot demo` plays a whole round for two OPDs and prints the conversation."""

from __future__ import annotations

from bot.demo import run_demo


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
