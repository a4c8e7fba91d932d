"""Commands of the outbox: `outbox` lists pending and failed notices, `outbox retry ID` queues a
failed one again (after the admin fixed the cause, e.g. the person unblocked the bot)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.bootstrap import open_core
from bot.cli import CliError
from bot.config import Settings
from bot.texts import plain


def register(sub: Any) -> None:
    box = sub.add_parser("outbox", help="notifikasi yang menunggu dan yang gagal")
    box.set_defaults(func=cmd_list)
    bsub = box.add_subparsers(dest="outbox_command", metavar="AKSI")
    retry = bsub.add_parser("retry", help="antrekan ulang notifikasi yang gagal")
    retry.add_argument("id", type=int, metavar="ID")
    retry.set_defaults(func=cmd_retry)


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    async with open_core(settings) as core:
        async with core.db.transaction() as uow:
            rows = await uow.outbox.listing(("pending", "failed"))
            users = {u.id: u for u in await uow.users.all()}
            uncertain = {r.id for r in await uow.outbox.uncertain()}
        if not rows:
            print(plain("cli-outbox-empty"))
            return 0
        print(plain("cli-outbox-header"))
        for r in rows:
            person = users.get(r.user_id)
            when = core.calendar.local(r.not_before)
            print(plain(
                "cli-outbox-row", id=r.id, state=plain(f"cli-outbox-{r.state}"),
                name=person.name if person else "?", role=person.role.value if person else "?",
                key=r.key, at=f"{when:%Y-%m-%d %H.%M}", attempts=r.attempts,
                error=r.last_error or "-",
            ))  # fmt: skip
            if r.id in uncertain:
                print(plain("cli-outbox-uncertain"))
    return 0


async def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    async with open_core(settings) as core, core.db.transaction() as uow:
        user_id = await uow.outbox.retry(args.id)
        if user_id is None:
            raise CliError(plain("cli-outbox-not-failed", id=args.id))
        # The admin asks to try again: the person's other held notices go out with it.
        if await uow.users.mark_reachable(user_id):
            await uow.outbox.release_held(user_id)
        await uow.commit()
    print(plain("cli-outbox-retried", id=args.id))
    return 0
