"""Indonesian dates and deadlines as people read them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.formatting import deadline, instant, short_date, show_in

WIB = ZoneInfo("Asia/Pontianak")


def test_a_deadline_reads_as_in_the_domain_guide() -> None:
    due = datetime(2027, 3, 2, 16, 0, tzinfo=WIB)
    assert deadline(due) == "paling lambat Selasa, 2 Maret 2027 pukul 16.00 WIB"


def test_times_are_shown_in_the_office_zone_whatever_zone_they_carry() -> None:
    assert instant(datetime(2026, 11, 27, 16, 30, tzinfo=WIB)) == (
        "Jumat, 27 November 2026 pukul 16.30 WIB"
    )
    makassar = datetime(2026, 11, 27, 8, 0, tzinfo=ZoneInfo("Asia/Makassar"))
    assert instant(makassar) == "Jumat, 27 November 2026 pukul 07.00 WIB"  # the office's zone
    show_in(ZoneInfo("Asia/Makassar"))  # an office in Makassar (PPID_TIMEZONE)
    try:
        assert instant(makassar).endswith("08.00 WITA")
        assert instant(datetime(2026, 11, 27, 0, 0, tzinfo=UTC)).endswith("08.00 WITA")
    finally:
        show_in(WIB)


def test_short_dates_fit_a_phone_line() -> None:
    assert short_date(datetime(2026, 8, 17).date()) == "17 Agu 2026"
