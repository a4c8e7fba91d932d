"""The publishing interface of step 5, and its two implementations chosen by PPID_PUBLISHER:
the built-in DIP site (default) and the manual record of addresses on an existing site."""

from __future__ import annotations

from typing import Protocol

from bot.models import User
from bot.services import publication
from bot.services.context import Ctx
from bot.services.publication import Totals, Withdrawn


class Publisher(Protocol):
    """Publishes a case's approved entries with their files, and withdraws a published entry."""

    name: str

    async def publish(self, ctx: Ctx, user: User, case_id: int, version: int) -> Totals: ...

    async def withdraw(self, ctx: Ctx, user: User, entry_id: int, reason: str) -> Withdrawn: ...


class SitePublisher:
    """Pages on the built-in site; the site is updated after every change (in the background
    after a publication, before the answer after a withdrawal)."""

    name = "site"

    async def publish(self, ctx: Ctx, user: User, case_id: int, version: int) -> Totals:
        return await publication.publish_to_site(ctx, user, case_id, version)

    async def withdraw(self, ctx: Ctx, user: User, entry_id: int, reason: str) -> Withdrawn:
        return await publication.withdraw(ctx, user, entry_id, reason)


class ManualPublisher:
    """Addresses on an existing site, recorded by the Pejabat PID before the case is closed."""

    name = "manual"

    async def publish(self, ctx: Ctx, user: User, case_id: int, version: int) -> Totals:
        return await publication.close(ctx, user, case_id, version)

    async def withdraw(self, ctx: Ctx, user: User, entry_id: int, reason: str) -> Withdrawn:
        # The register records the withdrawal; the external site is edited by hand.
        return await publication.withdraw(ctx, user, entry_id, reason)


def publisher_for(name: str) -> Publisher:
    return SitePublisher() if name == "site" else ManualPublisher()
