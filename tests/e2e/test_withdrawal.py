"""A PPID Utama withdraws a published entry with a reason: it leaves the site at once, audited.
Two publications at the same moment both end up on the site."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.fakeapi.people import FakePerson
from bot.services import cases, publication
from bot.workflow import Refused
from tests.e2e.conftest import Harness


async def published_case(
    h: Harness, code: str, uid: int, titles: list[str]
) -> tuple[int, FakePerson, FakePerson, FakePerson]:
    """A team of `code` (ids from `uid`) whose case with these entries waits for publication."""
    andi, rina, sari = await h.join_team(uid, code)
    case_id = await h.round_at_step5(andi, rina, sari, code, titles)
    return case_id, andi, rina, sari


def register_titles(h: Harness) -> list[str]:
    data = json.loads((h.settings.web_dir / "current" / "dip.json").read_text(encoding="utf-8"))
    return sorted(e["judul"] for e in data["informasi"])


async def test_a_withdrawn_entry_leaves_the_site_at_once_and_is_audited(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES")
    case_id, andi, rina, _ = await published_case(h, "DINKES", 9800, ["Laporan", "Renstra"])
    v = await cases.view(h.ctx, case_id)
    await publication.publish_to_site(h.ctx, await h.user(andi), case_id, v.case.version)
    await h.site_settled()
    assert register_titles(h) == ["Laporan", "Renstra"]
    await rina.send("/status")
    await rina.wait_until(lambda m: "DINKES" in str(m.buttons))
    await rina.press("DINKES")
    closed = await rina.wait_until(lambda m: "Tarik #2" in str(m.buttons))
    assert "Selesai" in closed.text
    await rina.press("🚫 Tarik #2 dari web")
    await rina.wait_for_text("alasan penarikan entri #2")
    await rina.send("Memuat data pribadi yang belum disamarkan")
    await rina.wait_for_text("Entri #2 ditarik dari situs")
    assert register_titles(h) == ["Laporan"]
    async with h.ctx.db.transaction() as uow:
        trail = [a for a in await uow.audit.for_case(case_id) if a.action == "entry:withdraw"]
    assert len(trail) == 1 and "Memuat data pribadi" in (trail[0].note or "")
    # A Pejabat cannot withdraw, and a withdrawn entry cannot be withdrawn twice.
    first, second = (await cases.view(h.ctx, case_id)).entries
    with pytest.raises(Refused) as not_theirs:
        await publication.withdraw(h.ctx, await h.user(andi), first.id, "coba")
    assert not_theirs.value.key == "refused-role"
    with pytest.raises(Refused) as twice:
        await publication.withdraw(h.ctx, await h.user(rina), second.id, "lagi")
    assert twice.value.key == "refused-not-published"


async def test_two_publications_at_the_same_moment_both_reach_the_site(harness: Harness) -> None:
    h = harness
    await h.add_opds("DINKES", "DISHUB")
    first, andi, _, _ = await published_case(h, "DINKES", 9900, ["Laporan DINKES"])
    second, andi2, _, _ = await published_case(h, "DISHUB", 9910, ["Laporan DISHUB"])
    v1, v2 = await cases.view(h.ctx, first), await cases.view(h.ctx, second)
    await asyncio.gather(
        publication.publish_to_site(h.ctx, await h.user(andi), first, v1.case.version),
        publication.publish_to_site(h.ctx, await h.user(andi2), second, v2.case.version),
    )
    await h.site_settled()
    assert register_titles(h) == ["Laporan DINKES", "Laporan DISHUB"]
