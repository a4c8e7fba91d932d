"""A small HTTP server for the built DIP site (`create_app`, `serve`), with aiohttp.

It serves `root/current`, resolving the symlink per request so a rebuild shows at once. Only
regular files inside the live generation are served (no listing, no `..`, no encoded traversal,
no symlink out of the tree but `berkas` and `informasi`, the documents' and the entry pages'
folders the generations share), documents are sent as attachments, and every response carries the
security headers. A page, a stylesheet or a data file is sent as its pre-compressed `.gz` twin
(written by the builder) with `Content-Encoding: gzip` when the client accepts gzip. Files are opened before anything is sent, so pruning an old generation in the
middle of a download cannot cut it short.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote

from aiohttp import web

from bot.documents import extension_of, mime_for
from bot.publishing.files import safe_component
from bot.publishing.generations import DOCUMENTS, ENTRY_PAGES, live_generation

__all__ = ["SECURITY_HEADERS", "create_app", "serve"]

log = logging.getLogger(__name__)

SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
"""Sent with every response of the site server."""

_ROOT_KEY: Final = web.AppKey("site_root", Path)
_SMALL: Final = 256 * 1024  # files up to this size are read at once; larger ones are streamed
_CHUNK: Final = 64 * 1024
_SHARED: Final = frozenset({DOCUMENTS, ENTRY_PAGES})
_NOT_FOUND_TEXT: Final = "404: halaman tidak ditemukan\n"  # when the site has no usable 404 page

_GZIP_TWIN: Final = ".gz"

_TEXT_TYPES: Final[Mapping[str, str]] = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "svg": "image/svg+xml",
}


def create_app(root: Path) -> web.Application:
    """An aiohttp application serving `root/current` as a static site (GET and HEAD only)."""
    app = web.Application()
    app[_ROOT_KEY] = Path(root)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/{tail:.*}", _handle)
    return app


async def serve(root: Path, host: str = "127.0.0.1", port: int = 8080) -> web.AppRunner:
    """Starts serving the site on host:port; the caller stops it with `await runner.cleanup()`."""
    runner = web.AppRunner(create_app(root))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    ports = [a[1] for a in runner.addresses if isinstance(a, tuple)]  # the real one for port 0
    log.info("DIP site served on http://%s:%d/", host, ports[0] if ports else port)
    return runner


# --------------------------------------------------------------------------------------------
# Finding a file


@dataclass
class _Found:
    """A regular file of the live generation, already open (so a later prune cannot take it)."""

    fd: int | None  # open descriptor when the file is large, else None
    data: bytes | None  # the content when the file is small
    size: int
    etag: str

    def close(self) -> None:
        """Releases the descriptor of a large file that is not going to be streamed."""
        if self.fd is not None:
            os.close(self.fd)


def _segments(raw_path: str) -> tuple[str, ...] | None:
    """The decoded path components of a request, or None for anything suspicious."""
    if not raw_path.startswith("/"):
        return None
    if raw_path == "/":
        return ("index.html",)
    parts = []
    for part in raw_path[1:].split("/"):
        try:
            name = unquote(part, errors="strict")
        except UnicodeDecodeError:
            return None
        if not safe_component(name):
            return None
        parts.append(name)
    return tuple(parts)


def _locate(root: Path, segments: tuple[str, ...]) -> _Found | None:
    """Opens a regular file inside the generation `root/current` points to right now."""
    generation = live_generation(root)
    if generation is None:
        return None
    try:
        real = generation.joinpath(*segments).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not (real.is_relative_to(generation) and real != generation) and not (
        # The documents and the entries' pages live in folders beside the generations, shared
        # by them (`berkas` and `informasi` link to them).
        segments[0] in _SHARED and real.is_relative_to(generation.parent / segments[0])
    ):
        return None
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return None
        etag = f'"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"'
        if info.st_size > _SMALL:
            return _Found(fd=fd, data=None, size=info.st_size, etag=etag)
        with os.fdopen(fd, "rb") as handle:  # closes fd
            data = handle.read()
        return _Found(fd=None, data=data, size=len(data), etag=etag)
    except BaseException:
        with suppress(OSError):
            os.close(fd)
        raise


# --------------------------------------------------------------------------------------------
# Answering


def _headers_for(segments: tuple[str, ...]) -> dict[str, str]:
    name = segments[-1]
    ext = extension_of(name)
    if segments[0] == "berkas":
        ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
        return {
            "Content-Type": mime_for(ext),
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
            ),
            "Cache-Control": "public, max-age=86400",
        }
    cache = "public, max-age=3600" if segments[0] == "static" else "no-cache"
    return {
        "Content-Type": _TEXT_TYPES.get(ext, "application/octet-stream"),
        "Cache-Control": cache,
    }


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (`gzip`, `x-gzip` or `*`, with q > 0)."""
    for part in header.split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() not in {"gzip", "x-gzip", "*"}:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return True
    return False


def _compressible(segments: tuple[str, ...]) -> bool:
    return segments[0] != "berkas" and extension_of(segments[-1]) in _TEXT_TYPES


async def _not_found(root: Path) -> web.Response:
    found = await asyncio.to_thread(_locate, root, ("404.html",))
    if found is not None and found.data is not None:
        return web.Response(
            status=404,
            body=found.data,
            headers={"Content-Type": _TEXT_TYPES["html"], "Cache-Control": "no-cache"},
        )
    if found is not None:  # an absurdly large 404 page: not worth streaming
        found.close()
    return web.Response(status=404, text=_NOT_FOUND_TEXT)


async def _handle(request: web.Request) -> web.StreamResponse:
    root = request.app[_ROOT_KEY]
    segments = _segments(request.rel_url.raw_path)
    if segments is None:
        return await _not_found(root)
    headers = _headers_for(segments)
    found = None
    if _compressible(segments):
        headers["Vary"] = "Accept-Encoding"
        if accepts_gzip(request.headers.get("Accept-Encoding", "")):
            twin = (*segments[:-1], segments[-1] + _GZIP_TWIN)
            found = await asyncio.to_thread(_locate, root, twin)
            if found is not None:
                headers["Content-Encoding"] = "gzip"
    if found is None:
        found = await asyncio.to_thread(_locate, root, segments)
    if found is None:
        return await _not_found(root)
    headers["ETag"] = found.etag
    if found.etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        found.close()
        kept: dict[str, str] = {k: headers[k] for k in ("ETag", "Vary") if k in headers}
        return web.Response(status=304, headers=kept)
    if found.fd is None:
        return web.Response(body=found.data, headers=headers)
    fd = found.fd
    try:
        response = web.StreamResponse(headers=headers)
        response.content_length = found.size
        await response.prepare(request)
        if request.method != "HEAD":
            loop = asyncio.get_running_loop()
            while chunk := await loop.run_in_executor(None, os.read, fd, _CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        os.close(fd)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
