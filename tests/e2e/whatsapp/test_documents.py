"""Documents a PPID Pendukung sends on WhatsApp that the bot must not take as they are, and those
it must take although they look odd: too large, a refused type, forwarded, a photo, a media id
that expired before the bot fetched it. Each gets a short answer; nothing is stored wrongly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.fakeapi.whatsapp import FakeWhatsAppPerson
from bot.models import Document
from bot.sop import Role
from tests.e2e.whatsapp.conftest import VERIFY_TOKEN, Mixed

PDF = b"%PDF-1.4\n" + b"laporan keuangan " * 500
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_document_mb": 1}


async def waiting_for_a_document(m: Mixed, number: str) -> tuple[FakeWhatsAppPerson, int]:
    """Ibu Sari (PPID Pendukung of DINKES, on WhatsApp) at step 3, asked for entry #1's
    document; returns her and the case."""
    h = m.h
    await h.add_opds("DINKES")
    andi = await h.join(int(number[-4:]), "Bapak Andi", Role.PEJABAT)
    rina = await h.join(int(number[-4:]) + 1, "Ibu Rina", Role.UTAMA)
    sari = await m.join_wa(number, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    case_id = await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await sari.wait_for_text("Langkah 3")
    await sari.press("⬜ #1")
    entry = await sari.wait_until(lambda x: "Kirim dokumen" in str(x.buttons + x.rows))
    await sari.press_in(entry, "📎 Kirim dokumen")
    await sari.wait_for_text("Silakan kirim dokumen untuk entri #1")
    return sari, case_id


async def documents(m: Mixed, case_id: int) -> list[Document]:
    async with m.h.ctx.db.read() as uow:
        return list(await uow.documents.for_case(case_id))


async def test_a_document_over_the_limit_is_refused_and_not_stored(mixed: Mixed) -> None:
    sari, case_id = await waiting_for_a_document(mixed, "6281234565001")
    big = b"%PDF-1.4\n" + b"x" * (1024 * 1024 + 10)
    await sari.send_document(big, "besar.pdf", "application/pdf")
    refused = await sari.wait_for_text("terlalu besar")
    assert "1 MB" in refused.text
    assert await documents(mixed, case_id) == []
    # She can still send the right one: the question stands.
    await sari.send_document(PDF, "lkpd.pdf", "application/pdf")
    await sari.wait_for_text("1 dari 1 entri lengkap")
    assert [d.name for d in await documents(mixed, case_id)] == ["lkpd.pdf"]


async def test_a_document_of_a_refused_type_is_refused_and_not_stored(mixed: Mixed) -> None:
    sari, case_id = await waiting_for_a_document(mixed, "6281234565011")
    await sari.send_document(b"MZ\x90\x00" + b"\x00" * 100, "setup.exe", "application/x-msdownload")
    refused = await sari.wait_for_text("tidak diterima")
    assert "pdf" in refused.text
    # A PDF in name only is not taken either.
    await sari.send_document(b"PK\x03\x04 not a pdf", "palsu.pdf", "application/pdf")
    await sari.wait_for_text("tidak sesuai dengan jenisnya")
    assert await documents(mixed, case_id) == []


async def test_a_forwarded_document_is_taken_like_any_other(mixed: Mixed) -> None:
    sari, case_id = await waiting_for_a_document(mixed, "6281234565021")
    await sari.send_document(PDF, "dari-kabid.pdf", "application/pdf", forwarded=True)
    await sari.wait_for_text("1 dari 1 entri lengkap")
    (doc,) = await documents(mixed, case_id)
    assert doc.name == "dari-kabid.pdf" and doc.mime == "application/pdf"


async def test_photos_are_named_by_the_bot_in_their_own_format(mixed: Mixed) -> None:
    sari, case_id = await waiting_for_a_document(mixed, "6281234565031")
    await sari.send_image(JPEG)
    await sari.wait_for_text("1 dari 1 entri lengkap")
    await sari.send_image(PNG, mime_type="image/png")
    await sari.wait_for_text("diterima untuk entri #1")
    docs = await documents(mixed, case_id)
    day = f"{mixed.h.clock.now:%Y%m%d}"
    assert [(d.name, d.mime) for d in docs] == [
        (f"foto-1-{day}-1.jpg", "image/jpeg"),
        (f"foto-1-{day}-2.png", "image/png"),
    ]


async def test_a_document_whose_media_expired_before_it_was_fetched_is_asked_again(
    mixed: Mixed,
) -> None:
    m = mixed
    sari, case_id = await waiting_for_a_document(m, "6281234565041")
    await m.wa.settled()
    # The bot was away for days: Meta kept the webhook, but the media id has expired by the time
    # the bot asks for it (media of a person's message live 7 days).
    url = m.wa.delivery.url
    assert url is not None
    m.wa.stop_delivery()
    wamid = await sari.send_document(PDF, "lkpd.pdf", "application/pdf")
    (sent,) = [x for x in m.wa.incoming if x.id == wamid]
    m.wa.media[sent.payload["document"]["id"]].created_at -= timedelta(days=8)
    await m.wa.deliver_to(url, verify_token=VERIFY_TOKEN)
    again = await sari.wait_for_text("gagal diunduh")
    assert "kirim ulang" in again.text
    assert await documents(m, case_id) == []
