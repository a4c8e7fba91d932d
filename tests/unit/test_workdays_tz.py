"""bot.workdays gives the same answers whatever the machine's time zone (TZ) is.

The DOMAIN.md examples run in a fresh interpreter with `TZ=UTC` and `TZ=America/New_York`;
each prints the machine's UTC offset (to prove TZ took effect) and then its results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from bot.workdays import Calendar

wib = ZoneInfo("Asia/Pontianak")
cal = Calendar()
cases = [
    ("2027-03-01T10:00", 1),
    ("2027-02-26T15:00", 1),
    ("2027-02-27T09:00", 1),
    ("2026-03-17T10:00", 1),
    ("2026-12-23T10:00", 1),
    ("2026-03-16T10:00", 10),
]
dues = [cal.due(datetime.fromisoformat(s).replace(tzinfo=wib), n).isoformat() for s, n in cases]
utc_start = datetime(2026, 3, 16, 23, 30, tzinfo=timezone.utc)
extra = {
    "utc_start_due": cal.due(utc_start, 1).isoformat(),
    "utc_start_local_date": cal.local(utc_start).date().isoformat(),
    "office_instant": cal.office_instant(
        datetime(2027, 2, 28, 18, 0, tzinfo=timezone.utc)
    ).isoformat(),
    "before_due": cal.before_due(datetime(2027, 3, 1, 16, 0, tzinfo=wib), 10).isoformat(),
    "between": cal.office_time_between(
        datetime(2027, 2, 26, 9, 0, tzinfo=timezone.utc),
        datetime(2027, 3, 1, 1, 0, tzinfo=timezone.utc),
    ).total_seconds(),
}
print(json.dumps({"machine_offset": -time.timezone, "dues": dues, **extra}))
"""

EXPECTED = {
    "dues": [
        "2027-03-02T16:00:00+07:00",
        "2027-03-01T16:00:00+07:00",
        "2027-03-01T16:00:00+07:00",
        "2026-03-25T16:00:00+07:00",
        "2026-12-28T16:00:00+07:00",
        "2026-04-07T16:00:00+07:00",
    ],
    "utc_start_due": "2026-03-25T16:00:00+07:00",
    "utc_start_local_date": "2026-03-17",
    "office_instant": "2027-03-01T07:30:00+07:00",
    "before_due": "2027-02-26T15:00:00+07:00",
    "between": 3600.0,  # Fri 16:00-16:30 WIB plus Mon 07:30-08:00 WIB
}


@pytest.mark.parametrize(
    ("machine_tz", "offset"),
    [("UTC", 0), ("America/New_York", -5 * 3600)],
)
def test_domain_examples_do_not_depend_on_the_machine_time_zone(
    machine_tz: str, offset: int
) -> None:
    env = {**os.environ, "TZ": machine_tz}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result.pop("machine_offset") == offset
    assert result == EXPECTED
