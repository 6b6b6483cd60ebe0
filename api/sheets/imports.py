"""Importing a sheet: every row checked, then all written in one transaction, or none.

Each row goes through the same domain functions, permission rule and audit as the GraphQL
mutations. The whole file runs inside one transaction with a savepoint per row, so a row may
name what an earlier row created (a station under a new institute), every bad row is found
(not just the first), and when any row is bad, or on a dry run, everything is rolled back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from api.domain.errors import DomainError
from api.domain.permissions import Actor
from api.domain.retry import retrying
from api.domain.writes import Write
from api.models.accounts import Role
from api.models.sites import Site
from api.sheets.columns import SHEETS, Sheet
from api.sheets.phrases import CellError
from api.sheets.reader import MAX_BYTES, open_table
from api.sheets.rows import RowError, check_headers, read_row, shown

Progress = Callable[["ImportReport"], Any]  # called after each row (report.checked of report.rows); may be async


class RowProblem(Exception):
    """A row cannot be written: the column at fault and why."""

    def __init__(self, header: str | None, message: str, value: Any = "", code: str | None = None) -> None:
        super().__init__(message)
        self.header, self.message, self.value = header, message, shown(value) if value not in (None, "") else ""
        self.code = code


CREATE, UPDATE, UNCHANGED = "CREATE", "UPDATE", "UNCHANGED"
MAX_LISTED = 1000  # changed rows listed in a report (docs/sheets.md)
RIGHTS = ("OUT_OF_SCOPE", "FORBIDDEN")  # refusals for who the caller is, not for what the row says


class _RollBack(Exception):
    pass


@dataclass(slots=True)
class Outcome:
    row: int
    action: str  # CREATE, UPDATE or UNCHANGED
    label: str  # what the row is, for a person: a site's path of names, an event's title and date
    changed: list[str] = field(default_factory=list)  # headers of the columns that changed


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: int = 0  # data rows in the file
    checked: int = 0  # rows read and checked so far
    applied: int = 0  # rows written so far (inside the import's transaction: committed only at the end)
    counts: dict[str, int] = field(default_factory=lambda: {CREATE: 0, UPDATE: 0, UNCHANGED: 0})
    # The first MAX_LISTED rows that create or change a record; the counts hold them all. A list
    # of every created row would grow with the file (about 1 KB a row).
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    occurrence_changes: list = field(default_factory=list)  # for live listeners, after commit

    def count(self, action: str) -> int:
        return self.counts[action]

    @property
    def refusal(self) -> RowError | None:
        """The first row refused for the caller's rights, if any."""
        return next((e for e in self.errors if e.code in RIGHTS), None)

    @property
    def written(self) -> bool:
        return not self.errors and not self.dry_run


def refusal_error(report: ImportReport) -> DomainError | None:
    """The first row refused for the caller's rights, as the error a mutation answers with
    (the report still lists every row)."""
    refused = report.refusal
    if refused is None:
        return None
    return DomainError(f"row {refused.row} ({refused.header}): {refused.message}", field="file", code=refused.code)


def cell(header: str, read: Callable[[], Any], value: Any = "") -> Any:
    """Run a lookup for one column; its CellError names that column."""
    try:
        return read()
    except CellError as exc:
        raise RowProblem(header, exc.message, value) from None


async def import_file(
    kind: str,
    data: bytes,
    filename: str = "",
    *,
    actor: Actor,
    within: int | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    max_bytes: int = MAX_BYTES,
) -> ImportReport:
    """Check and write a sheet. DomainError for a file that cannot be read at all."""
    from api.sheets.writers import WRITERS

    sheet: Sheet = SHEETS[kind]
    table = open_table(data, filename, max_bytes)
    if errors := check_headers(sheet, table.headers):
        return ImportReport(kind, dry_run, errors=errors)
    # A first pass counts the rows (the total for a progress bar, and the row limit before anything
    # is written); the second checks and writes them one at a time, keeping only what it reports.
    rows = table.count()

    async def attempt() -> ImportReport:  # all afresh when PostgreSQL aborted a run (api/domain/retry.py)
        scope = await _within(actor, within)  # read again on each run: a move may have committed between
        report = ImportReport(kind, dry_run, rows=rows)
        write = Write(actor)
        writer = WRITERS[kind](write, scope)
        await writer.prepare()
        try:
            async with in_transaction():
                for number, cells in table.rows():
                    values, errors = read_row(sheet, table.headers, number, cells)
                    if errors:
                        report.errors += errors
                    else:
                        await _write_row(writer, sheet, number, values, report)
                    report.checked += 1
                    if progress is not None and inspect.isawaitable(told := progress(report)):
                        await told
                if report.errors or dry_run:
                    raise _RollBack
        except _RollBack:
            return report
        report.occurrence_changes = write.occurrence_changes
        return report

    return await retrying(attempt, "the import")


async def _write_row(writer, sheet: Sheet, number: int, values: dict, report: ImportReport) -> None:
    try:
        async with in_transaction():  # a savepoint: a refused row leaves no trace
            outcome = await writer.apply(number, values)
        report.applied += 1
        report.counts[outcome.action] += 1
        if outcome.action != UNCHANGED and len(report.outcomes) < MAX_LISTED:
            report.outcomes.append(outcome)
    except RowProblem as problem:
        report.errors.append(RowError(number, problem.header, problem.message, problem.value, problem.code))
    except DomainError as error:
        header = writer.header_for(error.field)
        value = values.get(sheet.column(writer.key_for(header)).key) if header else ""
        refused = error.code if error.code in RIGHTS else None
        report.errors.append(RowError(number, header, error.message, shown(value) if value not in (None, "") else "", refused))


async def _within(actor: Actor, site_id: int | None) -> str:
    """The subtree an import may touch: --within, or everything the caller covers."""
    if site_id is None:
        return "/"
    site = await Site.get_or_none(id=site_id, deleted_at__isnull=True)
    if site is None:
        raise DomainError(f"there is no site {site_id} to import within", field="within", code="NOT_FOUND")
    actor.require(Role.EDITOR, site.path, where=f"importing into {site.name}", field="within")
    return site.path
