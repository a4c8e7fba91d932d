"""At start the bot checks that Meta approved the templates it needs, and tells the admins in
Indonesian which are missing; inside the 24-hour window everything still works."""

from __future__ import annotations

import pytest

from bot.sop import Role
from tests.e2e.whatsapp.conftest import Mixed


@pytest.fixture
def templates_approved() -> bool:
    return False


async def test_the_admins_are_told_which_templates_meta_has_not_approved(mixed: Mixed) -> None:
    m, h = mixed, mixed.h
    admin = await h.join(4301, "Pak Admin", Role.ADMIN)
    # The check at start found no admin yet (the test's admin joined after); as at a restart:
    (channel,) = h.app.bot_data["also"]
    assert await channel.check_templates() == [
        "ppid_tugas_baru_v1", "ppid_pengingat_v1", "ppid_pemberitahuan_v1"
    ]  # fmt: skip
    told = await admin.wait_for_text("Templat WhatsApp belum siap")
    for name in ("ppid_tugas_baru_v1", "ppid_pengingat_v1", "ppid_pemberitahuan_v1"):
        assert name in told.text
    assert "--submit" in told.text
    # Inside the window the bot works as usual.
    rina = await m.join_wa("6281234567040", "Ibu Rina", Role.UTAMA)
    await rina.send("tugas")
    answer = await rina.next_message()  # only delivered messages reach her
    assert answer.template is None
