"""The Bot API calls over aiohttp (`AiohttpRequest`): python-telegram-bot's request interface,
its errors (a timeout is `TimedOut`, anything else on the network `NetworkError`), and files sent
as multipart, against a small local HTTP server."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import certifi
import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram.transport import AiohttpRequest, trust_store


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A server that records what it was sent; `/slow` never answers."""
    seen: dict[str, Any] = {}
    stop = asyncio.Event()

    async def echo(request: web.Request) -> web.Response:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            seen["form"] = {
                k: (v.filename, v.file.read()) if isinstance(v, web.FileField) else v
                for k, v in form.items()
            }
        else:
            seen["form"] = dict(await request.post())
        seen["agent"] = request.headers.get("User-Agent", "")
        return web.json_response({"ok": True, "result": True})

    async def slow(request: web.Request) -> web.Response:
        await stop.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        stop.set()
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_call_sends_its_parameters_and_returns_the_answer(
    server: tuple[str, dict[str, Any]],
) -> None:
    url, seen = server
    request = AiohttpRequest()
    await request.initialize()
    try:
        data = RequestData(
            [
                RequestParameter.from_input("chat_id", 42),
                RequestParameter.from_input("text", "Halo"),
            ]
        )
        status, body = await request.do_request(f"{url}/echo", "POST", data)
    finally:
        await request.shutdown()
    assert status == 200 and b'"ok": true' in body
    assert seen["form"] == {"chat_id": "42", "text": "Halo"}
    assert "python-telegram-bot" in seen["agent"]


@pytest.mark.parametrize(
    ("name", "arrives"),
    [
        ("Laporan Kinerja 2026.pdf", "Laporan Kinerja 2026.pdf"),  # not "Laporan%20Kinerja..."
        ("Daftar Informasi — Dinas Kesehatan.xlsx", "Daftar Informasi — Dinas Kesehatan.xlsx"),
        # A name from a person's upload cannot end the part's header or add one of its own.
        ('a"b\r\nX-Evil: 1.pdf', "a%22b%0D%0AX-Evil: 1.pdf"),
    ],
)
async def test_a_file_goes_as_multipart_with_its_name_as_written(
    server: tuple[str, dict[str, Any]], name: str, arrives: str
) -> None:
    url, seen = server
    request = AiohttpRequest()
    await request.initialize()
    try:
        document = InputFile(b"%PDF-1.4 isi", filename=name)
        data = RequestData(
            [
                RequestParameter.from_input("chat_id", 42),
                RequestParameter.from_input("document", document),
            ]
        )
        status, _ = await request.do_request(f"{url}/echo", "POST", data)
    finally:
        await request.shutdown()
    assert status == 200
    assert seen["form"]["chat_id"] == "42"
    (filename, content) = next(v for v in seen["form"].values() if isinstance(v, tuple))
    assert (filename, content) == (arrives, b"%PDF-1.4 isi")


async def test_an_answer_that_never_comes_is_timed_out(server: tuple[str, dict[str, Any]]) -> None:
    url, _ = server
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/slow", "POST", RequestData([]))
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://127.0.0.1:{free_port()}/x", "POST", None)
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert "aiohttp." in str(caught.value)


async def test_a_call_before_initialize_or_after_shutdown_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:1/x", "POST")


async def test_a_proxy_set_in_the_environment_is_honoured() -> None:
    # As python-telegram-bot's httpx transport: a city server whose only way out is a proxy
    # (HTTPS_PROXY) reaches Telegram for every call, not only for getUpdates.
    request = AiohttpRequest()
    await request.initialize()
    try:
        assert request._session is not None and request._session.trust_env
    finally:
        await request.shutdown()


def test_a_certificate_authority_set_in_the_environment_is_trusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = tmp_path / "kominfo-ca.pem"  # a network's own authority (a TLS-inspecting proxy)
    own.write_text(Path(certifi.where()).read_text())
    monkeypatch.setenv("SSL_CERT_FILE", str(own))
    expected = ssl.create_default_context(cafile=str(own)).get_ca_certs()
    assert trust_store().get_ca_certs() == expected
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(OSError):  # told at start, not as a failing send later
        trust_store()
