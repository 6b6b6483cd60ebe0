"""What an import reports: its counts, every bad row, and what it created or changed."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.sheets.imports import ImportReport


@strawberry.enum(description="Which sheet a file holds (docs/sheets.md lists the columns of each).")
class SheetKind(Enum):
    SITES = strawberry.enum_value("sites", description="阵地: centres, institutes, stations, points, bases")
    VENUES = strawberry.enum_value("venues", description="场所: the rooms, halls and squares of a site")
    TEAMS = strawberry.enum_value("teams", description="队伍: volunteer and lecture teams")
    PEOPLE = strawberry.enum_value("people", description="人员: lecturers and volunteers")
    MEMBERSHIPS = strawberry.enum_value("memberships", description="队员: who is in which team")
    EVENTS = strawberry.enum_value("events", description="活动: lectures (宣讲) and activities, one-off or recurring")


@strawberry.type(description="A row that cannot be written: its row number, column and what is wrong.")
class SheetRowError:
    row: int = strawberry.field(description="The row as the spreadsheet numbers it (the headers are row 1)")
    header: str | None = strawberry.field(description="The Chinese column header at fault (列); null for the row as a whole")
    message: str = strawberry.field(description="What is wrong, for a person to read")
    value: str = strawberry.field(description="The value as written in the cell (shortened past 100 characters)")


@strawberry.type(description="A row that created or changed a record (or would, on a dry run).")
class SheetRowChange:
    row: int = strawberry.field(description="The row as the spreadsheet numbers it")
    action: str = strawberry.field(description="CREATE or UPDATE")
    record: str = strawberry.field(description="What the row is: a site's path of names, an event's date and title ...")
    headers: list[str] = strawberry.field(description="On UPDATE, the columns whose values changed")


@strawberry.type(description="The result of an import (导入): nothing is written when rowErrors is not empty.")
class SheetImportReport:
    kind: SheetKind = strawberry.field(description="The sheet imported")
    dry_run: bool = strawberry.field(description="True when only checked: nothing was written")
    written: bool = strawberry.field(description="True when the rows were written (no row errors, not a dry run)")
    rows: int = strawberry.field(description="Data rows in the file (blank rows not counted)")
    created: int = strawberry.field(description="Rows that created a record (or would)")
    updated: int = strawberry.field(description="Rows that changed a record (or would)")
    unchanged: int = strawberry.field(description="Rows whose record already held every value")
    row_errors: list[SheetRowError] = strawberry.field(description="Every bad row and column; empty when all rows are good")
    changes: list[SheetRowChange] = strawberry.field(description="The rows that create or change a record: the first 1,000 (created and updated count them all)")

    @classmethod
    def of(cls, report: ImportReport) -> SheetImportReport:
        return cls(
            kind=SheetKind(report.kind), dry_run=report.dry_run, written=report.written, rows=report.rows,
            created=report.count("CREATE"), updated=report.count("UPDATE"), unchanged=report.count("UNCHANGED"),
            row_errors=[SheetRowError(row=e.row, header=e.header, message=e.message, value=e.value) for e in report.errors],
            changes=[SheetRowChange(row=o.row, action=o.action, record=o.label, headers=o.changed)
                     for o in report.outcomes if o.action != "UNCHANGED"],
        )
