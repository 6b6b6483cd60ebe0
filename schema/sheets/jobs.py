"""Background imports over GraphQL: startSheetImport answers at once with a job, importJob
reads it, importJobProgress follows it over a WebSocket (api/sheets/jobs.py runs them)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from graphql import GraphQLError

from api.domain.errors import DomainError
from api.models.accounts import Role
from api.models.sites import Site as SiteRow
from api.sheets import jobs
from schema.core.context import Info, connection_actor
from schema.core.inputs import load_optional
from schema.core.mutation import UserError
from schema.sheets.mutations import ImportSheetInput
from schema.sheets.types import SheetImportReport, SheetKind


@strawberry.enum(description="Where a background import is.")
class ImportJobState(Enum):
    QUEUED = strawberry.enum_value("QUEUED", description="Waiting: this server runs one import at a time")
    RUNNING = strawberry.enum_value("RUNNING", description="Being read and written (see phase and rowsDone)")
    DONE = strawberry.enum_value("DONE", description="Finished with no row errors: written (or, on a dry run, checked)")
    FAILED = strawberry.enum_value("FAILED", description="Ended with nothing written: row errors in report.rowErrors, "
                                   "or a file that could not be read in errors")


@strawberry.enum(description="What a running import is doing.")
class ImportPhase(Enum):
    CHECKING = strawberry.enum_value("CHECKING", description="Reading the file: its headers, and counting its rows against the limit")
    WRITING = strawberry.enum_value("WRITING", description="Going through the rows: each is checked and written in the "
                                    "import's one transaction, committed at the end (rolled back on a dry run or any bad row)")


@strawberry.type(description="A sheet import running in the background (导入进度), seen only by the token that "
                 "started it and by ADMINs over where it imports.")
class ImportJob:
    id: strawberry.ID = strawberry.field(description="The job's id, for importJob and importJobProgress")
    kind: SheetKind = strawberry.field(description="The sheet being imported")
    dry_run: bool = strawberry.field(description="True when only checking: nothing is written")
    state: ImportJobState = strawberry.field(description="QUEUED, RUNNING, DONE or FAILED")
    phase: ImportPhase | None = strawberry.field(description="While RUNNING (and after): CHECKING, then WRITING; null while QUEUED")
    rows_done: int = strawberry.field(description="Rows checked and written so far")
    rows_total: int | None = strawberry.field(description="Data rows in the file; null until the file has been counted")
    queued_at: datetime = strawberry.field(description="When the upload was taken")
    started_at: datetime | None = strawberry.field(description="When the import began")
    finished_at: datetime | None = strawberry.field(description="When it ended (DONE or FAILED)")
    report: SheetImportReport | None = strawberry.field(
        description="Once ended: the same report importSheet gives; null while running or when the file could not be read")
    errors: list[UserError] = strawberry.field(
        description="Why the file could not be read at all, or the first row refused for the caller's rights (as importSheet)")

    @classmethod
    def of(cls, status: jobs.JobStatus) -> ImportJob:
        return cls(
            id=strawberry.ID(status.id), kind=SheetKind(status.kind), dry_run=status.dry_run,
            state=ImportJobState(status.state.value), phase=ImportPhase(status.phase.value) if status.phase else None,
            rows_done=status.rows_done, rows_total=status.rows_total, queued_at=status.queued_at,
            started_at=status.started_at, finished_at=status.finished_at,
            report=SheetImportReport.of(status.report) if status.report else None,
            errors=[UserError.from_domain(e) for e in status.errors],
        )


@strawberry.type(description="The result of startSheetImport.")
class StartSheetImportPayload:
    job: ImportJob | None = strawberry.field(default=None, description="The job, QUEUED; null when errors is not empty")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why no job was started")


def _jobs(info: Info) -> jobs.ImportJobs:
    if info.context.import_jobs is None:
        raise GraphQLError("background imports are not running on this server", extensions={"code": "UNAVAILABLE"})
    return info.context.import_jobs


def _find(info: Info, job_id: str) -> jobs.ImportJob:
    try:
        return _jobs(info).find(job_id, info.context.actor)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": error.code}) from None


@strawberry.type(description="Starting background imports.")
class SheetJobMutation:
    @strawberry.mutation(description="Start importing a sheet in the background and answer at once with the job: "
                         "follow it with importJob or importJobProgress. Same rules as importSheet")
    async def start_sheet_import(self, info: Info, input: ImportSheetInput) -> StartSheetImportPayload:
        actor = info.context.actor
        if not actor.authenticated:
            raise GraphQLError("mutations need an API token: send 'Authorization: Bearer <token>'",
                               extensions={"code": "UNAUTHENTICATED"})
        try:
            within = await load_optional(SiteRow, input.within_id, "Site", "withinId")
            if within is not None:  # refused now rather than after the wait
                actor.require(Role.EDITOR, within.path, where=f"importing into {within.name}", field="withinId")
            status = _jobs(info).start(
                input.kind.value, await input.file.read(), getattr(input.file, "filename", "") or "", actor=actor,
                within=within.id if within else None, within_path=within.path if within else None,
                dry_run=input.dry_run, max_bytes=info.context.settings.max_upload_bytes,
            )
        except DomainError as error:
            return StartSheetImportPayload(errors=[UserError.from_domain(error)])
        return StartSheetImportPayload(job=ImportJob.of(status))


@strawberry.type(description="Reading background imports.")
class SheetJobQuery:
    @strawberry.field(description="A background import by its id: for the token that started it (or an ADMIN over "
                      "where it imports), on the server that took the upload, until an hour after it ended")
    def import_job(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The job's id (startSheetImport gave it)")],
    ) -> ImportJob:
        return ImportJob.of(_find(info, id).status)


@strawberry.type(description="Following background imports.")
class SheetJobSubscription:
    @strawberry.subscription(description="A background import's progress: its state now, then each change (rowsDone "
                             "in about 100 steps) until DONE or FAILED, when the subscription completes. Authenticate "
                             "in connection_init, as the token that started it")
    async def import_job_progress(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The job's id")],
    ) -> AsyncGenerator[ImportJob, None]:
        await connection_actor(info, "importJobProgress")
        job = _find(info, id)
        async with _jobs(info).watching(job) as changes:
            status = job.status
            yield ImportJob.of(status)
            while not status.ended:
                status = await changes.get()
                yield ImportJob.of(status)
