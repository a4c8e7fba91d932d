"""Fixtures for testing against the fake Telegram Bot API.

``fake`` is the pattern every end-to-end test should follow: a fresh server per test, and a teardown
that fails the test when the bot made a request the fake does not understand (an unknown method, a
malformed parameter). A test that provokes such errors on purpose takes them with
``fake.take_protocol_errors()``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot

from bot.fakeapi import FakeTelegram, assert_no_protocol_errors


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A running fake Bot API; fails the test at teardown if protocol errors were recorded."""
    async with FakeTelegram() as server:
        yield server
        assert_no_protocol_errors(server)


@pytest.fixture
async def http(fake: FakeTelegram) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client whose relative URLs are Bot API methods (``await http.post("getMe")``)."""
    async with httpx.AsyncClient(base_url=fake.api_url + "/", timeout=10) as client:
        yield client


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A python-telegram-bot ``Bot`` (no Application) talking to the fake."""
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def make_png(width: int, height: int) -> bytes:
    """A valid grey PNG picture of the given size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def make_jpeg_header(width: int, height: int) -> bytes:
    """The start of a JPEG file (APP0 and SOF0 segments): enough to tell its size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


@pytest.fixture
def tiny_png() -> bytes:
    """A 3x2 PNG."""
    return make_png(3, 2)


@pytest.fixture
def tiny_jpeg() -> bytes:
    """A 5x4 JPEG header."""
    return make_jpeg_header(5, 4)
