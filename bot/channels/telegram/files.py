"""Streaming download of a file a person sent on Telegram, in chunks, never whole in memory.

`bot.get_file` asks the Bot API for the file's path; python-telegram-bot turns it into the full
download URL (base file URL + bot token + path). With a self-hosted Bot API server in
`local_mode` the path is instead an absolute path on this machine, read directly. The chunks feed
`storage.files.FileStore.store`, which hashes, limits and checks them.

The download URL contains the bot token: it is never logged nor put into an exception (errors
raised here carry no URL, and the HTTP library's own exceptions are not chained).
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import BinaryIO, Final, Literal

import httpx
import telegram
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.channels.base import FileUnavailable

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DownloadFailed",
    "FailureKind",
    "TelegramFileSource",
    "telegram_file_chunks",
]

DEFAULT_CHUNK_SIZE: Final = 64 * 1024

FailureKind = Literal["too_big", "refused", "http", "network", "incomplete"]
"""Why a download failed: Telegram refuses a file over its limit, refuses otherwise (unknown or
expired file id), answered the download with an HTTP error, the connection failed, or fewer bytes
arrived than announced."""


class DownloadFailed(FileUnavailable):
    """A file could not be downloaded from Telegram; `kind` says why. Never carries the URL."""

    def __init__(self, kind: FailureKind, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind: FailureKind = kind
        self.detail = detail

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed."""
        return self.kind in ("network", "incomplete") or (
            self.kind == "http" and self.detail.startswith(("HTTP 5", "HTTP 429"))
        )


def _is_url(path: str) -> bool:
    return urllib.parse.urlsplit(path).scheme in ("http", "https")


def _encoded_url(url: str) -> str:
    """Percent-encode the path of the URL, exactly as python-telegram-bot's `File` does."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=urllib.parse.quote(parts.path)))


async def _local_chunks(path: Path, chunk_size: int) -> AsyncGenerator[bytes, None]:
    try:
        handle: BinaryIO = await asyncio.to_thread(path.open, "rb")
    except OSError as exc:
        raise DownloadFailed("refused", f"local file unreadable ({exc.strerror})") from None
    try:
        while chunk := await asyncio.to_thread(handle.read, chunk_size):
            yield chunk
    finally:
        handle.close()


async def _http_chunks(
    url: str, chunk_size: int, client: httpx.AsyncClient | None, http_timeout: float
) -> AsyncGenerator[bytes, None]:
    own_client = client is None
    http = client if client is not None else httpx.AsyncClient(timeout=http_timeout)
    try:
        async with http.stream("GET", url) as response:
            if response.status_code != httpx.codes.OK:
                raise DownloadFailed("http", f"HTTP {response.status_code}")
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk
    except httpx.HTTPError as exc:
        # httpx messages and requests contain the URL, hence the token: report the type only.
        raise DownloadFailed("network", type(exc).__name__) from None
    finally:
        if own_client:
            await http.aclose()


async def telegram_file_chunks(
    bot: telegram.Bot,
    file_id: str,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    client: httpx.AsyncClient | None = None,
    http_timeout: float = 60.0,
) -> AsyncIterator[bytes]:
    """The bytes of a Telegram file, in chunks of at most `chunk_size` bytes.

    Pass `client` to reuse a connection pool (it is left open; its own timeouts apply);
    otherwise a client with `http_timeout` seconds per network operation is created for this
    download and closed at the end. Raises `DownloadFailed` when Telegram refuses the
    file ("file is too big" above the Bot API's 20 MB, an unknown file id), on HTTP and network
    errors, and when fewer bytes arrive than Telegram announced. `RetryAfter` from the Bot API is
    left to the caller, which knows how to wait.
    """
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    try:
        tg_file = await bot.get_file(file_id)
    except RetryAfter:
        raise
    except BadRequest as exc:
        kind: FailureKind = "too_big" if "too big" in exc.message.lower() else "refused"
        raise DownloadFailed(kind, exc.message) from None
    except NetworkError as exc:  # TimedOut included
        raise DownloadFailed("network", type(exc).__name__) from None
    except TelegramError as exc:  # Forbidden, InvalidToken ...
        raise DownloadFailed("refused", type(exc).__name__) from None
    file_path = tg_file.file_path
    if not file_path:
        raise DownloadFailed("refused", "Telegram gave no file path")

    if not _is_url(file_path) and Path(file_path).is_absolute():
        source = _local_chunks(Path(file_path), chunk_size)
    else:
        source = _http_chunks(_encoded_url(file_path), chunk_size, client, http_timeout)

    received = 0
    async with contextlib.aclosing(source):
        async for chunk in source:
            received += len(chunk)
            yield chunk
    expected = tg_file.file_size
    if expected is not None and received != expected:
        raise DownloadFailed("incomplete", f"{received} of {expected} bytes")


class TelegramFileSource:
    """`bot.channels.base.FileSource` for Telegram: streams files by their `file_id`."""

    def __init__(
        self,
        bot: telegram.Bot,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._bot = bot
        self._chunk_size = chunk_size
        self._client = client

    def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        return telegram_file_chunks(
            self._bot, file_id, chunk_size=self._chunk_size, client=self._client
        )
