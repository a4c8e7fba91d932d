"""The fitter: one screen (a handler's `Reply`) shaped to what one chat app can show.

Handlers do not know the limits of the chat app a person uses; each adapter passes every screen
through `fit` with its channel's `Capabilities` and sends the messages that come out:

* the text is split only at safe boundaries (between lines, else words; never inside a tag or an
  entity) into messages the channel takes, the last one short enough to carry actions;
* actions stay as they are where they fit (Telegram's keyboard keeps its rows); else they become
  reply buttons (up to `max_actions`), a list (up to `max_list_rows`), or, beyond that, further
  list messages ("Pilihan lainnya 2/3"), so that every action stays one tap away without state
  kept on the server;
* labels are shortened to the channel's length and kept unique and readable;
* a screen that replaces the pressed one is sent anew where the channel cannot edit.

`problems` says what in a fitted message breaks a channel's limits; the every-screen test holds
every screen of the bot to it for Telegram's and WhatsApp's capabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.channels.base import Button, Picker, Reply
from bot.channels.html import split_html, utf16_len
from bot.channels.markup import escape, to_html, to_whatsapp
from bot.channels.port import Capabilities
from bot.texts import t

ELLIPSIS = "…"


@dataclass(frozen=True)
class Fitted:
    """One message as a channel shows it: text in the channel's markup, its actions (rows of
    buttons, or the rows of one list), and whether it replaces the message that was pressed."""

    text: str
    rows: tuple[tuple[Button, ...], ...] = ()
    as_list: bool = False
    replaces: bool = False

    @property
    def actions(self) -> list[Button]:
        return [b for row in self.rows for b in row]


def fit(reply: Reply, caps: Capabilities) -> list[Fitted]:
    """The messages that show `reply` on a channel with `caps`, in order."""
    if reply.picker is not None:
        reply = _with_picker(reply, reply.picker, caps)
    actions = [b for row in reply.buttons for b in row]
    text = markup(reply.text, caps)
    if not actions:
        return [Fitted(part) for part in _split(text, caps.max_text, caps)]
    if len(actions) <= caps.max_actions and caps.max_list_rows == 0:
        # A keyboard of rows (Telegram): the rows stay as the handler grouped them.
        labelled = iter(_labelled(actions, caps.max_label))
        rows = tuple(tuple(next(labelled) for _ in row) for row in reply.buttons if row)
        return _with_text(text, caps, rows, as_list=False, replaces=reply.supersedes and caps.edits)
    if len(actions) <= caps.max_actions:
        rows = (tuple(_labelled(actions, caps.max_label)),)
        return _with_text(text, caps, rows, as_list=False, replaces=reply.supersedes and caps.edits)
    page = caps.max_list_rows or caps.max_actions
    pages = [actions[at : at + page] for at in range(0, len(actions), page)]
    as_list = caps.max_list_rows > 0
    limit = caps.max_row_label if as_list else caps.max_label
    first, *rest = [tuple((b,) for b in _labelled(chunk, limit)) for chunk in pages]
    messages = _with_text(text, caps, first, as_list=as_list, replaces=False)
    for number, rows in enumerate(rest, start=2):
        more = markup(t("fit-more-actions", page=number, pages=len(pages)), caps)
        messages.append(Fitted(more, rows, as_list=as_list))
    return messages


CHOSEN, NOT_CHOSEN = "☑️", "⬜"


def _with_picker(reply: Reply, picker: Picker, caps: Capabilities) -> Reply:
    """The screen with its picker as the channel shows it: toggle buttons where a message can be
    replaced, else numbered lines to answer with numbers (and each chosen choice's own action
    among the buttons)."""
    marks = [f"{CHOSEN if c.chosen else NOT_CHOSEN} {c.label}" for c in picker.choices]
    if caps.edits:
        rows: list[list[Button]] = []
        for at in range(0, len(picker.choices), picker.columns):
            row = []
            for choice, mark in zip(picker.choices[at : at + picker.columns],
                                    marks[at : at + picker.columns], strict=True):  # fmt: skip
                row.append(Button(mark, choice.data))
                if choice.extra is not None:
                    row.append(choice.extra)
            rows.append(row)
        return replace(reply, picker=None, buttons=[*rows, *reply.buttons])
    lines = [f"{n}. {escape(mark)}" for n, mark in enumerate(marks, start=1)]
    hint = t("picker-hint")
    extras = [[c.extra] for c in picker.choices if c.extra is not None]
    return replace(reply, picker=None, text="\n".join([reply.text, "", *lines, "", hint]),
                   buttons=[*extras, *reply.buttons])  # fmt: skip


def _with_text(
    text: str, caps: Capabilities, rows: tuple[tuple[Button, ...], ...], *, as_list: bool,
    replaces: bool,
) -> list[Fitted]:  # fmt: skip
    """The text's messages, the actions on the last one (whose text must be short enough)."""
    parts = _split(text, caps.max_text, caps)
    last = _split(parts.pop(), caps.max_text_with_actions, caps)
    parts += last
    *head, tail = parts
    if replaces and head:
        replaces = False  # several messages cannot replace one
    return [*(Fitted(p) for p in head), Fitted(tail, rows, as_list=as_list, replaces=replaces)]


def _split(text: str, limit: int, caps: Capabilities) -> list[str]:
    if caps.markup == "html":
        return split_html(text, limit)
    return _split_plain(text, limit)


def _split_plain(text: str, limit: int) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units, cut after a line break, else after a
    space, else between characters."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        window = _head(rest, limit)
        cut = window.rfind("\n") + 1 or window.rfind(" ") + 1 or len(window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:]
    parts.append(rest)
    return [p for p in parts if p] or [""]


def _head(text: str, limit: int) -> str:
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


def _labelled(buttons: list[Button] | tuple[Button, ...], limit: int) -> list[Button]:
    """`buttons` with labels of at most `limit` characters, still unique: a shortened label
    keeps its start and ends with "…"; labels that then collide get their place number."""
    short = [_shorten(b.label, limit) for b in buttons]
    seen: dict[str, int] = {}
    for label in short:
        seen[label] = seen.get(label, 0) + 1
    out: list[Button] = []
    for number, (b, label) in enumerate(zip(buttons, short, strict=True), start=1):
        if seen[label] > 1:
            suffix = f" {number}"
            label = _shorten(b.label, limit - len(suffix)) + suffix
        out.append(Button(label=label, data=b.data))
    return out


def _shorten(label: str, limit: int) -> str:
    """A label in `limit` characters, saying as much as it can: as it is; else without its
    leading symbol ("📤 Kirim ke PPID Utama" says what "Kirim ke PPID Utama" says); else its
    first clause ("✅ Setujui semua, teruskan ke Pejabat PID" -> "✅ Setujui semua"); else cut
    after a whole word, ending with "…"."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    head, _, rest = label.partition(" ")
    symbol = bool(rest) and not any(c.isalnum() for c in head)
    if symbol and len(rest) <= limit:
        return rest
    for mark in (", ", " — ", " ("):
        clause = label.split(mark, 1)[0]
        if clause != label and len(clause) <= limit and (not symbol or clause != head):
            return clause
    cut = label[: max(limit - 1, 1)]
    if " " in cut.strip():
        words = cut.rsplit(" ", 1)[0].rstrip(" ,")
        if len(words) >= limit // 2:
            cut = words
    return cut.rstrip() + ELLIPSIS


def markup(text: str, caps: Capabilities) -> str:
    """The neutral markup (`bot.channels.markup`) written as the channel writes it."""
    return to_html(text) if caps.markup == "html" else to_whatsapp(text)


def problems(message: Fitted, caps: Capabilities) -> list[str]:
    """What in `message` a channel with `caps` would refuse or garble (empty: it fits)."""
    found: list[str] = []
    actions = message.actions
    text_limit = caps.max_text_with_actions if actions else caps.max_text
    if utf16_len(message.text) > text_limit:
        found.append(f"text of {utf16_len(message.text)} > {text_limit}")
    if message.as_list:
        if len(actions) > caps.max_list_rows:
            found.append(f"{len(actions)} list rows > {caps.max_list_rows}")
        label_limit = caps.max_row_label
    else:
        if len(actions) > caps.max_actions:
            found.append(f"{len(actions)} actions > {caps.max_actions}")
        label_limit = caps.max_label
    labels = [b.label for b in actions]
    found += [f"label {x!r} > {label_limit}" for x in labels if len(x) > label_limit]
    if len(set(labels)) != len(labels):
        found.append(f"labels repeat: {labels}")
    found += [
        f"data {b.data!r} > {caps.max_data} bytes"
        for b in actions
        if len(b.data.encode()) > caps.max_data
    ]
    if message.replaces and not caps.edits:
        found.append("an edit on a channel that cannot edit")
    return found
