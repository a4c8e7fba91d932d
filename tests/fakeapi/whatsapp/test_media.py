"""Media through the fake with pywa: upload and send by id, incoming files, downloads that expire."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pywa_async import WhatsApp, errors
from pywa_async.types import MessageStatusType

from bot.fakeapi.whatsapp import FakeWhatsApp
from tests.fakeapi.whatsapp.conftest import PywaReceiver

SARI = "6281234567001"
PDF = b"%PDF-1.4\n" + b"laporan " * 500


async def test_a_document_uploaded_once_is_sent_by_its_media_id(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    media_id = (await wa.upload_media(PDF, mime_type="application/pdf", filename="dip.pdf")).id
    upload = fake.calls_to("/media")[-1]
    assert upload.body["messaging_product"] == "whatsapp"
    assert upload.body["file"] == len(PDF)
    for caption in ("Daftar Informasi Publik", "Sekali lagi"):
        await wa.send_document(to=SARI, document=media_id, filename="dip.pdf", caption=caption)
    first, second = await sari.next_message(), await sari.next_message()
    for got in (first, second):
        assert got.kind == "document"
        assert got.document is not None
        assert got.document.content == PDF
        assert got.document.filename == "dip.pdf"
        assert got.document.media_id == media_id
    assert first.text == "Daftar Informasi Publik"
    assert len(fake.calls_to("/media")) == 1


async def test_an_image_is_sent_by_id_with_a_caption(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send("halo")
    media_id = (await wa.upload_media(b"\xff\xd8\xff" + b"0" * 100, mime_type="image/jpeg")).id
    await wa.send_image(to=SARI, image=media_id, caption="Foto kegiatan")
    got = await sari.next_message()
    assert got.kind == "image"
    assert got.document is not None and got.document.kind == "image"
    assert got.plain == "Foto kegiatan"


async def test_an_image_over_5_mb_is_refused_with_a_media_upload_error(
    fake: FakeWhatsApp, wa: WhatsApp
) -> None:
    with pytest.raises(errors.MediaUploadError) as refused:
        await wa.upload_media(b"\xff" * (5 * 1024 * 1024 + 1), mime_type="image/jpeg")
    assert refused.value.code == 131053


async def test_an_uploaded_id_expires_after_30_days_and_a_send_by_it_fails(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    media_id = (await wa.upload_media(PDF, mime_type="application/pdf", filename="a.pdf")).id
    fake.travel(timedelta(days=30))
    await sari.send("halo")
    with pytest.raises(errors.WhatsAppError) as gone:
        await wa.get_media_url(media_id)
    assert gone.value.code == 100
    assert gone.value.subcode == 33
    sent = await wa.send_document(to=SARI, document=media_id, filename="a.pdf")
    await fake.settled()
    [status] = receiver.statuses(sent.id)
    assert status.status == MessageStatusType.FAILED
    assert isinstance(status.error, errors.MediaUploadError)


async def test_a_document_a_person_sends_downloads_with_the_token_until_the_url_expires(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send_document(PDF, "laporan.pdf", "application/pdf", caption="Laporan Maret")
    await fake.settled()
    [message] = receiver.messages()
    assert message.document is not None
    assert message.document.filename == "laporan.pdf"
    assert message.document.mime_type == "application/pdf"
    assert message.caption == "Laporan Maret"
    assert message.forwarded is False
    url = await wa.get_media_url(message.document.id)
    assert url.file_size == len(PDF)
    assert url.mime_type == "application/pdf"
    assert await wa.get_media_bytes(url.url) == PDF
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(url.url)).status_code == 401
    fake.travel(timedelta(minutes=5))
    with pytest.raises(httpx.HTTPStatusError):
        await wa.get_media_bytes(url.url)
    fresh = await wa.get_media_url(message.document.id)
    assert await wa.get_media_bytes(fresh.url) == PDF


async def test_an_incoming_media_id_expires_after_7_days(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send_image(b"\xff\xd8\xff" + b"1" * 64, caption="foto")
    await fake.settled()
    [message] = receiver.messages()
    assert message.image is not None
    fake.travel(timedelta(days=7))
    with pytest.raises(errors.WhatsAppError) as gone:
        await wa.get_media_url(message.image.id)
    assert gone.value.code == 100


async def test_a_forwarded_document_says_so(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send_document(PDF, "x.pdf", "application/pdf", forwarded=True)
    await fake.settled()
    assert receiver.messages()[0].forwarded is True


async def test_a_document_can_declare_a_larger_size_than_its_bytes(
    fake: FakeWhatsApp, wa: WhatsApp, receiver: PywaReceiver
) -> None:
    sari = fake.person(SARI, "Sari")
    await sari.send_document(PDF, "besar.pdf", "application/pdf", declared_size=150 * 1024 * 1024)
    await fake.settled()
    [message] = receiver.messages()
    assert message.document is not None
    url = await wa.get_media_url(message.document.id)
    assert url.file_size == 150 * 1024 * 1024
