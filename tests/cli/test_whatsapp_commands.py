"""`python -m bot whatsapp templates`, `config` and `invite` with WhatsApp settings, as an admin
meets them."""

from __future__ import annotations

import json

import pytest

from bot.channels.whatsapp.channel import submit_templates
from bot.cli import main
from bot.config import Settings
from bot.fakeapi.whatsapp import FakeWhatsApp

SECRET = "EAAG-very-secret-system-user-token"


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def whatsapp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "PPID_WHATSAPP_TOKEN": SECRET, "PPID_WHATSAPP_PHONE_NUMBER_ID": "1000000001",
        "PPID_WHATSAPP_APP_SECRET": "app-secret-value", "PPID_WHATSAPP_VERIFY_TOKEN": "verify-me",
        "PPID_WHATSAPP_NUMBER": "+62 811-0000-0001",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)


def test_the_templates_are_printed_in_metas_creation_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["whatsapp", "templates"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in made] == [
        "ppid_tugas_baru_v1", "ppid_pengingat_v1", "ppid_pemberitahuan_v1"
    ]  # fmt: skip
    for template in made:
        assert template["language"] == "id" and template["category"] == "UTILITY"
        body, buttons = template["components"]
        assert body["type"] == "BODY" and "{{1}}" in body["text"]
        # Meta refuses a body that starts or ends with a parameter.
        assert not body["text"].startswith("{{") and not body["text"].endswith("}}")
        params = body["text"].count("{{")
        assert len(body["example"]["body_text"][0]) == params
        assert buttons["buttons"][0]["type"] == "QUICK_REPLY"
        assert len(buttons["buttons"][0]["text"]) <= 20


def test_submitting_without_whatsapp_settings_says_what_to_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["whatsapp", "templates", "--submit"]) == 2
    assert "PPID_WHATSAPP_TOKEN" in capsys.readouterr().err


async def test_submitting_creates_the_missing_templates_once(tmp_path: object) -> None:
    async with FakeWhatsApp(auto_approve_templates=False) as wa:
        settings = Settings(
            whatsapp_token=wa.token, whatsapp_phone_number_id=wa.phone_number_id,  # type: ignore[arg-type]
            whatsapp_app_secret=wa.app_secret, whatsapp_verify_token="v",  # type: ignore[arg-type]
            whatsapp_api_url=wa.api_url, whatsapp_business_account_id=wa.waba_id,
        )  # fmt: skip
        first = await submit_templates(settings)
        assert [s for _, s in first] == ["PENDING"] * 3
        again = await submit_templates(settings)
        assert [s for _, s in again] == ["PENDING"] * 3  # known already: not created twice
        created = [c for c in wa.calls_to("/message_templates") if c.method == "POST"]
        assert len(created) == 3


def test_config_shows_every_whatsapp_setting_with_the_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    whatsapp_env(monkeypatch)
    assert run(["config"]) == 0
    out = capsys.readouterr().out
    for name in ("TOKEN", "PHONE_NUMBER_ID", "APP_SECRET", "VERIFY_TOKEN", "NUMBER", "API_URL",
                 "API_VERSION", "BUSINESS_ACCOUNT_ID"):  # fmt: skip
        assert f"PPID_WHATSAPP_{name}" in out
    assert SECRET not in out and "app-secret-value" not in out and "verify-me" not in out
    assert "6281100000001" in out and "https://graph.facebook.com" in out


def test_with_whatsapp_alone_an_invitation_gives_the_wa_me_link(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    whatsapp_env(monkeypatch)
    assert run(["opd", "import", "--builtin"]) == 0
    assert run(["invite", "--role", "ppid_utama", "--name", "Ibu Rina"]) == 0
    out = capsys.readouterr().out
    links = [line for line in out.splitlines() if line.startswith("https://")]
    assert len(links) == 1 and links[0].startswith("https://wa.me/6281100000001?text=Halo%20PPID")
    assert "Kode%20undangan%3A%20" in links[0]


def test_whatsapp_on_without_the_app_secret_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    whatsapp_env(monkeypatch)
    monkeypatch.delenv("PPID_WHATSAPP_APP_SECRET")
    assert run(["config"]) != 0
    assert "PPID_WHATSAPP_APP_SECRET" in capsys.readouterr().err
