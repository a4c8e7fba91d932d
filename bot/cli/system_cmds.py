"""Commands about the instance itself: `run` and `config`."""

from __future__ import annotations

import argparse
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


async def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    print(plain("cli-config-header"))
    shown = settings.masked()
    width = max(len(k) for k in shown)
    for name, value in shown.items():
        print(f"  {name:<{width}}  {value}")
    return 0


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram_token is None:
        if args.no_demo:
            print(plain("cli-no-token"), file=sys.stderr)
            return 2
        await cmd_demo(args, settings)
        print(plain("cli-no-token"))
        return 0
    from bot.channels.telegram.application import run_bot

    try:
        await run_bot(settings)
    except ChannelRejected:
        print(plain("cli-token-rejected"), file=sys.stderr)
        return 2
    except ChannelUnreachable as exc:
        print(plain("cli-telegram-unreachable", reason=str(exc)), file=sys.stderr)
        return 1
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    print(await run_demo())
    print()
    print(plain("cli-demo-done"))
    return 0
