"""The real bot on PostgreSQL (PPID_DATABASE_URL), through the chat: a case moves as on SQLite;
a database server that goes away is told to the person once, and what they wrote meanwhile is
handled when it is back."""

from __future__ import annotations

from pathlib import Path

from bot.channels.telegram.application import build_application
from bot.fakeapi import flows
from bot.fakeapi.server import FakeTelegram
from bot.sop import Role
from bot.texts import t
from tests.e2e.conftest import Clock, fake_settings, serving
from tests.pgcluster import Cluster, running


async def test_a_draft_goes_from_the_pejabat_to_the_ppid_utama_on_postgresql(
    tmp_path: Path, clock: Clock, pg_cluster: Cluster
) -> None:
    async with FakeTelegram() as fake:
        settings = fake_settings(fake, tmp_path / "data", database_url=pg_cluster.database())
        app = build_application(settings, clock=clock, rate_limit=False)
        async with serving(fake, settings, clock, app) as h:
            assert h.ctx.db.dialect == "postgresql"
            await h.add_opds("DINKES")
            andi, rina, _sari = await h.join_team(7100)
            await h.round_at_step2(andi, "DINKES", ["Profil Dinas", "Rencana Kerja"])
            await h.scheduler.tick()
            await rina.wait_for_text("Dinas Dinkes")  # the hand-over reached her
            await flows.open_task(rina, "DINKES", tasks=1)
            await rina.wait_for_text("Rencana Kerja")


async def test_a_database_that_goes_away_is_told_once_and_the_messages_are_handled_when_back(
    tmp_path: Path, clock: Clock
) -> None:
    with running(durable=True) as cluster:  # a server of its own, to stop and start
        async with FakeTelegram() as fake:
            settings = fake_settings(fake, tmp_path / "data", database_url=cluster.database())
            app = build_application(settings, clock=clock, rate_limit=False)
            async with serving(fake, settings, clock, app) as h:
                await h.add_opds("DINKES")
                andi = await h.join(7200, "Bapak Andi", Role.PEJABAT)
                assert await fake.wait_for(
                    lambda: None if fake.pending_updates else True, 30
                )  # /start done
                cluster.stop_server()  # a crash, or a failover in progress
                await andi.send("/tugas")
                await andi.wait_for_text(t("error-db-trouble"))
                await andi.send("/status")
                cluster.start()
                # Both messages were kept unconfirmed, and are answered now, once each.
                await andi.wait_for_text(t("no-tasks"))
                await andi.wait_for_text(t("status-empty"))
                told = [m for m in andi.chat.bot_messages if m.text == t("error-db-trouble")]
                assert len(told) == 1  # told once, however often the updates came again
