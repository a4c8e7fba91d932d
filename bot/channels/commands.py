"""The bot's commands, and how a typed text names one: `/tugas` on every channel, and the bare
word (`tugas`, `Menu`) where a chat app has no command menu (WhatsApp)."""

from __future__ import annotations

COMMANDS = (
    "tugas", "status", "bantuan", "batal", "menu", "templat", "ekspor", "laporan", "pindah",
)  # fmt: skip
"""The commands a person may type, in the order of Telegram's command menu."""

ALIASES = {"help": "bantuan", "cancel": "batal", "mulai": "start"}


def command_of(text: str) -> tuple[str, str] | None:
    """The command a typed text names, and what follows it; None for other words.

    `/laporan 2027-03` is a command with its arguments; a bare word is one only when it stands
    alone (`Tugas`, `menu`): a title typed in answer to a question may well begin with
    "Laporan" or "Status", and must reach the question, not open a command."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return None
    head = words[0].lower()
    slash = head.startswith("/")
    if not slash and len(words) > 1:
        return None
    name = ALIASES.get(head.removeprefix("/"), head.removeprefix("/"))
    if name not in COMMANDS and name != "start":
        return None
    return name, words[1] if len(words) > 1 else ""
