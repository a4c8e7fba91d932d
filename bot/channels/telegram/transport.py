"""How the bot's Bot API calls reach Telegram: over aiohttp's client instead of httpx.

python-telegram-bot sends through httpx by default. In the throughput benchmark httpx, httpcore
and anyio were the largest part of the bot's CPU time per update (benchmarks/README.md): each
request passes several layers of pure Python, and httpcore's pool looks over all its connections
at every request in time that grows with the square of their number (each idle one also asked
whether its socket was closed), which hurts a bot answering many people at once. aiohttp, a
dependency already (the webhook and health servers), parses HTTP in C and keeps its connections
in a plain queue: the same calls cost about a third of the CPU time.

The getUpdates long poll keeps python-telegram-bot's own request (one connection of its own);
file downloads have their own httpx client (`bot.channels.telegram.files`).

Timeouts as python-telegram-bot's: `connect_timeout` to open a connection (plus `pool_timeout`
to wait for one of the `IN_FLIGHT` connections to be free), `read_timeout` between two reads of
the answer; a call without files ends after all of them together at the latest (writing its
small body has no timer of its own in aiohttp). An upload has no overall limit (a large file
over a slow link takes long); a connection that stops answering ends it at the read timeout.
Errors as python-telegram-bot's: `TimedOut` for a timeout, `NetworkError` for the rest.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

IN_FLIGHT = 16  # calls on the wire at once, as many as updates handled at once (bot.intake)


def _given(value: Any, default: float | None) -> float | None:
    """A timeout passed to one call, or the request's own when the call passed none."""
    return default if isinstance(value, DefaultValue) else value


def _sum(*parts: float | None) -> float | None:
    """Timeouts added up; None (no limit) when any of them is None."""
    return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)


# As httpx writes a file's name into its part's header (the HTML5 form encoding): a quote and
# the control characters escaped, so no name can end the header or start another; aiohttp
# doubles the backslashes itself.
_NAME_ESCAPES = str.maketrans(
    {'"': "%22", **{chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}}
)


def _filename(name: str) -> str:
    return name.translate(_NAME_ESCAPES)


def trust_store() -> ssl.SSLContext:
    """The certificate authorities httpx would use: SSL_CERT_FILE / SSL_CERT_DIR when set (a
    government network's own authority, say), else certifi's, whatever the host has."""
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's request interface over one `aiohttp.ClientSession`."""

    def __init__(
        self,
        in_flight: int = IN_FLIGHT,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._in_flight = in_flight
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._in_flight, ssl=trust_store())
            # trust_env: HTTPS_PROXY / NO_PROXY as python-telegram-bot's httpx transport (and
            # getUpdates, downloads and WhatsApp, still on httpx) honour them: a city server
            # whose only way out is a proxy reaches Telegram for every call, not some.
            self._session = aiohttp.ClientSession(connector=connector, trust_env=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _given(read_timeout, self._read)
        connect = _given(connect_timeout, self._connect)
        waited = _sum(_given(pool_timeout, self._pool), connect)
        files = request_data.multipart_data if request_data is not None else None
        data: Any = request_data.json_parameters if request_data is not None else None
        total = None
        if files:
            # Not aiohttp's quoting (it would show "Laporan%20Kinerja.pdf" in the chat).
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (data or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=_filename(filename), content_type=mime)
            data = form
        else:
            total = _sum(waited, _given(write_timeout, self._write), read)
        timeout = aiohttp.ClientTimeout(
            total=total, connect=waited, sock_connect=connect, sock_read=read
        )
        try:
            async with session.request(
                method, url, data=data, headers={"User-Agent": self.USER_AGENT}, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The class's name too: some of aiohttp's errors have an empty message.
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
