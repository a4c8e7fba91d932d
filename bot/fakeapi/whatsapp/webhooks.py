"""Webhook bodies as Meta posts them, and their signature.

Every POST carries ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app
secret>``. Bodies follow Meta's envelope (``object``/``entry``/``changes``/``value``) with one message or
one status each; the contact carries both the phone number (``wa_id``) and the business-scoped user
id (``user_id``, the 2026 BSUID), as pywa 4.5 parses them.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import aiohttp

from bot.fakeapi.whatsapp.models import JSON

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature(body: bytes, app_secret: str) -> str:
    """The value of ``X-Hub-Signature-256`` for ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


async def post_signed(
    url: str,
    body: bytes | JSON,
    app_secret: str,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> int:
    """POST ``body`` (bytes as they are, a dict as compact JSON) signed like Meta; the status code."""
    raw = body if isinstance(body, bytes) else encode(body)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(raw, app_secret)}
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.post(url, data=raw, headers=headers) as response,
    ):
        await response.read()
        return response.status


def encode(body: JSON) -> bytes:
    """Compact JSON, UTF-8 (non-ASCII kept as Meta sends it)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def contact(wa_id: str, bsuid: str, name: str | None) -> JSON:
    """A ``contacts[]`` element."""
    entry: JSON = {}
    if name is not None:
        entry["profile"] = {"name": name}
    entry["wa_id"] = wa_id
    entry["user_id"] = bsuid
    entry["country_code"] = bsuid.split(".", 1)[0]
    return entry


def envelope(waba_id: str, metadata: JSON, value: JSON) -> JSON:
    """The outer shape of every ``messages`` field webhook."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def message_value(contact_entry: JSON, message: JSON) -> JSON:
    """``value`` of an incoming message."""
    return {"contacts": [contact_entry], "messages": [message]}


def status_value(
    wamid: str,
    status: str,
    timestamp: int,
    contact_entry: JSON,
    *,
    errors: list[JSON] | None = None,
    pricing_category: str = "service",
) -> JSON:
    """``value`` of a status notification (sent, delivered, read or failed)."""
    item: JSON = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp),
        "recipient_id": contact_entry["wa_id"],
    }
    if "user_id" in contact_entry:
        item["recipient_user_id"] = contact_entry["user_id"]
    if errors:
        item["errors"] = errors
    elif status in ("sent", "delivered"):
        item["pricing"] = {
            "billable": pricing_category != "service",
            "pricing_model": "PMP",
            "category": pricing_category,
            "type": "regular" if pricing_category != "service" else "free_customer_service",
        }
    return {
        "contacts": [{k: v for k, v in contact_entry.items() if k != "profile"}],
        "statuses": [item],
    }


def status_error(code: int) -> JSON:
    """An ``errors[]`` element of a failed status, with Meta's titles."""
    titles = {
        131047: (
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer "
            "last replied to this number.",
        ),
        131026: (
            "Message undeliverable",
            "Unable to deliver message. Reasons can include: the recipient phone number is not a "
            "WhatsApp phone number; the recipient has not accepted the new Terms of Service.",
        ),
        131053: (
            "Media upload error",
            "Unable to upload the media used in the message.",
        ),
    }
    title, details = titles.get(code, ("Something went wrong", "Message failed to send."))
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
