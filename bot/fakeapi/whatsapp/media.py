"""Media of the fake WhatsApp: reading an upload and Meta's limits on it.

An upload is ``multipart/form-data`` with ``messaging_product=whatsapp``, ``type`` (the MIME type)
and ``file``. Images (JPEG, PNG) may be 5 MB, audio and video 16 MB, documents 100 MB; beyond, or an
image of another type, Meta answers 131053 "Media upload error". A download URL lives 5 minutes; a
media id 7 days when a person sent it, 30 days when uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from aiohttp import web

from bot.fakeapi.whatsapp.models import GraphError
from bot.fakeapi.whatsapp.validation import malformed

MEDIA_URL_TTL = timedelta(minutes=5)
INCOMING_MEDIA_TTL = timedelta(days=7)
UPLOADED_MEDIA_TTL = timedelta(days=30)
MAX_IMAGE_SIZE = 5 * 1024 * 1024
MAX_DOCUMENT_SIZE = 100 * 1024 * 1024
MAX_OTHER_MEDIA_SIZE = 16 * 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png")


@dataclass(frozen=True)
class Upload:
    """A checked upload."""

    fields: dict[str, str]
    content: bytes
    filename: str | None
    mime_type: str


def size_limit(mime_type: str) -> int:
    """The largest upload of this type."""
    if mime_type in IMAGE_TYPES:
        return MAX_IMAGE_SIZE
    if mime_type.startswith(("audio/", "video/")):
        return MAX_OTHER_MEDIA_SIZE
    return MAX_DOCUMENT_SIZE


async def read_upload(request: web.Request) -> Upload:
    """Read ``POST /{phone-number-id}/media``; raises :class:`GraphError` as Meta would."""
    if not request.content_type.startswith("multipart/"):
        raise malformed("Upload the file as multipart/form-data.")
    fields: dict[str, str] = {}
    content: bytes | None = None
    filename: str | None = None
    file_type: str | None = None
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, aiohttp.BodyPartReader):
            continue
        if part.name == "file":
            content = await part.read(decode=False)
            filename = part.filename
            file_type = part.headers.get("Content-Type")
        elif part.name:
            fields[part.name] = (await part.read(decode=True)).decode()
    if fields.get("messaging_product") != "whatsapp":
        raise malformed("The parameter messaging_product is required.")
    if content is None:
        raise GraphError(400, 100, "(#100) The parameter file is required.")
    mime_type = fields.get("type") or file_type or "application/octet-stream"
    if mime_type.startswith("image/") and mime_type not in (*IMAGE_TYPES, "image/webp"):
        raise GraphError(
            400,
            131053,
            "(#131053) Media upload error",
            "Param file must be a file with one of the following types: image/jpeg, "
            f"image/png. Received file of type '{mime_type}'.",
        )
    limit = size_limit(mime_type)
    if len(content) > limit:
        raise GraphError(
            400,
            131053,
            "(#131053) Media upload error",
            f"File size {len(content)} is greater than max allowed media size {limit}",
        )
    return Upload(fields=fields, content=content, filename=filename, mime_type=mime_type)
