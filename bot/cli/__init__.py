"""The command line: parse, load settings, call one command, turn known errors into one clear line.

Each command module registers its sub-commands with `register(subparsers)`; a command is an async
function `(args, settings) -> exit code`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, NoReturn

from bot.config import Settings, SettingsError, load_settings
from bot.logging_setup import configure_logging
from bot.texts import plain
from storage.db import DatabaseBusy, DatabaseUnavailable, SchemaTooNew

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


class CliError(Exception):
    """A user error on the command line: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse with its usage errors in Indonesian and without a traceback."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(
            2, f"Perintah tidak valid: {message.rstrip('.')}. Bantuan: python -m bot --help\n"
        )


def build_parser() -> Parser:
    from bot.cli import (
        calendar_cmds,
        export_cmds,
        ops_cmds,
        outbox_cmds,
        people_cmds,
        report_cmds,
        system_cmds,
        web_cmds,
    )

    parser = Parser(prog="ppid-bot", description="PPID Bot Kota Pontianak")
    sub = parser.add_subparsers(dest="command", metavar="PERINTAH", parser_class=Parser)
    modules = (
        system_cmds,
        calendar_cmds,
        people_cmds,
        report_cmds,
        outbox_cmds,
        web_cmds,
        export_cmds,
        ops_cmds,
    )
    for module in modules:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(plain("cli-settings-invalid"), file=sys.stderr)
        for line in exc.lines:
            print(f"- {line}", file=sys.stderr)
        return 2
    secrets = [
        s.get_secret_value() for s in (settings.telegram_token, settings.webhook_secret) if s
    ] + settings.database_password
    # Only the long-running bot logs at the configured level; one-shot commands print their
    # answer and stay quiet unless something is wrong.
    level = settings.log_level if args.command in {"run", "demo"} else "WARNING"
    # Both secrets are redacted from every record, also python-telegram-bot's DEBUG line that
    # lists setWebhook's parameters (secret_token among them).
    configure_logging(level, secrets=secrets)
    try:
        return asyncio.run(func(args, settings))
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except DatabaseBusy as exc:
        print(plain("cli-db-busy", where=exc.where), file=sys.stderr)
        return 1
    except DatabaseUnavailable as exc:
        print(plain("cli-db-unreachable", where=exc.where, reason=exc.reason), file=sys.stderr)
        return 1
    except SchemaTooNew as exc:
        print(plain("cli-db-too-new", path=exc.path, number=max(exc.unknown),
                    shipped=exc.shipped), file=sys.stderr)  # fmt: skip
        return 2
    except BrokenPipeError:
        # `python -m bot opd list | head`: the reader left. Point stdout at /dev/null so that
        # the interpreter's final flush does not fail again, and end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(plain("cli-interrupted"), file=sys.stderr)
        return 130
