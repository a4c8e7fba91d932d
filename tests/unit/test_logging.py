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
