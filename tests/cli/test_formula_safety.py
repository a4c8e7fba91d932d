"""Files the command line writes never carry a formula planted in a name or a title."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.bootstrap import make_ctx, open_core
from bot.cli import main
from bot.config import Settings
from bot.services import cases, drafting, opd_work, review
from bot.sop import Role
from storage.files import FileStore

WIB = ZoneInfo("Asia/Pontianak")
AT = datetime(2027, 3, 1, 9, 0, tzinfo=WIB)
PLANTED = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


async def _exempt_entry_of_a_planted_opd(settings: Settings) -> None:
    """An OPD named `=1+1` whose entry titled `=HYPERLINK(...)` is approved as exempt."""
    async with open_core(settings) as core:
        async with core.db.transaction() as uow:
            await uow.opds.upsert("X", "=1+1")
            opd = await uow.opds.by_code("X")
            assert opd is not None
            ids = {}
            for name, role, opd_id in (("Andi", Role.PEJABAT, None), ("Rina", Role.UTAMA, None),
                                       ("Sari", Role.PENDUKUNG, opd.id)):  # fmt: skip
                ids[name] = await uow.users.add(
                    name=name, role=role, opd_id=opd_id, channel="telegram",
                    external_id=name, chat_id=name, now=AT,
                )  # fmt: skip
            await uow.commit()
        async with core.db.read() as uow:
            andi, rina, sari = [await uow.users.get(ids[n]) for n in ("Andi", "Rina", "Sari")]
        assert andi and rina and sari
        ctx = make_ctx(settings=settings, db=core.db, calendar=core.calendar,
                  files=FileStore(settings.documents_dir), clock=lambda: AT)  # fmt: skip
        (view,) = await cases.create_round(ctx, andi, "@round", [opd.id])
        case_id = view.case.id
        entry = await drafting.add_entry(ctx, andi, case_id, '=HYPERLINK("http://x")', "Isi", 0)
        await drafting.send_to_utama(
            ctx, andi, case_id, (await cases.view(ctx, case_id)).case.version
        )
        await review.approve_step2(
            ctx, rina, case_id, (await cases.view(ctx, case_id)).case.version
        )
        await opd_work.propose_exempt(ctx, sari, entry.id, "-UK/01", date(2030, 12, 31))
        await opd_work.send_to_utama(
            ctx, sari, case_id, (await cases.view(ctx, case_id)).case.version
        )
        await review.approve_step4(
            ctx, rina, case_id, (await cases.view(ctx, case_id)).case.version
        )


def _no_formula(value: object) -> bool:
    return not (isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"))


def test_export_exempt_and_the_monthly_report_write_no_formula(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_exempt_entry_of_a_planted_opd(Settings(data_dir=tmp_path / "data")))
    out = tmp_path / "exempt.csv"
    assert main(["export", "exempt", "--out", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1][1:6] == ["'=1+1", "'@round", "1", '\'=HYPERLINK("http://x")', "'-UK/01"]
    assert all(_no_formula(cell) for row in rows for cell in row)

    report = tmp_path / "laporan.xlsx"
    assert main(["report", "--month", "2027-03", "--out", str(report)]) == 0
    book = openpyxl.load_workbook(report)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert "'=1+1" in [c.value for c in cells]
    assert all(c.data_type != "f" and _no_formula(c.value) for c in cells)


@pytest.mark.parametrize("planted", PLANTED)
def test_the_one_defuser_quotes_every_formula_start(planted: str) -> None:
    from bot.untrusted import defuse_formula

    assert defuse_formula(planted) == "'" + planted
    assert defuse_formula("Laporan " + planted) == "Laporan " + planted
