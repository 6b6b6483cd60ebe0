"""importSheet: a spreadsheet uploaded with GraphQL multipart (a portal; a mini-program uses
POST /sheets/import/KIND instead, since wx.uploadFile cannot send GraphQL multipart)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from api.models.sites import Site as SiteRow
from api.sheets.imports import import_file, refusal_error
from schema.core.context import Info
from schema.core.inputs import load_optional
from schema.core.mutation import UserError, perform
from schema.sheets.types import SheetImportReport, SheetKind


@strawberry.input(description="A sheet to import: all rows are checked, and written together or not at all.")
class ImportSheetInput:
    kind: SheetKind = strawberry.field(description="Which sheet the file holds")
    file: Upload = strawberry.field(description="The .xlsx workbook (first sheet) or .csv file (UTF-8 or GB18030), as a multipart upload")
    within_id: relay.GlobalID | None = strawberry.field(default=None, description="Only touch this site's subtree")
    dry_run: bool = strawberry.field(default=False, description="Check every row and report what would change; write nothing")


@strawberry.type(description="The result of importSheet.")
class ImportSheetPayload:
    report: SheetImportReport | None = strawberry.field(default=None, description="What the import found and did; null when the file could not be read")
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why the file could not be read at all, or the first row refused for the caller's rights "
        "(OUT_OF_SCOPE, FORBIDDEN); every row problem is in report.rowErrors",
    )


@strawberry.type(description="Importing spreadsheets.")
class SheetMutation:
    @strawberry.mutation(description="Import a sheet (导入): needs EDITOR on every row's site (or on withinId's subtree)")
    async def import_sheet(self, info: Info, input: ImportSheetInput) -> ImportSheetPayload:
        data = await input.file.read()  # once: the work may run again (api/domain/retry.py)

        async def work(write):
            within = await load_optional(SiteRow, input.within_id, "Site", "withinId")
            report = await import_file(
                input.kind.value, data, getattr(input.file, "filename", "") or "", actor=write.actor,
                within=within.id if within else None, dry_run=input.dry_run,
                max_bytes=info.context.settings.max_upload_bytes,
            )
            write.occurrence_changes += report.occurrence_changes
            return report

        report, errors = await perform(info, work)
        if report is not None and (refused := refusal_error(report)) is not None:
            # Like every mutation, a refusal for the caller's rights is a payload error too.
            errors = [UserError.from_domain(refused)]
        return ImportSheetPayload(report=SheetImportReport.of(report) if report else None, errors=errors)
