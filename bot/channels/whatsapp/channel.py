"""WhatsApp, assembled from the settings: pywa's async client on our own httpx session (pointed
at `PPID_WHATSAPP_API_URL`), the sender, the file source, the intake and the webhook routes,
and the check of the templates at start.

`WhatsAppChannel(settings)` is made before the database is open; `attach(ctx)` joins it to the
running bot's core and returns its sender (for the dispatcher); `routes` mounts its webhook on an
aiohttp application; `close` finishes the messages in hand and closes the session.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from aiohttp import web
from pywa_async.client import WhatsApp
from pywa_async.errors import WhatsAppError

from bot.channels.base import Response, TroubleNotices
from bot.channels.links import whatsapp_link
from bot.channels.port import ChannelRejected, ChannelUnreachable
from bot.channels.whatsapp.events import CHANNEL, Incoming, Status
from bot.channels.whatsapp.files import WhatsAppFileSource
from bot.channels.whatsapp.sender import WhatsAppSender, delivery_error
from bot.channels.whatsapp.templates import LANGUAGE, TEMPLATES, missing
from bot.channels.whatsapp.webhook import WhatsAppWebhook
from bot.config import Settings
from bot.intake import Intake
from bot.services import delivery
from bot.services.admin_notices import notify_admins
from bot.services.context import Ctx
from bot.texts import plain, t
from bot.upkeep import report_error
from handlers.router import route
from storage.db import DatabaseUnavailable

log = logging.getLogger(__name__)
HTTP_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


def graph_session(settings: Settings) -> httpx.AsyncClient:
    """An httpx session for the Graph API at `PPID_WHATSAPP_API_URL` (pywa sets the token)."""
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT)


def client(settings: Settings, session: httpx.AsyncClient) -> WhatsApp:
    """pywa's async client in library mode (no server of its own), on `session`."""
    assert settings.whatsapp_token is not None
    wa = WhatsApp(
        phone_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_token.get_secret_value(),
        session=session,
        api_version=settings.whatsapp_api_version.removeprefix("v"),
        waba_id=settings.whatsapp_business_account_id,
        validate_updates=False,  # our receiver checks the signature on the raw body
    )
    # pywa writes graph.facebook.com into the session; every call goes to the configured root.
    session.base_url = httpx.URL(f"{settings.whatsapp_api_url}/{settings.whatsapp_api_version}")
    return wa


class WhatsAppChannel:
    """The WhatsApp channel of one running bot."""

    name = CHANNEL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = graph_session(settings)
        self.client = client(settings, self.session)
        self.files = WhatsAppFileSource(
            self.session, allow_http=settings.whatsapp_api_url.startswith("http://")
        )
        self._ctx: Ctx | None = None
        self._sender: WhatsAppSender | None = None
        self._webhook: WhatsAppWebhook | None = None
        self._trouble = TroubleNotices()

    def links(self, token: str) -> list[str]:
        number = self.settings.whatsapp_number
        return [whatsapp_link(number, token)] if number else []

    def attach(self, ctx: Ctx) -> WhatsAppSender:
        """Join the running bot's core: its intake, its sender (returned, for the dispatcher)."""
        self._ctx = ctx
        self._sender = WhatsAppSender(self.client, delivery.StoredMediaIds(ctx, CHANNEL))
        intake: Intake[Incoming] = Intake(CHANNEL, ctx.db, ctx.now, self._handle,
                                          key=lambda m: m.event_id,
                                          lane=lambda m: m.person.key,
                                          trouble=self._trouble_of)  # fmt: skip
        s = self.settings
        assert s.whatsapp_app_secret is not None and s.whatsapp_verify_token is not None
        self._webhook = WhatsAppWebhook(
            intake, self._status, s.whatsapp_app_secret.get_secret_value(),
            s.whatsapp_verify_token.get_secret_value(),
        )  # fmt: skip
        return self._sender

    @property
    def sender(self) -> WhatsAppSender:
        assert self._sender is not None, "attach the channel first"
        return self._sender

    def routes(self, app: web.Application) -> None:
        assert self._webhook is not None, "attach the channel first"
        self._webhook.mount(app)

    async def started(self) -> None:
        """The webhook listens: check the templates (when the business account is known). A
        refused token ends the run, an unreachable Graph API too; missing templates are said
        and told to the admins (the bot runs: inside the window everything works)."""
        token = self.settings.whatsapp_token
        secret = token.get_secret_value() if token else ""
        try:
            # The token and the number, checked once: a wrong one ends the run at once, not
            # at the first notice.
            await self.client.get_business_phone_number()
            await self.check_templates()
        except WhatsAppError as exc:
            if exc.code in (190, 0, 100, 10) or exc.status_code in (401, 403):
                raise ChannelRejected(str(exc.code), channel=CHANNEL) from None
            log.error("WhatsApp templates could not be checked: %s", exc.message)
        except httpx.HTTPError as exc:
            reason = str(exc).replace(secret, "****") if secret else str(exc)
            raise ChannelUnreachable(reason or type(exc).__name__, channel=CHANNEL) from None

    async def close(self) -> None:
        if self._webhook is not None:
            await self._webhook.close()
        await self.session.aclose()

    async def _handle(self, message: Incoming) -> None:
        """One person's message: routed, answered; an unexpected error is logged, told to the
        admins and to the person, and the message counts as handled (Meta would otherwise post
        it again and again)."""
        ctx = self._ctx
        assert ctx is not None
        person = message.person
        try:
            response: Response | None = None
            if person.phone and person.phone != person.key:
                # Someone who joined when Meta named people by number is now named by their
                # business-scoped user id: the same person, re-keyed once.
                await delivery.rekey(ctx, CHANNEL, person.phone, person.key)
            try:
                if message.event is not None:
                    response = await route(message.event, ctx, self.files)
            finally:  # they wrote: the window opens, whatever the answer
                await delivery.seen(ctx, CHANNEL, person.key, message.at, person.phone)
            if response is not None:
                await self.sender.answer(message.person.key, response)
        except DatabaseUnavailable as exc:
            # Not handled: the webhook answers an error, Meta delivers the message again, and
            # it is handled once the database is back (the intake tells the person).
            log.warning("WhatsApp message %s waits for the database: %s", message.event_id, exc)
            raise
        except Exception as exc:
            log.error("error while handling WhatsApp message %s", message.event_id, exc_info=exc)
            await report_error(ctx, exc)
            try:
                await self.sender.answer(message.person.key, Response().add(t("error-generic")))
            except Exception:  # the person's chat may be the fault; the admins know
                log.warning("could not tell %s about the error", message.event_id)

    async def _trouble_of(self, message: Incoming) -> None:
        """The database is out of reach: the person learns why the answer waits (once)."""
        if self._trouble.should_tell(message.person.key, time.monotonic()):
            await self.sender.answer(message.person.key, Response().add(t("error-db-trouble")))

    async def _status(self, status: Status) -> None:
        ctx = self._ctx
        assert ctx is not None
        failure = delivery_error(status.code, status.title) if status.status == "failed" else None
        if not await delivery.status(ctx, CHANNEL, status.message_id, status.status, status.at,
                                     failure):  # fmt: skip
            log.debug("status %s of message %s: not a notice, or late", status.status,
                      status.message_id)  # fmt: skip

    async def check_templates(self) -> list[str] | None:
        """The templates the bot needs that Meta has not approved; None when they cannot be
        checked (no business account id). Said in the log and told to the admins once."""
        waba = self.settings.whatsapp_business_account_id
        if not waba:
            log.warning(plain("wa-templates-unchecked"))
            return None
        known = await known_templates(self.client, waba)
        absent = missing(known)
        if absent and self._ctx is not None:
            ctx = self._ctx
            async with ctx.db.transaction() as uow:
                await notify_admins(uow, ctx.calendar, ctx.now(), f"templates:{','.join(absent)}",
                                    {"kind": "templates_missing", "names": absent})  # fmt: skip
                await uow.commit()
            ctx.kick()
        if absent:
            log.error(plain("wa-templates-missing", names=", ".join(absent)))
        else:
            log.info(plain("wa-templates-ready", names=", ".join(t.name for t in TEMPLATES)))
        return absent


async def known_templates(wa: WhatsApp, waba: str) -> list[dict[str, Any]]:
    """Every template of the business account (name, status, language), page after page."""
    known: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = await wa.api.get_templates(
            waba_id=waba, fields=("name", "status", "language"),
            pagination={"limit": 100, **({"after": after} if after else {})},
        )  # fmt: skip
        known += page.get("data", [])
        paging = page.get("paging", {})
        after = paging.get("cursors", {}).get("after")
        if not after or not paging.get("next"):
            return known


async def submit_templates(settings: Settings) -> list[tuple[str, str]]:
    """Create, through the Graph API, the templates the business account does not have yet;
    each template's name and its status (Meta's, or what went wrong)."""
    waba = settings.whatsapp_business_account_id
    assert waba is not None
    async with graph_session(settings) as session:
        wa = client(settings, session)
        known = {str(k.get("name")): str(k.get("status"))
                 for k in await known_templates(wa, waba) if k.get("language") == LANGUAGE}  # fmt: skip
        results = []
        for template in TEMPLATES:
            if template.name in known:
                results.append((template.name, known[template.name]))
                continue
            try:
                made = await wa.api.create_template(waba_id=waba, template=template.creation())
                results.append((template.name, str(made.get("status", "PENDING"))))
            except WhatsAppError as exc:
                results.append((template.name, f"{exc.code}: {exc.message}"))
        return results


__all__ = ["WhatsAppChannel", "WhatsAppError", "submit_templates"]
