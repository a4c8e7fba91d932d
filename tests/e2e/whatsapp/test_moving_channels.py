"""A person moving from Telegram to WhatsApp: `python -m bot user move ID` prints a link per
channel; redeeming the WhatsApp one moves her (her role, OPD and tasks follow, Telegram no longer
knows her); the link works once and not after it expired."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from bot.cli import main
from bot.sop import Role
from tests.e2e.conftest import Harness
from tests.e2e.whatsapp.conftest import VERIFY_TOKEN, Mixed


def links(m: Mixed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          *argv: str) -> tuple[str, str]:  # fmt: skip
    """Run a command of `python -m bot` that makes an invitation (`invite`, `user move`)
    against the running bot's data, settings and clock; the Telegram link and the sentence the
    WhatsApp link types."""
    s, wa = m.h.settings, m.wa
    env = {
        "PPID_DATA_DIR": str(s.data_dir), "PPID_CLOCK_START": m.h.clock.now.isoformat(),
        "PPID_TELEGRAM_TOKEN": "", "PPID_BOT_USERNAME": "ppid_test_bot",
        "PPID_WHATSAPP_TOKEN": wa.token, "PPID_WHATSAPP_PHONE_NUMBER_ID": wa.phone_number_id,
        "PPID_WHATSAPP_APP_SECRET": wa.app_secret, "PPID_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "PPID_WHATSAPP_NUMBER": wa.number,
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out
    assert code == 0, out
    (telegram,) = re.findall(r"https://t\.me/\S+", out)
    (whatsapp,) = re.findall(r"https://wa\.me/\S+", out)
    assert whatsapp.startswith(f"https://wa.me/{wa.number}?text=")
    (sentence,) = parse_qs(urlparse(whatsapp).query)["text"]
    return telegram, sentence


async def test_a_telegram_person_moves_to_whatsapp_with_her_tasks_and_the_link_works_once(
    mixed: Mixed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    andi = await h.join(4501, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(4502, "Ibu Rina", Role.UTAMA)
    sari_tg = await h.join(4503, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await sari_tg.wait_until(lambda x: "Langkah 3" in x.text)
    before = await h.user(sari_tg)

    telegram, sentence = await asyncio.to_thread(
        links, m, monkeypatch, capsys, "user", "move", str(before.id)
    )
    assert "Kode undangan:" in sentence and sentence.split()[-1] in telegram

    sari = m.wa.person("6281234561001", "Sari")
    await sari.send(sentence)
    await sari.wait_for_text("Selamat bergabung, Ibu Sari")
    moved = await m.wa_user(sari)
    assert (moved.id, moved.role, moved.opd_id) == (before.id, before.role, before.opd_id)
    assert moved.channel == "whatsapp"

    # Her task followed her.
    await sari.send("tugas")
    tasks = await sari.next_message()
    assert "Dinkes" in tasks.text or "DINKES" in str(tasks.buttons + tasks.rows), tasks.text
    # Telegram no longer knows her.
    await sari_tg.send("/tugas")
    await sari_tg.wait_until(lambda x: "undangan" in x.text)

    # The link works once: not for someone else, not on Telegram.
    budi = m.wa.person("6281234561002", "Budi")
    await budi.send(sentence)
    assert "sudah dipakai" in (await budi.next_message()).text
    await sari_tg.send(f"/start {sentence.split()[-1]}")
    await sari_tg.wait_until(lambda x: "sudah dipakai" in x.text)


async def test_an_expired_move_link_is_refused_and_the_person_stays_where_she_was(
    mixed: Mixed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    sari_tg = await h.join(4511, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    before = await h.user(sari_tg)
    _, sentence = await asyncio.to_thread(
        links, m, monkeypatch, capsys, "user", "move", str(before.id), "--days", "1"
    )
    await h.travel(h.clock.now + timedelta(days=2))
    sari = m.wa.person("6281234561011", "Sari")
    await sari.send(sentence)
    assert "kedaluwarsa" in (await sari.next_message()).text
    still = await h.user(sari_tg)
    assert still.channel == "telegram" and still.id == before.id
    await sari_tg.send("/tugas")
    await sari_tg.wait_until(lambda x: "Tugas" in x.text or "tugas" in x.text)


async def test_an_invitation_from_the_command_line_joins_on_whatsapp(
    mixed: Mixed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, sentence = await asyncio.to_thread(
        links, mixed, monkeypatch, capsys, "invite", "--role", "ppid_utama", "--name", "Ibu Rina"
    )
    rina = mixed.wa.person("6281234561021", "Rina")
    await rina.send(sentence)
    await rina.wait_for_text("Selamat bergabung, Ibu Rina")


async def test_a_person_moves_to_whatsapp_by_themselves_with_pindah(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    await h.add_opds("DINKES")
    andi = await h.join(4701, "Bapak Andi", Role.PEJABAT)
    rina = await h.join(4702, "Ibu Rina", Role.UTAMA)
    sari_tg = await h.join(4703, "Ibu Sari", Role.PENDUKUNG, "DINKES")
    await h.round_at_step3(andi, rina, "DINKES", ["Laporan Keuangan 2026"])
    await sari_tg.wait_for_text("Langkah 3")

    await sari_tg.send("/pindah")
    offer = await sari_tg.wait_for_text("Untuk pindah ke WhatsApp")
    (link,) = re.findall(r"https://\S+", offer.text)
    assert link.startswith(f"https://wa.me/{m.wa.number}?text=")  # only the other app's link
    sentence = parse_qs(urlparse(link).query)["text"][0]

    sari = m.wa.person("6281234567090", "Sari")
    await sari.send(sentence)
    await sari.wait_for_text("Selamat bergabung")
    user = await m.wa_user(sari)
    assert user.channel == "whatsapp" and user.role == Role.PENDUKUNG
    await sari.send("tugas")
    assert "Buka: DINKES" in (await sari.next_message()).buttons  # her task came with her
    # Telegram no longer knows her; on WhatsApp, /pindah offers Telegram back.
    await sari_tg.send("/menu")
    assert "undangan" in (await sari_tg.next_message()).text
    await sari.send("pindah")
    back = await sari.wait_for_text("Untuk pindah ke Telegram")
    assert "https://t.me/" in back.text


async def test_pindah_on_a_bot_with_one_chat_app_says_there_is_nowhere_to_go(
    harness: Harness,
) -> None:
    andi = await harness.join(4711, "Bapak Andi", Role.PEJABAT)
    await andi.send("/pindah")
    assert "hanya berjalan di satu aplikasi chat" in (await andi.next_message()).text
