"""Text that people type or files carry: cleaned of what a reader cannot see on the way in, and
defused on the way out into files that spreadsheet programs open.

Bidirectional controls (U+202E turns "laporanfdp.exe" into "laporanexe.pdf" on screen), zero-width
characters and other control or format characters change what a text looks like, or make two equal-
looking texts differ, without being visible. They are removed from every chat input (the router
calls `strip_invisible` once for each event) and from every imported cell (`clean_text` of the
spreadsheet reader builds on it). White space (line breaks, tabs) stays: it is visible.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final


def invisible(char: str) -> bool:
    """Whether `char` is a control (other than white space: line break, tab ...), format (bidi controls such as
    U+202A-U+202E and U+2066-U+2069, zero-width U+200B-U+200F, U+2060, U+FEFF ...), surrogate,
    private-use or unassigned character."""
    return unicodedata.category(char)[0] == "C" and not char.isspace()


def strip_invisible(text: str) -> str:
    """`text` without its invisible characters (see `invisible`); a line break for a CR LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isprintable():  # the common case, checked in C
        return text
    return "".join(char for char in text if not invisible(char))


FORMULA_START: Final = re.compile(r"'*[=+\-@\t\r]")
"""Text a spreadsheet program would run as a formula (behind any apostrophes already there)."""


def defuse_formula(text: str) -> str:
    """Text for a cell of a file the project writes (CSV, a report workbook): what a spreadsheet
    program would run as a formula (`=`, `+`, `-`, `@`, tab or CR first) gets an apostrophe in
    front, so it shows as text. The one rule for every file written; the CSV reader of the import
    removes the apostrophe again (the xlsx export, read back by the import, also types its cells
    as text)."""
    return "'" + text if FORMULA_START.match(text) else text


_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")


def nesting_within(body: bytes, limit: int) -> bool:
    """Whether the JSON text `body` nests arrays and objects at most `limit` deep; a loop, not
    recursion, so any depth is measured safely (brackets inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return True  # the usual update: too few brackets to nest deeper
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return False
        elif byte in _CLOSERS:
            depth -= 1
    return True
