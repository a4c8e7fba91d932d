"""Reading the parameters of a Bot API request, whichever way the client sent them.

Telegram accepts a query string, ``application/x-www-form-urlencoded``, ``application/json`` and
``multipart/form-data`` (for uploads). python-telegram-bot posts forms whose values are JSON-encoded
(``"123"``, ``'{"inline_keyboard": ...}'``) and uploads files as multipart parts, sometimes referenced
as ``attach://<part name>``. :class:`Params` hides these differences and reports malformed values as
:class:`ApiError` with ``protocol=True``, which the server records as a protocol error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.fakeapi.models import JSON


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, Telegram's description, optional parameters.

    ``protocol`` marks a malformed request (a client bug): the server records it in
    ``FakeTelegram.protocol_errors`` so that the test fails.
    """

    def __init__(
        self,
        status: int,
        description: str,
        *,
        protocol: bool = False,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.protocol = protocol
        self.retry_after = retry_after

    def to_api(self) -> JSON:
        """The error body Telegram sends."""
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(description: str, *, protocol: bool = False) -> ApiError:
    """A 400 answer; ``description`` without the ``Bad Request: `` prefix is completed."""
    if not description.startswith("Bad Request"):
        description = f"Bad Request: {description}"
    return ApiError(400, description, protocol=protocol)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Typed access to the parameters of one request."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self._values = values
        self._uploads = uploads or {}

    def snapshot(self) -> JSON:
        """The parameters for the call log, JSON values decoded, files as ``<upload name>``."""
        result: JSON = {}
        for name, value in self._values.items():
            if isinstance(value, str) and value[:1] in ("{", "["):
                try:
                    result[name] = json.loads(value)
                    continue
                except ValueError:
                    pass
            result[name] = value
        for name, upload in self._uploads.items():
            result[name] = f"<upload {upload.filename or name}: {len(upload.data)} bytes>"
        return result

    def has(self, name: str) -> bool:
        """True if the parameter was sent (as a value or as a file part)."""
        return name in self._values or name in self._uploads

    def string(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter; numbers are accepted and turned into strings."""
        value = self._values.get(name)
        if value is None:
            if required:
                raise bad_request(f"parameter {name!r} is required", protocol=True)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad_request(f"parameter {name!r} must be a string", protocol=True)
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter, sent as a number or as its decimal text."""
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty", protocol=True)
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified: {value!r}", protocol=True)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f"invalid {name} specified: {value!r}", protocol=True)

    def number(self, name: str) -> float | None:
        """A number parameter (integer or not)."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified: {value!r}", protocol=True) from None

    def flag(self, name: str) -> bool:
        """A boolean parameter; absent means False."""
        value = self._values.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
            return value.lower() in ("true", "1")
        if isinstance(value, int):
            return value != 0
        raise bad_request(f"invalid boolean {name}: {value!r}", protocol=True)

    def json(self, name: str) -> Any:
        """A JSON object or array parameter (sent decoded, or JSON-encoded in a form field)."""
        value = self._values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object", protocol=True) from None
        return value

    def json_object(self, name: str) -> JSON | None:
        """A JSON object parameter, or None when absent."""
        value = self.json(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(f"can't parse {name} JSON object", protocol=True)
        return value

    def json_list(self, name: str) -> list[Any] | None:
        """A JSON array parameter, or None when absent."""
        value = self.json(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise bad_request(f"{name} must be an array", protocol=True)
        return value

    def input_file(self, name: str) -> Upload | str | None:
        """A file parameter: an uploaded part (direct or ``attach://``), or a file_id / URL text."""
        if name in self._uploads:
            return self._uploads[name]
        value = self._values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad_request(f"invalid {name} specified", protocol=True)
        if value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part not in self._uploads:
                raise bad_request(
                    f"file {part!r} referenced by {name} was not uploaded", protocol=True
                )
            return self._uploads[part]
        return value

    def chat_id(self) -> int | str:
        """The ``chat_id`` parameter: an integer id or an ``@username``."""
        value = self._values.get("chat_id")
        if isinstance(value, str) and value.startswith("@"):
            return value
        chat_id = self.integer("chat_id", required=True)
        assert chat_id is not None
        return chat_id


async def read_params(request: web.Request) -> Params:
    """Collect the parameters of a request from its query string and body."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body", protocol=True) from None
            if not isinstance(body, dict):
                raise bad_request("the JSON request body must be an object", protocol=True)
            values.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[name] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    values[name] = value
        else:
            raise bad_request(f"unsupported Content-Type {content_type!r}", protocol=True)
    return Params(values, uploads)
