"""Logging for the whole process: one set-up, INFO by default, quiet libraries, one line per
event, no secret in any line."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactFilter(logging.Filter):
    """Replaces secrets (the bot token) wherever they would appear in a formatted record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # python-telegram-bot's file URLs carry the token percent-encoded (":" as "%3A").
        self._secrets = [v for s in secrets if s for v in {s, quote(s, safe="")}]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message or record.exc_info:
            record.msg, record.args = redacted, None
            if record.exc_info:
                # Tracebacks can carry the token inside URLs; format now and redact the text.
                text = logging.Formatter().formatException(record.exc_info)
                for secret in self._secrets:
                    text = text.replace(secret, "***")
                record.msg = f"{redacted}\n{text}"
                record.exc_info = None
                record.exc_text = None
        return True


class OneLineFormatter(logging.Formatter):
    """One line per event, also for tracebacks and multi-line messages: journald and log
    collectors split on newlines, and a traceback cut into twenty entries cannot be followed.
    The line breaks become ` | `."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    handler.addFilter(RedactFilter(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
