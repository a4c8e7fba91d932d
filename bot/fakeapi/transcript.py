"""Readable rendering of what happened in the fake Telegram: the demo transcript and test diagnostics.

The transcript is chronological and names people by their first name, for example::

    Sari: /start
    PPID Bot → Sari: Selamat datang!
        [ Setuju ] [ Tolak ]
    Sari pressed [ Setuju ]
    PPID Bot → Sari (toast): Tersimpan
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.fakeapi.models import ChatMessage, FakeFile, TranscriptEntry

INDENT = "    "


def human_size(size: int) -> str:
    """A file size for people: ``512 B``, ``12.3 KB``, ``4.0 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def describe_file(file: FakeFile) -> str:
    """``📎 laporan.pdf (12.3 KB, application/pdf)`` or ``🖼 photo 800x600 (40.0 KB)``."""
    if file.kind == "photo":
        return f"🖼 photo {file.width}x{file.height} ({human_size(file.size)})"
    details = human_size(file.size) + (f", {file.mime_type}" if file.mime_type else "")
    return f"📎 {file.filename or 'file'} ({details})"


def render_buttons(rows: Iterable[Iterable[str]]) -> list[str]:
    """One line per keyboard row: ``[ Setuju ] [ Tolak ]``."""
    return [" ".join(f"[ {label} ]" for label in row) for row in rows]


def _indented(text: str) -> list[str]:
    return [INDENT + line for line in text.splitlines()]


def _body(head: str, text: str, file: FakeFile | None, buttons: Sequence[Sequence[str]]) -> str:
    """``head: first line`` followed by indented further lines, file and buttons."""
    lines = text.splitlines() or [""]
    parts: list[str] = []
    if file is not None:
        parts.append(f"{head}: {describe_file(file)}")
        parts.extend(_indented(text))
    else:
        parts.append(f"{head}: {lines[0]}".rstrip())
        parts.extend(INDENT + line for line in lines[1:])
    parts.extend(INDENT + line for line in render_buttons(buttons))
    return "\n".join(parts)


def render_entry(entry: TranscriptEntry, bot_name: str) -> str:
    """One entry of the transcript (possibly several lines)."""
    where = "" if entry.is_private else f" in {entry.chat_name}"
    to = entry.chat_name
    if entry.kind == "user_text":
        return _body(f"{entry.actor}{where}", entry.text, None, ())
    if entry.kind == "user_file":
        return _body(f"{entry.actor}{where}", entry.text, entry.file, ())
    if entry.kind == "user_edit":
        return _body(f"{entry.actor}{where} (edited #{entry.message_id})", entry.text, None, ())
    if entry.kind == "press":
        if entry.buttons:
            return f"{entry.actor}{where} pressed {render_buttons(entry.buttons)[0]}"
        return f"{entry.actor}{where} sent button data {entry.text!r} (no such button)"
    if entry.kind == "block":
        return f"{entry.actor} blocked {bot_name}"
    if entry.kind == "unblock":
        return f"{entry.actor} unblocked {bot_name}"
    if entry.kind == "bot_send":
        return _body(f"{bot_name} → {to}", entry.text, entry.file, entry.buttons)
    if entry.kind == "bot_edit":
        head = f"{bot_name} → {to} (edited #{entry.message_id})"
        return _body(head, entry.text, entry.file, entry.buttons)
    if entry.kind == "bot_markup":
        head = f"{bot_name} → {to} (buttons of #{entry.message_id})"
        if not entry.buttons:
            return f"{head}: removed"
        return "\n".join([f"{head}:", *(INDENT + line for line in render_buttons(entry.buttons))])
    if entry.kind == "bot_delete":
        return f"{bot_name} → {to}: deleted #{entry.message_id}"
    kind = "alert" if entry.alert else "toast"
    return _body(f"{bot_name} → {to} ({kind})", entry.text, None, ())


def render_transcript(entries: Iterable[TranscriptEntry], bot_name: str) -> str:
    """The whole conversation, one entry after the other."""
    return "\n".join(render_entry(entry, bot_name) for entry in entries)


def render_history(messages: Sequence[ChatMessage], *, last: int = 12) -> str:
    """The last messages of a chat, both directions, for assertion messages."""
    if not messages:
        return "    (no messages)"
    lines: list[str] = []
    for message in messages[-last:]:
        who = "bot" if message.from_bot else message.sender.first_name
        flags = "".join(
            [" (deleted)" if message.deleted else "", " (edited)" if message.edited else ""]
        )
        head = f"#{message.message_id} {who}{flags}"
        body = _body(head, message.text, message.file, message.buttons)
        lines.extend(INDENT + line for line in body.splitlines())
    return "\n".join(lines)
