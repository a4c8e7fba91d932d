"""The bounds of reading a spreadsheet: a run of empty rows ends the table, and the work runs in
a child process that is stopped at its deadline or its memory budget (bot/heavy.py)."""

from __future__ import annotations

import io
import pickle
import time
import zipfile

import openpyxl
import pytest

from bot import heavy
from bot.spreadsheets import SpreadsheetRefused, parse, template_xlsx
from bot.spreadsheets.common import MAX_BLANK_RUN, MAX_BYTES


def blank_rows_xlsx(rows: list[list[str]], blank: int, then: list[str] | None = None) -> bytes:
    """The DIP template with these rows, then `blank` rows whose only cell is styled but empty
    (as Excel leaves them after formatting a whole column), then optionally one more row."""
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = book["DIP"]
    for i, row in enumerate(rows, start=1):
        sheet.append([i, *row])
    out = io.BytesIO()
    book.save(out)
    first = len(rows) + 2
    filler = "".join(f'<row r="{r}"><c r="B{r}" s="1"/></row>' for r in range(first, first + blank))
    if then is not None:
        r = first + blank
        cells = "".join(
            f'<c r="{c}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in zip("BCD", then, strict=True)
        )
        filler += f'<row r="{r}">{cells}</row>'
    result = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(out.getvalue())) as src,
        zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", filler.encode() + b"</sheetData>")
            dst.writestr(name, data)
    return result.getvalue()


def test_a_run_of_empty_rows_ends_the_table_and_says_where_reading_stopped() -> None:
    data = blank_rows_xlsx([["A", "B", "berkala"]], MAX_BLANK_RUN + 100, ["C", "D", "berkala"])
    result = parse(data, "dip.xlsx")
    assert [r.fields["title"] for r in result.rows] == ["A"]
    assert result.stopped_at == 2 + MAX_BLANK_RUN + 1  # header, one row, the empty run


def test_empty_rows_shorter_than_the_run_are_skipped_and_reading_goes_on() -> None:
    data = blank_rows_xlsx([["A", "B", "berkala"]], MAX_BLANK_RUN - 1, ["C", "D", "berkala"])
    result = parse(data, "dip.xlsx")
    assert [r.fields["title"] for r in result.rows] == ["A", "C"]
    assert result.stopped_at is None and result.skipped_empty == MAX_BLANK_RUN - 1


def test_a_sheet_of_a_million_empty_rows_within_the_size_limit_is_read_to_its_one_data_row() -> (
    None
):
    data = blank_rows_xlsx([["A", "B", "berkala"]], 1_000_000)
    assert len(data) <= MAX_BYTES  # an accepted file: only the empty run stops it being read
    result = parse(data, "dip.xlsx")
    assert [r.fields["title"] for r in result.rows] == ["A"] and result.stopped_at is not None


def test_a_refusal_crosses_the_process_boundary_with_its_reason() -> None:
    refusal = SpreadsheetRefused("too_big", "Berkas terlalu besar.")
    copy = pickle.loads(pickle.dumps(refusal))
    assert (copy.key, copy.message) == ("too_big", "Berkas terlalu besar.")


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _hog(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def _fail() -> None:
    raise SpreadsheetRefused("no_header", "Baris judul kolom tidak ditemukan.")


async def test_heavy_work_returns_its_result_or_raises_its_exception() -> None:
    assert await heavy.run(_sleep, 0) == "done"
    with pytest.raises(SpreadsheetRefused) as raised:
        await heavy.run(_fail)
    assert raised.value.key == "no_header"


async def test_heavy_work_past_its_deadline_is_stopped() -> None:
    with pytest.raises(heavy.WorkTooLong):
        await heavy.run(_sleep, 60, timeout=0.5)


async def test_heavy_work_past_its_memory_budget_is_stopped() -> None:
    with pytest.raises(heavy.WorkTooBig):
        await heavy.run(_hog, 512, memory=64 * 1024 * 1024)
    assert await heavy.run(_hog, 16, memory=64 * 1024 * 1024) == 16 * 1024 * 1024
