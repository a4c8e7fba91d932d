"""Large spreadsheets in the chat: read once, in a child process, within bounds; the person is
told in Indonesian when a file cannot be read in time."""

from __future__ import annotations

from typing import Any

import pytest

from bot import heavy
from bot.fakeapi import flows
from bot.services import cases, exports
from bot.spreadsheets import parse
from bot.spreadsheets.common import MAX_BLANK_RUN
from tests.e2e.conftest import Harness
from tests.e2e.test_spreadsheets_chat import step1
from tests.unit.test_spreadsheet_limits import blank_rows_xlsx


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the bot parsed, one item per parse."""
    calls: list[str] = []
    run = heavy.run

    async def counting(fn: Any, *args: Any, **kw: Any) -> Any:
        if fn is parse:
            calls.append(args[1])
        return await run(fn, *args, **kw)

    monkeypatch.setattr(heavy, "run", counting)
    return calls


async def test_a_million_empty_rows_are_not_read_and_the_upload_is_parsed_only_once(
    harness: Harness, parses: list[str]
) -> None:
    case_id, andi = await step1(harness)
    data = blank_rows_xlsx([["Laporan Keuangan 2026", "LKPD", "berkala"]], 1_000_000)
    await flows.attach_draft(andi, "dip-besar.xlsx", data)
    offer = await andi.wait_for_text("1 baris siap diimpor", timeout=60)
    assert f"Pembacaan berhenti di baris {3 + MAX_BLANK_RUN}" in offer.text
    await andi.press("📥 Impor 1 baris yang valid")
    await andi.wait_for_text("1 entri diimpor")
    assert [e.title for e in (await cases.view(harness.ctx, case_id)).entries] == [
        "Laporan Keuangan 2026"
    ]
    assert parses == ["dip-besar.xlsx"]  # before: read again when "import" was pressed


async def test_a_sheet_that_takes_too_long_to_read_is_refused_with_a_clear_answer(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, andi = await step1(harness)
    # A deadline no file can meet stands in for a file that takes minutes to read.
    monkeypatch.setattr(exports, "PARSE_TIMEOUT_S", 0.0)
    data = blank_rows_xlsx([["Laporan Keuangan 2026", "LKPD", "berkala"]], 10)
    await flows.attach_draft(andi, "dip.xlsx", data)
    refused = await andi.wait_for_text("tidak dapat diimpor", timeout=30)
    assert "Berkas terlalu lama dibaca" in refused.text
    assert (await cases.view(harness.ctx, case_id)).entries == []
