"""How queued updates reach the bot: getUpdates long polling, or a webhook.

getUpdates is a real long poll: it answers as soon as an update is queued, or at its ``timeout``; a
newer poll ends an older one with 409 Conflict, as on Telegram.

Webhooks work as on Telegram: after ``setWebhook`` every update is POSTed as JSON to the webhook URL
(with the ``X-Telegram-Bot-Api-Secret-Token`` header when a secret token was given), one at a time and
in order, by a background task of the server. An update stays pending until the receiver answers 2xx;
failures are retried with a short backoff and reported by ``getWebhookInfo``. While a webhook is set,
``getUpdates`` answers 409 Conflict; ``deleteWebhook`` returns to polling.

Both ways honour ``allowed_updates``: the updates of other types are dropped, never delivered.
"""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

import aiohttp

from bot.fakeapi.core import (
    DEFAULT_ALLOWED_UPDATES,
    UPDATE_TYPES,
    ServerCore,
    Webhook,
    WebhookError,
)
from bot.fakeapi.models import JSON
from bot.fakeapi.params import ApiError, Params, bad_request

WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
TERMINATED_BY_SET_WEBHOOK = "Conflict: terminated by setWebhook request"
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]*")
MAX_SECRET_TOKEN_LENGTH = 256
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
LOOPBACK_HOSTS = frozenset({"localhost", "::1"})
DEFAULT_MAX_CONNECTIONS = 40
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_RETRY_FIRST_SECONDS = 0.05
WEBHOOK_RETRY_MAX_SECONDS = 1.0


class UpdateDelivery(ServerCore):
    """The update queue as the bot sees it: getUpdates, the webhook methods and their delivery."""

    @property
    def webhook_url(self) -> str:
        """The URL set by ``setWebhook``, or "" while the bot polls."""
        return self._webhook.url if self._webhook is not None else ""

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued for the bot and not yet confirmed by it."""
        return list(self._updates)

    async def wait_until_confirmed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and confirmed every queued update."""
        done = await self.wait_for(lambda: True if not self._updates else None, timeout)
        if done is None:
            raise AssertionError(
                f"the bot did not confirm {len(self._updates)} update(s) within {timeout}s: "
                f"{[update['update_id'] for update in self._updates]}"
            )

    # ------------------------------------------------------------------ allowed updates

    @staticmethod
    def _update_type(update: JSON) -> str:
        return next(key for key in update if key != "update_id")

    def _is_wanted(self, update: JSON) -> bool:
        """True if the bot asked for updates of this type (``allowed_updates``)."""
        return self._update_type(update) in self._allowed_updates

    def _drop_unwanted_updates(self) -> None:
        self._updates = [u for u in self._updates if self._is_wanted(u)]

    @staticmethod
    def _allowed_updates_param(params: Params) -> list[str] | None:
        allowed = params.json_list("allowed_updates")
        if allowed is None:
            return None
        names = list(dict.fromkeys(map(str, allowed)))
        unknown = set(names) - UPDATE_TYPES
        if unknown:
            raise bad_request(
                f"unknown update types in allowed_updates: {sorted(unknown)}", protocol=True
            )
        return names

    def _set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Keep ``allowed_updates`` if given; an empty list means the default set, as on Telegram."""
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or DEFAULT_ALLOWED_UPDATES

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: Params) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = max(params.number("timeout") or 0.0, 0.0)
        self._set_allowed_updates(self._allowed_updates_param(params))
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older pending poll ends with 409 Conflict, as on Telegram

        def batch() -> list[JSON] | None:
            if self._webhook is not None:
                raise ApiError(409, TERMINATED_BY_SET_WEBHOOK)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            self._drop_unwanted_updates()
            if self._updates or self._closing.is_set():
                return self._updates[:limit]
            return None

        return await self.wait_for(batch, timeout) or []

    # ------------------------------------------------------------------ webhook methods

    async def _set_webhook(self, params: Params) -> bool:
        if params.has("certificate"):
            raise bad_request(
                "custom certificates are not supported by the fake Bot API", protocol=True
            )
        # A missing url is an empty one, and an empty url removes the webhook, as on Telegram.
        url = self._checked_webhook_url((params.string("url") or "").strip())
        secret = params.string("secret_token") or ""
        if len(secret) > MAX_SECRET_TOKEN_LENGTH:
            raise bad_request("secret token is too long")
        if not SECRET_TOKEN_PATTERN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = self._allowed_updates_param(params)
        # Telegram clamps max_connections to 1..100 rather than refusing it.
        max_connections = params.integer("max_connections") or DEFAULT_MAX_CONNECTIONS
        max_connections = min(max(max_connections, 1), 100)
        await self._stop_webhook(params)
        self._set_allowed_updates(allowed)
        if not url:
            self._forget_webhook()
            return True
        previous = self._webhook
        if previous is None or previous.url != url:
            self._webhook_error = None
        allowed_updates = tuple(allowed) if allowed is not None else None
        if allowed_updates is None and previous is not None:
            allowed_updates = previous.allowed_updates
        self._webhook = Webhook(
            url=url,
            secret_token=secret or None,  # an empty secret_token means "no secret", as on Telegram
            max_connections=max_connections,
            ip_address=params.string("ip_address"),
            allowed_updates=allowed_updates,
        )
        self._notify()  # a pending long poll ends with 409 "terminated by setWebhook request"
        self._start_delivery(self._webhook)
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        await self._stop_webhook(params)
        self._forget_webhook()
        return True

    async def _get_webhook_info(self, params: Params) -> JSON:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": sum(1 for update in self._updates if self._is_wanted(update)),
        }
        hook = self._webhook
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.allowed_updates is not None:
                info["allowed_updates"] = list(hook.allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"] = self._webhook_error.date
            info["last_error_message"] = self._webhook_error.message
        return info

    async def _stop_webhook(self, params: Params) -> None:
        """The start of setWebhook and deleteWebhook: stop delivering, drop the queue if asked."""
        await self._stop_delivery()
        if params.flag("drop_pending_updates"):
            self._updates.clear()

    def _forget_webhook(self) -> None:
        """Back to polling, waking whoever waits for a change."""
        self._webhook = self._webhook_error = None
        self._notify()

    @staticmethod
    def _checked_webhook_url(url: str) -> str:
        """The webhook URL if Telegram would accept it ("" stays "", meaning no webhook).

        Deviation from Telegram, for tests: a URL on this machine (127.0.0.0/8, ``localhost``,
        ``::1``) may be plain http and use any port, as the self-hosted ``telegram-bot-api --local``
        server allows. Telegram itself requires https on port 80, 88, 443 or 8443. The fake never
        leaves the machine, so any other host is refused as if it could not be resolved.
        """
        if not url:
            return ""
        if "://" not in url:
            url = f"https://{url}"  # Telegram reads a URL without a scheme as https
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise bad_request("invalid webhook URL specified") from None
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise bad_request("invalid webhook URL specified")
        if host in LOOPBACK_HOSTS or re.fullmatch(r"127(\.\d{1,3}){3}", host):
            return url
        if parts.scheme.lower() != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if port is not None and port not in WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")

    # ------------------------------------------------------------------ webhook delivery

    def _start_delivery(self, hook: Webhook) -> None:
        if self._delivery is None and self._runner is not None:
            self._delivery = asyncio.create_task(
                self._deliver_updates(hook), name="fake Telegram webhook delivery"
            )

    async def _stop_delivery(self) -> None:
        """Cancel the delivery task and wait for it; an update being posted stays pending."""
        task, self._delivery = self._delivery, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})
        if not task.cancelled():
            task.result()  # a bug in the delivery loop surfaces here rather than being lost

    async def _next_pending_update(self) -> JSON:
        while True:
            changed = self._changed
            self._drop_unwanted_updates()
            if self._updates:
                return self._updates[0]
            await changed.wait()

    async def _deliver_updates(self, hook: Webhook) -> None:
        """POST the pending updates to the webhook, oldest first, one at a time, until cancelled."""
        retry_delay = WEBHOOK_RETRY_FIRST_SECONDS
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                update = await self._next_pending_update()
                error = await self._post_update(session, hook, update)
                if error is None:
                    update_id = update["update_id"]
                    self._updates = [u for u in self._updates if u["update_id"] != update_id]
                    retry_delay = WEBHOOK_RETRY_FIRST_SECONDS
                    self._notify()
                    continue
                self._webhook_error = WebhookError(self.now(), error)
                await asyncio.sleep(retry_delay)
                retry_delay = min(retry_delay * 2, WEBHOOK_RETRY_MAX_SECONDS)

    @staticmethod
    async def _post_update(
        session: aiohttp.ClientSession, hook: Webhook, update: JSON
    ) -> str | None:
        """Deliver one update; None on a 2xx answer, else the error as Telegram words it."""
        # PTB's webhook server refuses anything but exactly "application/json".
        headers = {"Content-Type": "application/json"}
        if hook.secret_token is not None:
            headers[SECRET_TOKEN_HEADER] = hook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        try:
            async with session.post(hook.url, data=body, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                status = f"{response.status} {response.reason or ''}".rstrip()
                return f"Wrong response from the webhook: {status}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as error:
            return f"Connection error: {type(error).__name__}"
