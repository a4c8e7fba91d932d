"""Commands about the instance itself: `run` and `config`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

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
        print(plain("cli-no-token"), file=sys.stderr)
        return 2
    from bot.app import run_bot

    await run_bot(settings)
    return 0
