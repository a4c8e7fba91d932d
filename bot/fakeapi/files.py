"""Files in the fake Bot API: uploads (sendDocument, sendPhoto), getFile and downloads.

Every file gets a file_id as on Telegram, whether the bot uploaded it or a person sent it
(:meth:`FileMethods.new_file`); the bot may send it again by that id, but only as the same kind.
getFile gives a file a path under ``/file/bot<token>/`` (refusing files over the download limit, 20 MB
unless the server emulates a self-hosted Bot API), and only a path handed out that way can be
downloaded.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Literal

from aiohttp import web

from bot.fakeapi.markup import image_size
from bot.fakeapi.messages import MessageMethods
from bot.fakeapi.models import JSON, FakeFile
from bot.fakeapi.params import ApiError, Params, Upload, bad_request

MAX_UPLOAD_SIZE = 50 * 1024 * 1024
DOWNLOAD_CHUNK_SIZE = 64 * 1024


class FileMethods(MessageMethods):
    """The file store, the media messages, getFile and the download route."""

    def new_file(
        self,
        data: bytes,
        *,
        kind: Literal["document", "photo"],
        filename: str | None = None,
        mime_type: str | None = None,
        declared_size: int | None = None,
    ) -> FakeFile:
        """Register a file (with a new file_id) as Telegram does for every upload."""
        self._file_counter += 1
        number = self._file_counter
        width, height = (0, 0)
        if kind == "photo":
            width, height = image_size(data) or (800, 600)
            mime_type = mime_type or "image/jpeg"
        elif mime_type is None:
            mime_type = (
                mimetypes.guess_type(filename)[0] if filename else None
            ) or "application/octet-stream"
        prefix = "BQACAgUAAxkBAAI" if kind == "document" else "AgACAgUAAxkBAAI"
        file = FakeFile(
            file_id=f"{prefix}{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            size=len(data) if declared_size is None else declared_size,
            kind=kind,
            width=width,
            height=height,
        )
        self._files[file.file_id] = file
        return file

    def _outgoing_file(self, source: Upload | str, kind: Literal["document", "photo"]) -> FakeFile:
        if isinstance(source, Upload):
            if not source.data:
                raise bad_request("file must be non-empty")
            if kind == "photo" and image_size(source.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            mime = source.content_type
            if mime in (None, "application/octet-stream") and source.filename:
                mime = mimetypes.guess_type(source.filename)[0] or mime
            return self.new_file(source.data, kind=kind, filename=source.filename, mime_type=mime)
        existing = self._files.get(source)
        if existing is not None:
            if existing.kind != kind:
                raise bad_request(
                    f"can't use file of type {existing.kind.title()} as {kind.title()}"
                )
            return existing
        if source.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ Bot API methods

    async def _send_media(
        self, method: str, params: Params, kind: Literal["document", "photo"]
    ) -> JSON:
        chat = self._target_chat(params)
        source = params.input_file(kind)
        if source is None:
            raise bad_request(f"there is no {kind} in the request", protocol=True)
        file = self._outgoing_file(source, kind)
        parsed = self._caption(params)
        markup = self._reply_markup(params)
        message = self._post_bot_message(
            method,
            params,
            chat,
            parsed,
            kind=kind,
            source=params.string("caption") or "",
            markup=markup,
            file=file,
        )
        return message.to_api()

    async def _send_document(self, params: Params) -> JSON:
        return await self._send_media("sendDocument", params, "document")

    async def _send_photo(self, params: Params) -> JSON:
        return await self._send_media("sendPhoto", params, "photo")

    async def _get_file(self, params: Params) -> JSON:
        file_id = params.string("file_id", required=True) or ""
        file = self._files.get(file_id)
        if file is None:
            raise bad_request("invalid file_id")
        if self.max_download_size is not None and file.size > self.max_download_size:
            raise bad_request("file is too big")
        if file.file_path is None:
            suffix = PurePosixPath(file.filename or "").suffix or (
                ".jpg" if file.kind == "photo" else ""
            )
            folder = "documents" if file.kind == "document" else "photos"
            file.file_path = f"{folder}/file_{len(self._file_paths)}{suffix}"
            self._file_paths[file.file_path] = file
        return file.to_file()

    # ------------------------------------------------------------------ HTTP

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """``GET /file/bot<token>/<file_path>``: the file's bytes, streamed in chunks."""
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        path = request.match_info["path"]
        file = self._file_paths.get(path)
        if file is None:
            self._record_protocol(
                "file download", f"unknown file path {path!r} (call getFile first)"
            )
            return self._error_response(ApiError(404, "Not Found"))
        response = web.StreamResponse(
            headers={
                "Content-Type": file.mime_type or "application/octet-stream",
                "Content-Length": str(len(file.data)),
            }
        )
        await response.prepare(request)
        for start in range(0, len(file.data), DOWNLOAD_CHUNK_SIZE):
            await response.write(file.data[start : start + DOWNLOAD_CHUNK_SIZE])
        await response.write_eof()
        return response
