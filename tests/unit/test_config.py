"""Settings: defaults, PPID_* variables, .env, validation in clear Indonesian, masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings, mask_secret


def test_defaults_match_the_domain() -> None:
    s = load_settings()
    assert s.timezone == "Asia/Pontianak"
    assert s.hours.format() == "mon-thu 07:30-16:00; fri 07:30-16:30"
    assert s.max_document_mb == 20
    assert s.language == "id"
    assert s.telegram_token is None


def test_environment_variables_with_the_prefix_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPID_TELEGRAM_TOKEN", "123456:SECRET-TOKEN-VALUE")
    monkeypatch.setenv("PPID_MAX_DOCUMENT_MB", "50")
    s = load_settings()
    assert s.telegram_token is not None
    assert s.telegram_token.get_secret_value() == "123456:SECRET-TOKEN-VALUE"
    assert s.max_document_bytes == 50 * 1024 * 1024


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PPID_TIMEZONE=Asia/Makassar\n", encoding="utf-8")
    assert load_settings().timezone == "Asia/Makassar"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PPID_TIMEZONE", "Asia/Pontianakk", "zona waktu 'Asia/Pontianakk' tidak dikenal"),
        ("PPID_OFFICE_HOURS", "mon-thu 16:00-07:30", "format jam kerja tidak valid"),
        ("PPID_OFFICE_HOURS", "moon 07:00-15:00", "format jam kerja tidak valid"),
        ("PPID_MAX_DOCUMENT_MB", "banyak", "PPID_MAX_DOCUMENT_MB"),
        ("PPID_SPECIAL_HOURS", "2026-03-19..2026-02-18 mon 07:00-14:00", "berakhir sebelum"),
    ],
)
def test_a_bad_value_gives_one_clear_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert len(info.value.lines) == 1
    line = info.value.lines[0]
    assert name in line
    assert expected in line


def test_special_hours_parse_into_periods() -> None:
    s = Settings(special_hours="2026-02-18..2026-03-19 mon-thu 07:15-14:15; fri 07:15-14:45")
    (period,) = s.special_periods
    assert period.start.isoformat() == "2026-02-18"
    assert period.hours.format() == "mon-thu 07:15-14:15; fri 07:15-14:45"


def test_the_token_is_masked_when_settings_are_shown() -> None:
    s = Settings(telegram_token="123456789:AAE-very-secret-token")  # type: ignore[arg-type]
    shown = s.masked()
    assert "very-secret" not in " ".join(shown.values())
    assert "very-secret" not in repr(s)
    assert shown["PPID_TELEGRAM_TOKEN"] == "**** (diisi, disamarkan)"


def test_secrets_are_fully_masked_whatever_their_length() -> None:
    assert mask_secret("abc") == mask_secret("x" * 64) == "**** (diisi, disamarkan)"
    assert mask_secret("") == "(kosong)"


def test_the_reminder_policy_is_configured_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPID_REMINDER_DAYS_BEFORE", "2,5")
    monkeypatch.setenv("PPID_REMINDER_HOURS_BEFORE", "1.5")
    monkeypatch.setenv("PPID_ESCALATION2_AFTER_DAYS", "0")
    policy = load_settings().policy
    assert policy.long_days_before == (5, 2)
    assert policy.short_hours_before == 1.5
    assert policy.escalation2_after_days == 0


def test_a_bad_reminder_list_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPID_REMINDER_DAYS_BEFORE", "tiga")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "PPID_REMINDER_DAYS_BEFORE" in info.value.lines[0] and "3,1" in info.value.lines[0]


@pytest.mark.parametrize(
    "secret", [None, "", "a", "Rahasia_2027-ok", "rahasia dengan spasi", "x" * 257]
)
def test_a_webhook_without_a_valid_secret_token_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("PPID_WEBHOOK_URL", "https://bot.pontianakkota.go.id/telegram")
    if secret is not None:
        monkeypatch.setenv("PPID_WEBHOOK_SECRET", secret)
    with pytest.raises(SettingsError) as info:
        load_settings()
    [line] = info.value.lines
    assert line.startswith("Pengaturan PPID_WEBHOOK_SECRET tidak valid:")
    assert "A-Z, a-z, 0-9, _ atau -" in line


def test_a_webhook_with_a_secret_token_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPID_WEBHOOK_URL", "https://bot.pontianakkota.go.id/telegram")
    monkeypatch.setenv("PPID_WEBHOOK_SECRET", "Rahasia_2027-ok-16")
    secret = load_settings().webhook_secret
    assert secret is not None and secret.get_secret_value() == "Rahasia_2027-ok-16"
