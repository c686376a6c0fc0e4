"""Read an operators file (CSV) as spreadsheets and HR exports write them.

The file is streamed: one row is held at a time, whatever its length. What
the reader copes with, and why each is common:

- a UTF-8 byte-order mark (Excel's "CSV UTF-8"), UTF-16 with its mark
  (Excel's "Unicode Text"), or cp1252 (Excel's plain "CSV" on Western
  Windows), which is tried when the file is not UTF-8;
- ``;`` (locales with a decimal comma), tab, or ``,`` between fields,
  detected from the header;
- header spellings such as "E-mail Address", " First Name " or "Sync?";
- quoted fields with line breaks, stray and non-breaking spaces, blank and
  delimiter-only rows, "Name <address>" in the address column;
- yes/no, true/false, 1/0 and x (a ticked cell) as the contact-sync flag.

Rows come out as :class:`OperatorRow` or, when a row is bad,
:class:`RowProblem`; the caller decides what a problem means.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from exsync.addresses import is_valid_address, split_named_address
from exsync.errors import InputError

logger = logging.getLogger(__name__)

DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t"}
FALLBACK_ENCODING = "cp1252"
TRUE_FLAGS = frozenset({"yes", "y", "true", "t", "1", "x", "on", "enabled"})
# An empty cell is "no": a column of ticks leaves the others blank.
FALSE_FLAGS = frozenset({"no", "n", "false", "f", "0", "off", "disabled", ""})

# Headers are compared without case, spaces or punctuation.
HEADER_ALIASES = {
    "id": ("id", "operatorid", "operator", "employeeid", "userid", "staffid"),
    "name": ("name", "fullname", "displayname", "operatorname"),
    "first_name": ("firstname", "givenname", "forename"),
    "last_name": ("lastname", "surname", "familyname"),
    "email": (
        "email",
        "emailaddress",
        "mail",
        "mailaddress",
        "smtpaddress",
        "primarysmtpaddress",
        "exchangeemail",
        "mailbox",
    ),
    "contact_sync": (
        "contactsync",
        "sync",
        "syncenabled",
        "synccontacts",
        "contactsynchronization",
        "enabled",
        "active",
    ),
}
_ALIAS_TO_COLUMN = {
    alias: column for column, aliases in HEADER_ALIASES.items() for alias in aliases
}
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CHUNK = 1 << 18
# No operators record comes near this; a file that does is not one, and
# reading it whole would hold one Python string per cell.
MAX_RECORD_CHARS = 1 << 20
_LISTED_UNUSED = 3


@dataclass(frozen=True)
class OperatorRow:
    """One good record. ``None`` means the file does not say (keep stored)."""

    record: int
    line: int
    email: str
    operator_id: str | None = None
    name: str | None = None
    contact_sync: bool = True


@dataclass(frozen=True)
class RowProblem:
    """One bad record: where it is and what is wrong with it."""

    record: int
    line: int
    reason: str

    def __str__(self) -> str:
        return f"record {self.record} (line {self.line}): {self.reason}"


@dataclass
class OperatorsFile:
    """An operators CSV file; iterate :meth:`rows` to read it.

    ``encoding`` and ``delimiter`` are detected unless given. ``warnings``
    collects what was recovered from, for the caller to show.
    """

    path: Path
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[OperatorRow | RowProblem]:
        """Yield each data record in order; blank records are skipped.

        Raises :class:`InputError` when the file cannot be read or decoded,
        or its header has no address column.
        """
        # The file is read twice (to detect the encoding, then the rows),
        # which a pipe cannot do, and a device may never end.
        if self.path.exists() and not self.path.is_file():
            raise InputError(
                f"{self.path} is not a regular file (a pipe or a device); "
                "save it to a file first"
            )
        encoding = self.encoding = self.encoding or self._detect_encoding()
        try:
            with self.path.open(encoding=encoding, newline="", errors="strict") as f:
                delimiter = self.delimiter = self._choose_delimiter(_first_line(f))
                f.seek(0)
                yield from self._read(_Lines(f), delimiter)
        except OSError as error:
            raise InputError(f"cannot read {self.path}: {error.strerror}") from None
        except UnicodeDecodeError as error:
            byte = error.object[error.start]
            raise InputError(
                f"{self.path} is not valid {encoding} (it holds byte 0x{byte:02x})",
                hint="save it as CSV UTF-8, or name its encoding with --encoding.",
            ) from None
        except csv.Error as error:
            raise InputError(
                f"{self.path} is not a readable CSV file: {error}"
            ) from None

    def _detect_encoding(self) -> str:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            with self.path.open("rb") as stream:
                # Excel's "Unicode Text" export: UTF-16 with a byte-order mark.
                if stream.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                    return "utf-16"
                stream.seek(0)
                while chunk := stream.read(_CHUNK):
                    _refuse_nul(self.path, chunk)
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except OSError as error:
            raise InputError(f"cannot read {self.path}: {error.strerror}") from None
        except UnicodeDecodeError:
            self.warnings.append(
                f"{self.path.name} is not UTF-8; read it as {FALLBACK_ENCODING} "
                "(Windows Western European)"
            )
            logger.info("%s is not UTF-8, reading it as cp1252", self.path)
            return FALLBACK_ENCODING
        return "utf-8-sig"

    def _choose_delimiter(self, header: str) -> str:
        if self.delimiter:
            if self.delimiter not in DELIMITERS:
                raise InputError(
                    f"delimiter {self.delimiter!r} is not allowed; "
                    "use one of ',', ';', tab"
                )
            return DELIMITERS[self.delimiter]
        counts = {mark: header.count(mark) for mark in (";", "\t", ",")}
        best = max(counts, key=lambda mark: counts[mark])
        return best if counts[best] else ","

    def _read(
        self, lines: _Lines, delimiter: str
    ) -> Iterator[OperatorRow | RowProblem]:
        reader = csv.reader(lines, delimiter=delimiter, strict=False)
        columns = None
        record = 0
        while True:
            start = lines.start_record()
            try:
                cells = next(reader, None)
            except _RecordTooLong:
                where = f"record {record + 1}" if columns else "the header"
                raise InputError(
                    f"{self.path}: {where} (line {start}) is longer than "
                    f"{MAX_RECORD_CHARS} characters; this is not an operators file"
                ) from None
            if cells is None:
                break
            cells = [_clean_cell(cell) for cell in cells]
            if columns is None:
                if any(cells):
                    columns = _map_header(cells, self.warnings)
                continue
            record += 1
            if any(cells):
                yield _parse_row(cells, columns, record, start)
        if columns is None:
            raise InputError(
                f"{self.path} is empty: it has no header line",
                hint="export the sheet again; the first line names the columns.",
            )


def _refuse_nul(path: Path, chunk: bytes) -> None:
    # NUL is valid UTF-8, so UTF-16 without its mark would decode into
    # garbage addresses; no text export holds NUL otherwise.
    if b"\x00" in chunk:
        raise InputError(
            f"{path} holds NUL bytes: it is binary, or UTF-16 without a "
            "byte-order mark",
            hint="name its encoding, e.g. --encoding utf-16-le.",
        )


def _first_line(stream) -> str:
    # Blank lines above the header say nothing about the delimiter.
    while line := stream.readline(MAX_RECORD_CHARS):
        if line.strip():
            return line
    return ""


class _RecordTooLong(Exception):
    """A record grew past :data:`MAX_RECORD_CHARS`."""


class _Lines:
    """A text file's lines for :mod:`csv`, each record held to a size.

    A record may span lines (a quoted line break), so the count runs from
    :meth:`start_record` to the next call; a line is never read whole when
    it would pass the limit.
    """

    def __init__(self, stream) -> None:
        self.stream = stream
        self.line = 0
        self.chars = 0

    def start_record(self) -> int:
        """Start counting a new record; return the line it starts on."""
        self.chars = 0
        return self.line + 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        text = self.stream.readline(MAX_RECORD_CHARS + 1 - self.chars)
        if not text:
            raise StopIteration
        self.line += 1
        self.chars += len(text)
        if self.chars > MAX_RECORD_CHARS:
            raise _RecordTooLong
        return text


def _clean_cell(cell: str) -> str:
    """Strip spaces (non-breaking ones too) and invisible marks from a cell."""
    return _INVISIBLE.sub("", cell).strip()


def _map_header(cells: list[str], warnings: list[str]) -> dict[str, int]:
    """Map each known column to its position in the header ``cells``.

    Raises :class:`InputError` when no column holds the address.
    """
    columns: dict[str, int] = {}
    unused = []
    for position, cell in enumerate(cells):
        column = _ALIAS_TO_COLUMN.get(re.sub(r"[\W_]+", "", cell.casefold()))
        if column and column not in columns:
            columns[column] = position
        elif cell:
            unused.append(cell)
    warnings.extend(_unused_warnings(unused))
    if "email" not in columns:
        found = ", ".join(repr(cell) for cell in cells if cell)
        raise InputError(
            f"the header has no email address column (found {found})",
            hint="name the column 'email'; the others are id, name and contact_sync.",
        )
    return columns


def _unused_warnings(unused: list[str]) -> list[str]:
    # An export with thousands of extra columns gets one line, not thousands.
    if len(unused) <= _LISTED_UNUSED:
        return [f"column {cell!r} is not used" for cell in unused]
    listed = ", ".join(repr(cell) for cell in unused[:_LISTED_UNUSED])
    more = len(unused) - _LISTED_UNUSED
    return [f"{len(unused)} columns are not used: {listed} and {more} more"]


def _parse_row(
    cells: list[str], columns: dict[str, int], record: int, line: int
) -> OperatorRow | RowProblem:
    """Turn one record's cleaned ``cells`` into a row or a problem."""

    def cell(column: str) -> str:
        position = columns.get(column)
        return cells[position] if position is not None and position < len(cells) else ""

    named, email = split_named_address(cell("email"))
    if not email:
        return RowProblem(record, line, "the email address is empty")
    if not is_valid_address(email):
        return RowProblem(record, line, f"{email!r} is not a valid email address")
    flag = cell("contact_sync").casefold()
    if flag not in TRUE_FLAGS | FALSE_FLAGS:
        return RowProblem(
            record,
            line,
            f"contact sync {flag!r} is not one of yes, no, true, false, "
            "1, 0, x or empty",
        )
    return OperatorRow(
        record=record,
        line=line,
        email=email,
        operator_id=cell("id") or None,
        name=_name_of(cell, columns, named),
        contact_sync=flag in TRUE_FLAGS if "contact_sync" in columns else True,
    )


def _name_of(cell, columns: dict[str, int], named: str) -> str | None:
    if "name" in columns:
        text = cell("name")
    elif "first_name" in columns or "last_name" in columns:
        text = f"{cell('first_name')} {cell('last_name')}"
    else:
        text = ""
    # Control characters in a name are export debris, and would reach the
    # terminal of whoever lists the operators.
    text = " ".join(_CONTROL.sub("", text or named).split())
    return text or None
