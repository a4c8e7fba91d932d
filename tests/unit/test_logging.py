"""Logging never shows the token, plain or percent-encoded."""

from __future__ import annotations

import logging

import pytest

from bot.logging_setup import RedactFilter

TOKEN = "123456:SECRET-token"


@pytest.mark.parametrize("text", [f"GET /bot{TOKEN}/getMe", "GET /file/bot123456%3ASECRET-token/x"])
def test_the_token_is_redacted_from_log_lines(text: str) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (text,), None)
    RedactFilter([TOKEN]).filter(record)
    assert "SECRET" not in record.getMessage()


def test_a_traceback_is_logged_as_one_line_without_the_token() -> None:
    from bot.logging_setup import FORMAT, OneLineFormatter

    try:
        raise RuntimeError(f"failed GET /bot{TOKEN}/getMe\nsecond line")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    RedactFilter([TOKEN]).filter(record)
    line = OneLineFormatter(FORMAT).format(record)
    assert "\n" not in line and "Traceback" in line and "RuntimeError" in line
    assert "SECRET" not in line
