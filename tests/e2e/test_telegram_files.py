"""End-to-end tests of document downloads: a real `telegram.Bot` streams from the fake Bot API.

A person sends a document to the fake Telegram; the bot reads the update, streams the file with
`telegram_file_chunks` (real HTTP on 127.0.0.1) into a real `FileStore`, and the stored bytes are
compared with what was sent. The local-mode and broken-connection cases use stand-ins for the
Bot API, since the fake serves files over HTTP only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest
import telegram

from bot.channels.telegram.files import (
    DownloadFailed,
    TelegramFileSource,
    telegram_file_chunks,
)
from bot.documents import check
from bot.fakeapi.server import FakeTelegram
from storage.files import ContentMismatch, FileStore, FileTooBig

pytestmark = pytest.mark.e2e

MB = 1024 * 1024


def pdf_of(size: int) -> bytes:
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    return head + os.urandom(size - len(head))


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        server.assert_no_protocol_errors()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url
    ) as real_bot:
        yield real_bot


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "documents")


async def received_document(bot: telegram.Bot) -> telegram.Document:
    """The document of the last update, as the bot receives it by polling."""
    updates = await bot.get_updates(timeout=0)
    assert updates, "the person's message did not reach the bot"
    message = updates[-1].message
    assert message is not None
    assert message.document is not None
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return message.document


async def test_a_3_mb_document_a_person_sent_is_streamed_into_the_store_byte_for_byte(
    fake: FakeTelegram, bot: telegram.Bot, store: FileStore
) -> None:
    data = pdf_of(3 * MB)
    sari = fake.person(user_id=1001, first_name="Sari")
    await sari.send_document("Laporan Kinerja 2024.pdf", data)
    document = await received_document(bot)

    accepted = check(document.file_name, document.mime_type, document.file_size, 20 * MB)
    assert (accepted.name, accepted.ext, accepted.size) == (
        "Laporan Kinerja 2024.pdf",
        "pdf",
        len(data),
    )

    sizes: list[int] = []

    async def counted() -> AsyncIterator[bytes]:
        async for chunk in telegram_file_chunks(bot, document.file_id):
            sizes.append(len(chunk))
            yield chunk

    stored = await store.store(counted(), max_bytes=20 * MB, ext=accepted.ext)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert store.open_bytes(stored.sha256) == data
    assert not stored.existed
    assert len(sizes) > 1
    assert max(sizes) <= 64 * 1024
    assert list(store.tmp_dir.iterdir()) == []


async def test_the_same_document_sent_twice_is_stored_once(
    fake: FakeTelegram, bot: telegram.Bot, store: FileStore
) -> None:
    data = pdf_of(200 * 1024)
    sari = fake.person(user_id=1001, first_name="Sari")
    source = TelegramFileSource(bot, chunk_size=16 * 1024)

    await sari.send_document("a.pdf", data)
    first = await store.store(
        source.chunks((await received_document(bot)).file_id), max_bytes=MB, ext="pdf"
    )
    await sari.send_document("b.pdf", data)
    second = await store.store(
        source.chunks((await received_document(bot)).file_id), max_bytes=MB, ext="pdf"
    )
    assert (first.existed, second.existed) == (False, True)
    assert first.path == second.path


async def test_a_program_renamed_pdf_is_downloaded_but_not_kept(
    fake: FakeTelegram, bot: telegram.Bot, store: FileStore
) -> None:
    sari = fake.person(user_id=1001, first_name="Sari")
    await sari.send_document("laporan.pdf", b"MZ\x90\x00" + os.urandom(100_000))
    document = await received_document(bot)
    assert check(document.file_name, document.mime_type, document.file_size, 20 * MB).ext == "pdf"

    with pytest.raises(ContentMismatch):
        await store.store(telegram_file_chunks(bot, document.file_id), max_bytes=20 * MB, ext="pdf")
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


async def test_a_file_over_the_store_limit_stops_the_download_early(
    fake: FakeTelegram, bot: telegram.Bot, store: FileStore
) -> None:
    sari = fake.person(user_id=1001, first_name="Sari")
    # The client declares a small size but sends more: the store still cuts it off.
    await sari.send_document("besar.pdf", pdf_of(2 * MB), declared_size=1000)
    document = await received_document(bot)
    with pytest.raises(FileTooBig):
        await store.store(telegram_file_chunks(bot, document.file_id), max_bytes=MB, ext="pdf")
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


async def test_telegram_refusing_a_file_over_20_mb_raises_download_failed_too_big(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    sari = fake.person(user_id=1001, first_name="Sari")
    await sari.send_document("arsip.zip", b"PK\x03\x04" + b"\x00" * 100, declared_size=30 * MB)
    document = await received_document(bot)
    with pytest.raises(DownloadFailed) as info:
        async for _ in telegram_file_chunks(bot, document.file_id):
            pass
    assert info.value.kind == "too_big"
    assert not info.value.retryable


async def test_an_unknown_file_id_raises_download_failed_refused(bot: telegram.Bot) -> None:
    with pytest.raises(DownloadFailed) as info:
        async for _ in telegram_file_chunks(bot, "BQACAgUAAxkBAAI999999"):
            pass
    assert info.value.kind == "refused"


async def test_a_bad_gateway_on_get_file_is_a_retryable_download_failure(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    sari = fake.person(user_id=1001, first_name="Sari")
    await sari.send_document("laporan.pdf", pdf_of(10_000))
    document = await received_document(bot)
    fake.inject("getFile", status=502)
    with pytest.raises(DownloadFailed) as info:
        async for _ in telegram_file_chunks(bot, document.file_id):
            pass
    assert (info.value.kind, info.value.retryable) == ("network", True)
    # The fault was for one call only: the next attempt succeeds.
    assert b"".join([c async for c in telegram_file_chunks(bot, document.file_id)])[:5] == b"%PDF-"


# PTB itself reads the deprecated int form of `retry_after` when it builds the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_control_on_get_file_is_left_to_the_caller(
    fake: FakeTelegram, bot: telegram.Bot
) -> None:
    sari = fake.person(user_id=1001, first_name="Sari")
    await sari.send_document("laporan.pdf", pdf_of(10_000))
    document = await received_document(bot)
    fake.inject("getFile", status=429, retry_after=7)
    with pytest.raises(telegram.error.RetryAfter, match="7 seconds"):
        async for _ in telegram_file_chunks(bot, document.file_id):
            pass


async def test_a_download_http_error_names_neither_the_url_nor_the_token(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    sari = fake.person(user_id=1001, first_name="Sari")
    await sari.send_document("laporan.pdf", pdf_of(10_000))
    # A file URL that the server does not know: it answers 404.
    async with telegram.Bot(
        token=fake.token, base_url=fake.base_url, base_file_url=fake.base_url + "nowhere/"
    ) as misdirected:
        document = await received_document(misdirected)
        caplog.set_level(logging.DEBUG)
        with pytest.raises(DownloadFailed) as info:
            async for _ in telegram_file_chunks(misdirected, document.file_id):
                pass
    fake.take_protocol_errors()  # the request to an unknown path was deliberate
    assert info.value.kind == "http"
    assert info.value.detail == "HTTP 404"
    secret = fake.token.split(":", 1)[1]  # also absent when the colon is percent-encoded
    rendered = "".join(traceback.format_exception(info.value))
    assert secret not in rendered
    assert secret not in str(info.value) + repr(info.value)
    # Library loggers (httpx, python-telegram-bot) are silenced by bot.logging_setup; ours say nothing.
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore", "telegram"))]
    assert [r.getMessage() for r in ours if secret in r.getMessage()] == []


# --- stand-ins: local mode and a broken connection ---------------------------------------


class StubBot:
    """Answers `get_file` with a prepared `File`, as a Bot API server would."""

    def __init__(self, file_path: str, file_size: int | None) -> None:
        self.file = telegram.File(
            file_id="f1", file_unique_id="u1", file_size=file_size, file_path=file_path
        )

    async def get_file(self, file_id: str) -> telegram.File:
        return self.file


async def test_in_local_mode_the_file_is_read_from_its_absolute_path(
    tmp_path: Path, store: FileStore
) -> None:
    data = b"PK\x03\x04" + os.urandom(300_000)
    local = tmp_path / "bot-api-server" / "documents" / "file_7.docx"
    local.parent.mkdir(parents=True)
    local.write_bytes(data)
    bot = cast(telegram.Bot, StubBot(str(local), len(data)))

    chunks = [c async for c in telegram_file_chunks(bot, "f1", chunk_size=100_000)]
    assert [len(c) for c in chunks] == [100_000, 100_000, 100_000, 4]

    stored = await store.store(telegram_file_chunks(bot, "f1"), max_bytes=MB, ext="docx")
    assert store.open_bytes(stored.sha256) == data
    assert local.read_bytes() == data  # the server's copy is left alone


async def test_a_missing_local_file_raises_download_failed(tmp_path: Path) -> None:
    bot = cast(telegram.Bot, StubBot(str(tmp_path / "gone.pdf"), 10))
    with pytest.raises(DownloadFailed) as info:
        async for _ in telegram_file_chunks(bot, "f1"):
            pass
    assert info.value.kind == "refused"


async def test_fewer_bytes_than_announced_raise_download_failed_incomplete() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"%PDF-1.7 only half")

    bot = cast(telegram.Bot, StubBot("https://files.example/file/bot1:SECRET/doc.pdf", 1000))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(DownloadFailed) as info:
            async for _ in telegram_file_chunks(bot, "f1", client=client):
                pass
        assert not client.is_closed  # a client passed in stays open
    assert info.value.kind == "incomplete"
    assert info.value.retryable


async def test_a_connection_error_raises_download_failed_without_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    bot = cast(telegram.Bot, StubBot("https://files.example/file/bot1:SECRET/doc.pdf", 1000))
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(DownloadFailed) as info:
            async for _ in telegram_file_chunks(bot, "f1", client=client):
                pass
    assert info.value.kind == "network"
    assert info.value.retryable
    assert "SECRET" not in "".join(traceback.format_exception(info.value))
