"""Manual publication mode: the Pejabat records where each entry is published on an existing site."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services import cases
from tests.e2e.conftest import Harness


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"publisher": "manual"}


async def test_addresses_are_recorded_per_entry_or_for_all_then_the_case_closes(
    harness: Harness,
) -> None:
    h = harness
    await h.add_opds("DINKES")
    andi, rina, sari = await h.join_team(9001)
    case_id = await h.round_at_step5(andi, rina, sari, "DINKES", ["Laporan", "Renstra", "Profil"])
    await andi.wait_until(lambda m: "Langkah 5" in m.text and "Alamat #1" in str(m.buttons))
    await andi.press("✅ Tandai sudah terbit")
    assert "Masih ada 3 entri tanpa alamat" in await andi.next_toast()
    await andi.press("🌐 Alamat #1")
    await andi.wait_for_text("Alamat (URL) halaman entri #1")
    await andi.send("javascript:alert(1)")
    await andi.wait_for_text("Alamat tidak valid")
    await andi.send("https://ppid.pontianak.go.id/dip/laporan")
    await andi.wait_for_text("Alamat dicatat untuk 1 entri")
    await andi.wait_until(
        lambda m: "Alamat #1" not in str(m.buttons) and "Satu alamat" in str(m.buttons)
    )
    await andi.press("🌐 Satu alamat untuk semua")
    await andi.wait_for_text("semua entri yang belum beralamat")
    await andi.send("https://ppid.pontianak.go.id/dip/dinkes")
    await andi.wait_for_text("Alamat dicatat untuk 2 entri")
    await andi.wait_until(
        lambda m: "Tandai sudah terbit" in str(m.buttons) and "Alamat #" not in str(m.buttons)
    )
    await andi.press("✅ Tandai sudah terbit")
    await andi.wait_for_text("selesai: 3 entri terbit")
    v = await cases.view(h.ctx, case_id)
    assert [e.published_url for e in v.entries] == [
        "https://ppid.pontianak.go.id/dip/laporan",
        "https://ppid.pontianak.go.id/dip/dinkes",
        "https://ppid.pontianak.go.id/dip/dinkes",
    ]
    assert not (h.settings.web_dir / "current").exists()
