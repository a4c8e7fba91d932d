"""The data check of a received document: its text extracted (PDF, DOCX, XLSX, CSV, OpenDocument,
plain text) and searched for personal data (`bot.personal_data`), with an honest outcome: what was
found (counts and places, never the numbers), or why the document could not be checked.

`check_file` runs in a child process (`bot.heavy`): a PDF that makes the extractor loop or grow is
killed at the hard limits there. Within them, the check keeps a softer budget of its own (time,
characters of text) and stops between pages, so that a large document is checked as far as the
budget goes and says how far that was, instead of not at all.
"""

from __future__ import annotations

import csv
import io
import logging
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final
from xml.etree import ElementTree

from openpyxl import load_workbook
from pypdf import PdfReader

from bot.personal_data import DataCheck, find

CHECKED_EXTENSIONS: Final = frozenset({"pdf", "docx", "xlsx", "csv", "odt", "ods", "txt"})
SOFT_SECONDS: Final = 20.0  # then stop between pages; bot.heavy kills the child at its hard limit
MAX_TEXT_CHARS: Final = 40_000_000  # about 10,000 dense pages; more is checked only that far
MAX_PART_BYTES: Final = 200 * 1024 * 1024  # an XML part of a DOCX/XLSX larger than this: a bomb
EOF_WINDOW: Final = 64 * 1024  # where a PDF's %%EOF must be (the spec says the last 1024 bytes)

log = logging.getLogger(__name__)
# pypdf logs every oddity of a damaged file as a warning, from the child, on the bot's stderr; the
# outcome ("unreadable", textless pages) already says what matters.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)


class _Budget:
    def __init__(self, seconds: float, chars: int) -> None:
        self.until = time.monotonic() + seconds
        self.chars = chars

    def spend(self, text: str) -> bool:
        """Count `text` against the budget; False once the budget is spent."""
        self.chars -= len(text)
        return self.chars >= 0 and time.monotonic() < self.until


def _outcome(parts: Sequence[tuple[int | None, str]], unit: str | None, **kw: Any) -> DataCheck:
    finding = find(parts)
    return DataCheck(counts=finding.counts, places=finding.places, unit=unit, **kw)


def _has_eof_marker(path: Path) -> bool:
    """Whether the file ends like a PDF (`%%EOF` near its end). Without it pypdf rebuilds the
    cross-reference table by scanning every byte: seconds for 20 MB of junk, for nothing."""
    with path.open("rb") as stream:
        stream.seek(max(0, path.stat().st_size - EOF_WINDOW))
        return b"%%EOF" in stream.read()


def _pdf(path: Path, budget: _Budget) -> DataCheck:
    if not _has_eof_marker(path):
        return DataCheck(unchecked="unreadable", unit="page")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return DataCheck(unchecked="encrypted", unit="page")
        total = len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds on damaged files; none may stop the upload
        return _pdf_error(exc)
    parts: list[tuple[int | None, str]] = []
    textless: list[int] = []
    done = 0
    for number in range(1, total + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except Exception:  # a damaged page is skipped, and said so
            text = ""
        done = number
        if not text.strip():
            textless.append(number)
        else:
            parts.append((number, text))
        if not budget.spend(text):
            break
    if not total:
        return DataCheck(unchecked="unreadable", unit="page")
    if not parts:
        return DataCheck(unchecked="no_text", unit="page", total=total)
    return _outcome(parts, "page", partial=done < total, done=done, total=total,
                    textless=textless)  # fmt: skip


def _pdf_error(exc: Exception) -> DataCheck:
    # pypdf says "encrypt" in what it raises for a file it cannot decrypt (missing AES support).
    if "encrypt" in str(exc).lower() or "decrypt" in str(exc).lower():
        return DataCheck(unchecked="encrypted", unit="page")
    log.info("PDF not readable for the data check: %s", type(exc).__name__)
    return DataCheck(unchecked="unreadable", unit="page")


def _paragraphs(stream: Any) -> Iterator[str]:
    """The text of an XML part (Office Open XML or OpenDocument), a paragraph a line: each
    paragraph is joined when it ends, then dropped, so memory stays one paragraph deep."""
    for _event, elem in ElementTree.iterparse(stream, events=("end",)):
        if elem.tag.rsplit("}", 1)[-1] in ("p", "h"):
            yield "".join(elem.itertext()) + "\n"
            elem.clear()


def _docx(path: Path, budget: _Budget, odf: bool = False) -> DataCheck:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            wanted = (
                ["content.xml"]
                if odf
                else [
                    n
                    for n in names
                    if n == "word/document.xml"
                    or n.startswith(("word/header", "word/footer", "word/footnotes"))
                ]
            )
            infos = [zf.getinfo(n) for n in wanted if n in names]
            if not infos:
                return DataCheck(unchecked="unreadable")
            if any(i.file_size > MAX_PART_BYTES for i in infos):
                return DataCheck(unchecked="too_big")
            text: list[str] = []
            partial = False
            for info in infos:
                with zf.open(info) as stream:
                    for piece in _paragraphs(stream):
                        text.append(piece)
                        if not budget.spend(piece):
                            partial = True
                            break
                if partial:
                    break
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, EOFError):
        return DataCheck(unchecked="unreadable")
    return _outcome([(None, "".join(text))], None, partial=partial)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(rows: Iterable[Sequence[object]], budget: _Budget) -> tuple[str, bool]:
    """A table as text, each cell after its column's heading ("No. KK: 6171..."), so that what a
    number is can be told from its column as from a sentence. True when the budget ran out."""
    lines: list[str] = []
    header: list[str] | None = None
    for row in rows:
        cells = [_cell(v) for v in row]
        if not any(cells):
            continue
        if header is None:
            header = cells
            line = "\t".join(cells)
        else:
            line = "\t".join(
                f"{header[i]}: {c}" if i < len(header) and header[i] else c
                for i, c in enumerate(cells)
                if c
            )
        lines.append(line)
        if not budget.spend(line):
            return "\n".join(lines), True
    return "\n".join(lines), False


def _xlsx(path: Path, budget: _Budget) -> DataCheck:
    # The store names files by their hash, without an extension: openpyxl refuses a path whose
    # name does not end in .xlsx, so it gets the open file instead.
    with path.open("rb") as stream:
        try:
            with zipfile.ZipFile(stream) as zf:
                if any(i.file_size > MAX_PART_BYTES for i in zf.infolist()):
                    return DataCheck(unchecked="too_big", unit="sheet")
            stream.seek(0)
            wb = load_workbook(stream, read_only=True, data_only=True)
        except Exception:  # a damaged workbook: unreadable, never a crash of the upload
            return DataCheck(unchecked="unreadable", unit="sheet")
        parts: list[tuple[int | None, str]] = []
        partial = False
        try:
            for number, sheet in enumerate(wb.worksheets, start=1):
                text, partial = _table(sheet.iter_rows(values_only=True), budget)
                parts.append((number, text))
                if partial:
                    break
        except Exception:
            return DataCheck(unchecked="unreadable", unit="sheet")
        finally:
            wb.close()
    return _outcome(parts, "sheet", partial=partial)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv(path: Path, budget: _Budget) -> DataCheck:
    text = _decode(path.read_bytes()[:MAX_TEXT_CHARS])
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    table, partial = _table(csv.reader(io.StringIO(text), dialect), budget)
    return _outcome([(None, table)], None, partial=partial)


def _plain(path: Path, budget: _Budget) -> DataCheck:
    text = _decode(path.read_bytes()[:MAX_TEXT_CHARS])
    partial = not budget.spend(text)
    return _outcome([(None, text)], None, partial=partial)


def check_file(
    path: Path, ext: str, seconds: float = SOFT_SECONDS, chars: int = MAX_TEXT_CHARS
) -> DataCheck:
    """The data check of the file at `path` of type `ext` (run it through `bot.heavy`)."""
    budget = _Budget(seconds, chars)
    ext = ext.lower().lstrip(".")
    if ext == "pdf":
        return _pdf(path, budget)
    if ext in ("docx", "odt"):
        return _docx(path, budget, odf=ext == "odt")
    if ext == "xlsx":
        return _xlsx(path, budget)
    if ext == "ods":
        return _docx(path, budget, odf=True)
    if ext == "csv":
        return _csv(path, budget)
    if ext == "txt":
        return _plain(path, budget)
    return DataCheck(unchecked="type")
