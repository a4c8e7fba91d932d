"""deploy/ppid-bot.service passes `systemd-analyze verify`, and keeps its hardening."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "ppid-bot.service"
HOME = "/srv/ppid-bot"


def test_the_unit_keeps_its_hardening() -> None:
    text = UNIT.read_text(encoding="utf-8")
    for line in ("User=ppid-bot", "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "ReadWritePaths=/srv/ppid-bot/data /srv/ppid-bot/backups",
                 "Restart=on-failure", "RestartPreventExitStatus=2", "ProtectHome=yes",
                 "PrivateTmp=yes", "CapabilityBoundingSet="):  # fmt: skip
        assert f"\n{line}\n" in text, line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_the_service_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify also checks that ExecStart's program exists: point the unit at a stand-in.
    home = tmp_path / "srv"
    python = home / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\nexit 0\n")
    python.chmod(0o755)
    unit = tmp_path / "ppid-bot.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(HOME, str(home)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # Unknown keys or wrong sections are only warned about: the unit must have none.
    assert done.stderr.strip() == "" and done.stdout.strip() == ""
