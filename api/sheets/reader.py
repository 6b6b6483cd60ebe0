"""Rows out of an uploaded file: .xlsx through calamine, .csv in UTF-8 (with or without BOM)
or GB18030 (what Chinese Excel writes: a superset of GBK). Rows stream one at a time, and a
file can be read twice (once to count, once to import) without holding a list of its rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from api.domain.errors import DomainError

MAX_BYTES = 20 * 1024 * 1024  # a file larger than this is refused (over HTTP: WENMING_MAX_UPLOAD_BYTES, 413)
MAX_ROWS = 100_000  # data rows in one file
XLSX_MAGIC = b"PK\x03\x04"


class FileTooLarge(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="file", code="TOO_LARGE")


@dataclass
class Table:
    """A readable file: its headers, and as many passes over its data rows as needed (the
    decoded text or calamine's sheet is kept, never a list of the rows)."""

    headers: list[str]
    _pass: Callable[[], Iterator[tuple[int, list[Any]]]]  # every row, the header row first

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """The data rows, one at a time: (row number as Excel shows it, cells); blank rows skipped."""
        rows = self._pass()
        next(rows, None)  # the headers
        return _limited(rows)

    def count(self) -> int:
        """How many data rows (a pass that keeps nothing); FileTooLarge past MAX_ROWS."""
        return sum(1 for _ in self.rows())


def decode_csv(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise DomainError(
            f"the CSV file is neither UTF-8 nor GB18030/GBK (byte {exc.start} cannot be read); save it again as "
            "CSV UTF-8", field="file", code="BAD_FILE",
        ) from None


def open_table(data: bytes, filename: str = "", max_bytes: int = MAX_BYTES) -> Table:
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is {len(data):,} bytes; at most {max_bytes:,} bytes are accepted")
    if data.startswith(XLSX_MAGIC):
        sheet = _xlsx_sheet(data)
        offset = (sheet.start or (0, 0))[0] + 1  # calamine starts at the first non-empty row; Excel at the top

        def every_row() -> Iterator[tuple[int, list[Any]]]:
            return ((i + offset, row) for i, row in enumerate(sheet.iter_rows()))
    elif filename.lower().endswith((".xlsx", ".xls")):
        raise DomainError(f"{filename} is not an .xlsx workbook (an old .xls? save it as .xlsx)", field="file", code="BAD_FILE")
    else:
        text = decode_csv(data)

        def every_row() -> Iterator[tuple[int, list[Any]]]:
            return _csv_rows(text)
    first = next(every_row(), None)
    if first is None:
        raise DomainError("the file is empty: the first row must hold the column headers", field="file", code="EMPTY")
    headers = [str(h).strip() for h in first[1]]
    while headers and not headers[-1]:
        headers.pop()
    return Table(headers, every_row)


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")  # a line and its ending: CRLF, LF or CR alone


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    """The CSV's rows, numbered, read from the text a line at a time (csv joins a quoted
    cell's lines); a malformed file is a BAD_FILE error naming the line."""
    rows = csv.reader(m.group(0) for m in _LINE.finditer(text))
    try:
        yield from enumerate(rows, start=1)
    except csv.Error as exc:
        raise DomainError(f"the CSV file cannot be read at line {rows.line_num}: {exc}", field="file", code="BAD_FILE") from None


def _xlsx_sheet(data: bytes):
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as exc:
        raise DomainError(f"the workbook cannot be read: {exc}", field="file", code="BAD_FILE") from None


def _limited(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    count = 0
    for number, cells in rows:
        if not any(str(c).strip() for c in cells):
            continue  # blank lines between blocks are not rows
        count += 1
        if count > MAX_ROWS:
            raise FileTooLarge(f"the file has more than {MAX_ROWS:,} rows; split it into several files")
        yield number, list(cells)
