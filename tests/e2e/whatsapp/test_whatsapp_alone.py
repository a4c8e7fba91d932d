"""`python -m bot run` with WhatsApp alone (no Telegram token): the bot as a process, its webhook
fed by the fake Cloud API, invitations made on the command line as wa.me links."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.fakeapi.whatsapp import FakeWhatsApp
from bot.fakeapi.whatsapp.harness import approve_bot_templates, free_port
from tests.e2e.processes import bot_process, eventually
from tests.e2e.whatsapp.conftest import VERIFY_TOKEN


def whatsapp_env(wa: FakeWhatsApp, data_dir: Path, home: Path, port: int) -> dict[str, str]:
    """Exactly the environment of a bot on WhatsApp alone."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
        "PPID_DATA_DIR": str(data_dir),
        **wa.environment(VERIFY_TOKEN),
        "PPID_WEBHOOK_PORT": str(port),
    }


async def cli(env: dict[str, str], cwd: Path, *argv: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def test_the_bot_runs_on_whatsapp_alone_and_a_person_joins_from_the_wa_me_link(
    tmp_path: Path,
) -> None:
    async with FakeWhatsApp() as wa:
        approve_bot_templates(wa)
        port = free_port()
        env = whatsapp_env(wa, tmp_path / "data", tmp_path, port)
        await cli(env, tmp_path, "opd", "import", "--builtin")
        printed = await cli(env, tmp_path, "invite", "--role", "ppid_utama", "--name", "Ibu Rina")
        (link,) = [line for line in printed.splitlines() if line.startswith("https://")]
        assert link.startswith(f"https://wa.me/{wa.number}?text=")
        sentence = parse_qs(urlsplit(link).query)["text"][0]

        async with bot_process(env, cwd=tmp_path, log=tmp_path / "bot.log") as bot:

            async def listening() -> bool | None:
                try:
                    await wa.deliver_to(f"http://127.0.0.1:{port}/whatsapp",
                                        verify_token=VERIFY_TOKEN)  # fmt: skip
                except Exception:  # not listening yet
                    return None
                return True

            await eventually(listening, "the bot's webhook", timeout=30, context=bot.log)
            rina = wa.person("6281234567050", "Rina")
            await rina.send(sentence)  # what the link typed for her
            joined = await rina.next_message()
            assert "Selamat bergabung, Ibu Rina" in joined.text
            await rina.send("Tugas")
            assert (await rina.next_message()).text
            assert await bot.terminate() == 0, bot.log()
        assert "Traceback" not in bot.log(), bot.log()
