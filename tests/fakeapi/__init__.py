"""Tests of the fake Telegram Bot API (bot.fakeapi) itself."""
