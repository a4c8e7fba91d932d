"""Streaming download of a file a person sent on WhatsApp, never whole in memory.

An incoming document carries a media id; `GET /{media-id}` answers a URL that lives about five
minutes, fetched with the access token. The router handles a message while Meta waits for the
webhook's answer, so the file is fetched at once (ids expire after days, URLs after minutes).
The token is never logged nor put into an exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from bot.channels.base import FileUnavailable

CHUNK = 64 * 1024


class WhatsAppFileSource:
    """`bot.channels.base.FileSource` for WhatsApp: streams files by their media id through the
    Graph API session (its base URL and token)."""

    def __init__(self, session: httpx.AsyncClient, allow_http: bool = False) -> None:
        self._session = session
        # The session carries the access token: a download URL goes over TLS, unless the API
        # itself is plain HTTP (the project's fake, on this machine).
        self._schemes = ("https://", "http://") if allow_http else ("https://",)

    async def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        try:
            answer = await self._session.get(f"/{file_id}")
            if answer.status_code != 200:
                raise FileUnavailable(f"media {file_id}: HTTP {answer.status_code}")
            url = answer.json().get("url")
            if not isinstance(url, str) or not url.startswith(self._schemes):
                raise FileUnavailable(f"media {file_id}: no download URL")
            async with self._session.stream("GET", url) as body:
                if body.status_code != 200:
                    raise FileUnavailable(f"media {file_id}: download HTTP {body.status_code}")
                async for chunk in body.aiter_bytes(CHUNK):
                    yield chunk
        except httpx.HTTPError as exc:
            raise FileUnavailable(f"media {file_id}: {type(exc).__name__}") from None
        except ValueError:  # an answer that is not JSON
            raise FileUnavailable(f"media {file_id}: not a media answer") from None
