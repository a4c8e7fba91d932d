"""Commands about the instance itself: `run` and `config`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.channels.port import ChannelRejected, ChannelUnreachable
from bot.config import Settings
from bot.texts import plain


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="jalankan bot (polling Telegram, atau webhook jika diatur)")
    run.add_argument(
        "--no-demo",
        action="store_true",
        help="tanpa token: jangan jalankan demo, hanya tampilkan cara mendapatkan token",
    )
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="demo luring: satu putaran lengkap dengan orang tiruan")
    demo.set_defaults(func=cmd_demo)
    config = sub.add_parser("config", help="tampilkan pengaturan yang berlaku (token disamarkan)")
    config.set_defaults(func=cmd_config)
    wa = sub.add_parser("whatsapp", help="WhatsApp: templat pesan yang dibutuhkan bot")
    wsub = wa.add_subparsers(dest="whatsapp_command", metavar="AKSI", required=True)
    templates = wsub.add_parser(
        "templates", help="cetak templat (JSON format Meta); --submit: buat lewat Graph API"
    )
    templates.add_argument("--submit", action="store_true", help="buat templat yang belum ada")
    templates.set_defaults(func=cmd_whatsapp_templates)


async def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    print(plain("cli-config-header"))
    shown = settings.masked()
    width = max(len(k) for k in shown)
    for name, value in shown.items():
        print(f"  {name:<{width}}  {value}")
    return 0


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.telegram_on and not settings.whatsapp_on:
        if args.no_demo:
            print(plain("cli-no-token"), file=sys.stderr)
            return 2
        await cmd_demo(args, settings)
        print(plain("cli-no-token"))
        return 0
    from bot.channels.telegram.polling import PollerTaken
    from bot.run import run

    try:
        await run(settings)
    except PollerTaken:
        print(plain("cli-poller-taken"), file=sys.stderr)
        return 2
    except ChannelRejected as exc:
        key = "cli-whatsapp-rejected" if exc.channel == "whatsapp" else "cli-telegram-rejected"
        print(plain(key), file=sys.stderr)
        return 2
    except ChannelUnreachable as exc:
        key = (
            "cli-whatsapp-unreachable" if exc.channel == "whatsapp" else "cli-telegram-unreachable"
        )
        print(plain(key, reason=str(exc)), file=sys.stderr)
        return 1
    return 0


async def cmd_whatsapp_templates(args: argparse.Namespace, settings: Settings) -> int:
    """Print the templates the bot needs, in Meta's creation format; with --submit, create those
    the business account does not have yet."""
    from bot.channels.whatsapp.templates import creation_json

    made = creation_json()
    if not args.submit:
        print(json.dumps(made, ensure_ascii=False, indent=2))
        return 0
    if not settings.whatsapp_on:
        print(plain("cli-whatsapp-off"), file=sys.stderr)
        return 2
    if not settings.whatsapp_business_account_id:
        print(plain("cli-whatsapp-no-waba"), file=sys.stderr)
        return 2
    from bot.channels.whatsapp.channel import submit_templates

    failed = 0
    for name, status in await submit_templates(settings):
        ok = status in ("APPROVED", "PENDING", "IN_REVIEW", "ADA")
        failed += not ok
        print(plain("cli-whatsapp-template-made" if ok else "cli-whatsapp-template-failed",
                    name=name, status=status, reason=status))  # fmt: skip
    return 1 if failed else 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import DemoNeedsEmptyDatabase, run_demo

    url = str(settings.database_target) if settings.on_postgresql else None
    try:
        transcript = await run_demo(database_url=url)
    except DemoNeedsEmptyDatabase:
        print(plain("cli-demo-needs-empty"), file=sys.stderr)
        return 2
    print(transcript)
    print()
    print(plain("cli-demo-done"))
    return 0
