"""Readable rendering of the WhatsApp conversation, for the demo transcript and test diagnostics.

Chronological, naming people by their profile name and the channel, for example::

    Sari (WhatsApp): halo
    PPID Bot → Sari (WhatsApp): Selamat datang!
        [ Setuju ] [ Tolak ]
    Sari (WhatsApp) pressed [ Setuju ]
    PPID Bot → Sari (WhatsApp) ✗ failed 131047: Ada tugas baru

Each entry keeps ``time.monotonic()``, so a demo can merge it with the Telegram transcript.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.fakeapi.whatsapp.models import TranscriptEntry

INDENT = "    "
CHANNEL = "WhatsApp"


def render_entry(entry: TranscriptEntry, bot_name: str) -> str:
    """One entry of the transcript (possibly several lines)."""
    who = f"{entry.person} ({CHANNEL})"
    lines = entry.text.splitlines() or [""]
    if entry.kind == "person":
        if entry.attachment and entry.attachment.startswith(("pressed", "opened")):
            return f"{who} {entry.attachment}"
        head = f"{who}: " + (f"{entry.attachment} " if entry.attachment else "") + lines[0]
        return "\n".join([head.rstrip(), *(INDENT + line for line in lines[1:])])
    if entry.kind == "failed":
        return f"{bot_name} → {who} {entry.attachment}: {lines[0]}".rstrip()
    head = f"{bot_name} → {who}: " + (f"{entry.attachment} " if entry.attachment else "")
    parts = [(head + lines[0]).rstrip(), *(INDENT + line for line in lines[1:])]
    if entry.buttons:
        parts.append(INDENT + " ".join(f"[ {label} ]" for label in entry.buttons))
    if entry.list_button is not None:
        parts.append(f"{INDENT}☰ {entry.list_button}: " + " ".join(f"[ {r} ]" for r in entry.rows))
    return "\n".join(parts)


def render_transcript(entries: Iterable[TranscriptEntry], bot_name: str) -> str:
    """The whole WhatsApp conversation, one entry after the other."""
    return "\n".join(render_entry(entry, bot_name) for entry in entries)
