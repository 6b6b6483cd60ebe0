"""Building sheets the way staff's tools write them: .xlsx workbooks and CSV files."""

from __future__ import annotations

import csv
import io
from typing import Any

import xlsxwriter

from api.sheets.columns import SHEETS


def xlsx(rows: list[list[Any]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def sheet_rows(kind: str, *records: dict[str, Any]) -> list[list[Any]]:
    """A header row and one row per record, given by Chinese header."""
    headers = SHEETS[kind].headers
    return [headers] + [[record.get(h, "") for h in headers] for record in records]
