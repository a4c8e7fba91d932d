"""`python -m bot audit --case ID` and `status [--json]`: who did what when, and where each case is."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import make_ctx, open_core
from bot.cli import main
from bot.cli.report_cmds import build_status
from bot.config import Settings
from bot.services.cases import create_round
from bot.sop import Category, Role
from storage.files import FileStore

WIB = ZoneInfo("Asia/Pontianak")
CREATED = datetime(2026, 3, 2, 10, 0, tzinfo=WIB)  # Monday; step 1 due Tue 3 Mar 16:00
FAR_AWAY = datetime(2099, 1, 5, 16, 0, tzinfo=WIB)


@dataclass(frozen=True)
class World:
    round_id: int
    cases: dict[str, int]  # OPD code -> case id
    people: dict[str, int]  # name -> user id


ENTRY = {
    "title": "Rencana Strategis Dinas Kesehatan 2025-2029",
    "summary": "Dokumen rencana strategis lima tahunan",
    "category": Category.BERKALA.value,
    "holder": "Sekretariat Dinas Kesehatan",
    "responsible": "Kepala Dinas Kesehatan",
    "made": "2025, Pontianak",
    "forms": "softcopy,online",
    "retention": "5 tahun",
}


async def _build(settings: Settings) -> World:
    """Three OPDs in one round: DINKES at step 3, DISHUB published, DLH still at step 1 (late)."""
    async with open_core(settings) as core:
        async with core.db.transaction() as uow:
            for code, name in [("DINKES", "Dinas Kesehatan"), ("DISHUB", "Dinas Perhubungan"),
                               ("DLH", "Dinas Lingkungan Hidup")]:  # fmt: skip
                await uow.opds.upsert(code, name)
            dinkes = await uow.opds.by_code("DINKES")
            assert dinkes is not None
            people: dict[str, int] = {}
            for name, role, opd_id in [
                ("Rina", Role.PEJABAT, None),
                ("Sari", Role.UTAMA, None),
                ("Budi", Role.PENDUKUNG, dinkes.id),
                ("Dedi", Role.PENDUKUNG, dinkes.id),
            ]:
                people[name] = await uow.users.add(
                    name=name, role=role, opd_id=opd_id, channel="telegram",
                    external_id=f"ext-{name}", chat_id=f"chat-{name}", now=CREATED,
                )  # fmt: skip
            await uow.users.deactivate(people["Dedi"], CREATED)
            opd_ids = [o.id for o in await uow.opds.all()]
            rina = await uow.users.get(people["Rina"])
            assert rina is not None
            await uow.commit()
        ctx = make_ctx(
            settings=settings,
            db=core.db,
            calendar=core.calendar,
            files=FileStore(settings.documents_dir),
            clock=lambda: CREATED,
        )
        views = await create_round(ctx, rina, "DIP Semester I 2026", opd_ids)
        cases = {v.opd.code: v.case.id for v in views}
        async with core.db.transaction() as uow:
            # DINKES: the draft went through steps 1 and 2, the OPD now gathers documents.
            task = await uow.tasks.current(cases["DINKES"])
            assert task is not None
            await uow.tasks.close(task.id, people["Sari"], "forwarded", CREATED)
            await uow.cases.move(cases["DINKES"], 3, None, CREATED)
            await uow.tasks.open(cases["DINKES"], 3, CREATED, FAR_AWAY)
            await uow.entries.add(cases["DINKES"], ENTRY)
            await uow.audit.append(
                at=datetime(2026, 3, 3, 8, 15, tzinfo=WIB), action="step3:submit",
                user_id=people["Budi"], role=Role.PENDUKUNG.value, case_id=cases["DINKES"],
                step=3, outcome="refused", note="refused-unresolved\n(1 dari 1)",
            )  # fmt: skip
            await uow.audit.append(
                at=datetime(2026, 3, 3, 8, 30, tzinfo=WIB), action="reminder",
                case_id=cases["DINKES"], step=3,
            )  # fmt: skip
            # DISHUB: published.
            task = await uow.tasks.current(cases["DISHUB"])
            assert task is not None
            await uow.tasks.close(task.id, people["Rina"], "published", CREATED)
            await uow.cases.move(cases["DISHUB"], 6, None, CREATED)
            await uow.commit()
    return World(round_id=views[0].round.id, cases=cases, people=people)


@pytest.fixture
def world(settings: Settings) -> World:
    return asyncio.run(_build(settings))


# --- audit ---------------------------------------------------------------------------------


def test_audit_prints_one_line_per_record_with_time_person_step_action_outcome_and_note(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    case_id = world.cases["DINKES"]
    assert main(["audit", "--case", str(case_id)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Riwayat berkas {case_id}: Dinas Kesehatan (DINKES) — DIP Semester I 2026"
    assert lines[1].split() == ["WAKTU", "OLEH", "LANGKAH", "TINDAKAN", "HASIL", "CATATAN"]
    assert len(lines) == 5
    created, refused, reminder = lines[2:]
    assert created.startswith("2026-03-02 10.00 WIB  Rina (Pejabat PID)")
    assert "langkah 1" in created and "round:create" in created and "berhasil" in created
    assert created.endswith("DIP Semester I 2026")
    assert refused.startswith("2026-03-03 08.15 WIB  Budi (PPID Pendukung)")
    assert "langkah 3" in refused and "step3:submit" in refused and "ditolak" in refused
    assert refused.endswith("refused-unresolved (1 dari 1)")
    assert reminder.startswith("2026-03-03 08.30 WIB  sistem")
    # The columns line up: every row has its action where the header has TINDAKAN.
    at = lines[1].index("TINDAKAN")
    assert all(line[at:].split()[0] in {"round:create", "step3:submit", "reminder"}
               for line in lines[2:])  # fmt: skip


def test_audit_of_an_unknown_case_is_one_clear_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    assert main(["audit", "--case", "999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "Berkas dengan ID 999 tidak ditemukan. Lihat daftar: python -m bot status\n"
    )


def test_audit_refuses_a_case_id_that_is_not_a_number(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["audit", "--case", "satu"])
    assert stopped.value.code == 2
    assert "ID berkas harus bilangan bulat positif" in capsys.readouterr().err


# --- status --------------------------------------------------------------------------------


def test_status_json_has_rounds_cases_steps_assignees_deadlines_and_states(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert datetime.fromisoformat(report["generated_at"]).utcoffset() is not None
    (rnd,) = report["rounds"]
    assert rnd["id"] == world.round_id
    assert rnd["name"] == "DIP Semester I 2026"
    assert rnd["created_at"] == "2026-03-02T10:00:00+07:00"
    assert rnd["closed_at"] is None
    cases = {c["opd"]["code"]: c for c in rnd["cases"]}
    assert set(cases) == {"DINKES", "DISHUB", "DLH"}
    for case in rnd["cases"]:
        assert set(case) == {
            "id", "opd", "step", "step_actor", "state", "assignees", "due_at", "overdue",
            "entries",
        }  # fmt: skip

    dinkes = cases["DINKES"]
    assert dinkes["id"] == world.cases["DINKES"]
    assert dinkes["opd"] == {"code": "DINKES", "name": "Dinas Kesehatan"}
    assert (dinkes["step"], dinkes["step_actor"], dinkes["state"]) == (
        3, "ppid_pendukung", "langkah 3"
    )  # fmt: skip
    # Only the active PPID Pendukung of that OPD: Dedi was deactivated.
    assert dinkes["assignees"] == [{"id": world.people["Budi"], "name": "Budi"}]
    assert dinkes["due_at"] == "2099-01-05T16:00:00+07:00"
    assert dinkes["overdue"] is False
    assert dinkes["entries"] == 1

    dlh = cases["DLH"]
    assert (dlh["step"], dlh["step_actor"], dlh["state"]) == (1, "pejabat_pid", "terlambat")
    assert dlh["assignees"] == [{"id": world.people["Rina"], "name": "Rina"}]
    assert dlh["due_at"] == "2026-03-03T16:00:00+07:00"
    assert dlh["overdue"] is True
    assert dlh["entries"] == 0

    dishub = cases["DISHUB"]
    assert (dishub["step"], dishub["step_actor"], dishub["state"]) == (6, None, "selesai")
    assert dishub["assignees"] == [] and dishub["due_at"] is None
    assert dishub["overdue"] is False


def test_status_prints_an_aligned_table_in_indonesian(
    capsys: pytest.CaptureFixture[str], world: World
) -> None:
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Status per ")
    assert (
        lines[2] == f"Putaran {world.round_id}: DIP Semester I 2026 (dibuat 2026-03-02 10.00 WIB)"
    )
    header = lines[3]
    assert header.split() == ["BERKAS", "OPD", "LANGKAH", "PETUGAS", "BATAS", "STATUS", "ENTRI"]
    rows = {line.split()[1]: line for line in lines[4:]}
    assert set(rows) == {"DINKES", "DISHUB", "DLH"}
    at = header.index("PETUGAS")
    assert rows["DINKES"][at:].startswith("Budi ")
    assert "3 PPID Pendukung" in rows["DINKES"] and "2099-01-05 16.00 WIB" in rows["DINKES"]
    assert "langkah 3" in rows["DINKES"]
    assert rows["DLH"][at:].startswith("Rina ") and "terlambat" in rows["DLH"]
    assert "selesai" in rows["DISHUB"]
    assert rows["DINKES"].rstrip().endswith("1")


def test_status_without_rounds_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    assert "Belum ada putaran dokumentasi." in capsys.readouterr().out
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rounds"] == []


def test_status_names_no_one_when_nobody_holds_the_role_of_the_step(
    capsys: pytest.CaptureFixture[str], world: World, settings: Settings
) -> None:
    async def deactivate_rina() -> None:
        async with open_core(settings) as core, core.db.transaction() as uow:
            await uow.users.deactivate(world.people["Rina"], CREATED)
            await uow.commit()

    asyncio.run(deactivate_rina())
    assert main(["status"]) == 0
    dlh = next(line for line in capsys.readouterr().out.splitlines() if " DLH " in line)
    assert "(belum ada petugas)" in dlh
    main(["status", "--json"])
    cases = json.loads(capsys.readouterr().out)["rounds"][0]["cases"]
    assert next(c for c in cases if c["opd"]["code"] == "DLH")["assignees"] == []


def test_status_leaves_out_rounds_closed_long_ago_unless_asked_for_all(
    capsys: pytest.CaptureFixture[str], world: World, settings: Settings
) -> None:
    async def a_round_closed_in_2025() -> int:
        old = datetime(2025, 6, 2, 10, 0, tzinfo=WIB)
        async with open_core(settings) as core, core.db.transaction() as uow:
            round_id = await uow.rounds.add("DIP 2025", world.people["Rina"], old)
            dlh = await uow.opds.by_code("DLH")
            assert dlh is not None
            case_id = await uow.cases.add(round_id, dlh.id, old)
            await uow.cases.move(case_id, 6, None, old)
            assert await uow.rounds.close_if_done(round_id, old)
            await uow.commit()
        return round_id

    old_round = asyncio.run(a_round_closed_in_2025())
    assert main(["status", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)["rounds"]] == [world.round_id]
    assert main(["status", "--json", "--all"]) == 0
    rounds = json.loads(capsys.readouterr().out)["rounds"]
    assert [r["id"] for r in rounds] == [world.round_id, old_round]
    assert [c["state"] for c in rounds[1]["cases"]] == ["selesai"]
    assert main(["status", "--all"]) == 0
    assert "DIP 2025" in capsys.readouterr().out


def test_status_costs_the_same_queries_for_three_cases_or_sixty(
    world: World, settings: Settings
) -> None:
    async def statements(opds: int) -> int:
        async with open_core(settings) as core:
            if opds:
                async with core.db.transaction() as uow:
                    for n in range(opds):
                        await uow.opds.upsert(f"OPD{n:02}", f"Dinas Nomor {n}")
                    round_id = await uow.rounds.add("DIP II", world.people["Rina"], CREATED)
                    for opd in await uow.opds.all():
                        case_id = await uow.cases.add(round_id, opd.id, CREATED)
                        await uow.tasks.open(case_id, 1, CREATED, FAR_AWAY)
                        await uow.entries.add(case_id, ENTRY)
                    await uow.commit()
            seen: list[str] = []
            async with core.db.read() as uow:
                await core.db.trace(seen.append)
                report = await build_status(uow, datetime.now(WIB), WIB)
                await core.db.trace(None)
            assert sum(len(r["cases"]) for r in report["rounds"]) == 3 + (opds + 3 if opds else 0)
            return len(seen)

    assert asyncio.run(statements(0)) == asyncio.run(statements(60)) == 3
