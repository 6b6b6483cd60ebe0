"""Imports that run in the background (docs/sheets.md, "A long import"): an upload becomes a
job, the answer comes at once with its id, and a task owned by the app's lifespan runs the
jobs one at a time while callers poll or subscribe to its progress.

The task is the lifespan's, never the request's: a request with an Idempotency-Key runs in a
transaction, and an import started inside it would join that transaction. One job at a time,
because an import is one long write transaction (SQLite has one writer anyway).

Jobs live in the memory of the process that runs them (docs/operations.md): a job is seen
only on the worker that took its upload, and finished jobs are forgotten after KEEP_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from api.db import own_sqlite_connection
from api.domain import clock
from api.domain.errors import DomainError
from api.domain.permissions import NETWORK, Actor
from api.models.accounts import Role
from api.sheets.imports import ImportReport, import_file, refusal_error

log = logging.getLogger("wenming.sheets.jobs")

KEEP_SECONDS = 3600  # a finished job can be read this long
MAX_WAITING = 10  # queued jobs per process (each holds its file, up to the upload limit)
STEPS = 100  # progress messages per job, at most (plus the changes of state)


class JobState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class Phase(StrEnum):
    CHECKING = "CHECKING"  # reading the file: headers, counting the rows against the limit
    WRITING = "WRITING"  # the rows, each checked and written in the import's one transaction


@dataclass(frozen=True)
class JobStatus:
    """What a caller sees of a job at one moment."""

    id: str
    kind: str
    dry_run: bool
    state: JobState
    phase: Phase | None
    rows_done: int
    rows_total: int | None
    queued_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    report: ImportReport | None = None  # once the job has ended, when the file could be read
    errors: tuple[DomainError, ...] = ()  # why the file could not be read, or the first refused row

    @property
    def ended(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)


@dataclass
class ImportJob:
    status: JobStatus
    actor: Actor
    scope: str | None  # the path of --within, or NETWORK: an ADMIN there may read the job
    filename: str
    within: int | None
    max_bytes: int
    data: bytes | None  # dropped once the job has run
    watchers: set[asyncio.Queue[JobStatus]] = field(default_factory=set)

    def visible_to(self, actor: Actor) -> bool:
        """The token that started it, or an ADMIN over where it imports."""
        started_by = self.actor
        same = (started_by.token_id is not None and actor.token_id == started_by.token_id)
        return same or actor.can(Role.ADMIN, self.scope)

    def update(self, **changes) -> None:
        self.status = replace(self.status, **changes)
        for queue in list(self.watchers):
            if queue.full():  # a slow watcher misses steps, never the latest state
                queue.get_nowait()
            queue.put_nowait(self.status)


class ImportJobs:
    """The jobs of this process and the task that runs them (``running()`` in the lifespan)."""

    def __init__(self, bus=None) -> None:
        self.bus = bus
        self._jobs: dict[str, ImportJob] = {}
        self._queue: asyncio.Queue[ImportJob] = asyncio.Queue()
        self._runner: asyncio.Task | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self._runner = asyncio.create_task(self._run_all(), name="sheet imports")
        try:
            yield
        finally:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None

    def start(self, kind: str, data: bytes, filename: str, *, actor: Actor, within: int | None,
              within_path: str | None, dry_run: bool, max_bytes: int) -> JobStatus:
        """Queue an import; its status at once (QUEUED)."""
        if self._runner is None:
            raise DomainError("background imports are not running on this server; use importSheet",
                              code="UNAVAILABLE")
        self._forget_old()
        if self._queue.qsize() >= MAX_WAITING:
            raise DomainError(f"{MAX_WAITING} imports are already waiting on this server; start this one when "
                              "one of them has finished", code="BUSY")
        status = JobStatus(uuid.uuid4().hex, kind, dry_run, JobState.QUEUED, None, 0, None, clock.now())
        job = ImportJob(status, actor, within_path if within is not None else NETWORK, filename, within, max_bytes, data)
        self._jobs[status.id] = job
        self._queue.put_nowait(job)
        return status

    def find(self, job_id: str, actor: Actor) -> ImportJob:
        """The job, if the caller may see it; one refusal for 'none' and 'not yours' alike."""
        job = self._jobs.get(job_id)
        if job is None or not job.visible_to(actor):
            raise DomainError(f"there is no import job {job_id!r} of yours on this server (a job is kept "
                              f"{KEEP_SECONDS // 60} minutes after it ends, on the worker that took its upload)",
                              field="id", code="NOT_FOUND")
        return job

    @contextlib.asynccontextmanager
    async def watching(self, job: ImportJob) -> AsyncIterator[asyncio.Queue[JobStatus]]:
        """Every status the job passes through from now on (a slow reader skips steps)."""
        queue: asyncio.Queue[JobStatus] = asyncio.Queue(STEPS // 4)
        job.watchers.add(queue)
        try:
            yield queue
        finally:
            job.watchers.discard(queue)

    async def _run_all(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._run(job)
            except asyncio.CancelledError:
                job.update(state=JobState.FAILED, finished_at=clock.now(), errors=(DomainError(
                    "the server stopped during the import; nothing was written", code="INTERRUPTED"),))
                raise
            finally:
                job.data = None

    async def _run(self, job: ImportJob) -> None:
        job.update(state=JobState.RUNNING, phase=Phase.CHECKING, started_at=clock.now())
        step = 1

        def progress(report: ImportReport) -> None:
            nonlocal step
            if job.status.phase is Phase.CHECKING:
                step = max(1, report.rows // STEPS)
                job.update(phase=Phase.WRITING, rows_total=report.rows, rows_done=report.checked)
            elif report.checked > job.status.rows_done and (report.checked % step == 0 or report.checked == report.rows):
                job.update(rows_done=report.checked)  # never back: a run again (api/domain/retry.py) starts at row 1

        try:
            async with own_sqlite_connection():  # SQLite: the server reads on while the import writes
                report = await import_file(job.status.kind, job.data or b"", job.filename, actor=job.actor,
                                           within=job.within, dry_run=job.status.dry_run, progress=progress,
                                           max_bytes=job.max_bytes)
        except DomainError as error:
            job.update(state=JobState.FAILED, finished_at=clock.now(), errors=(error,))
            return
        except Exception:
            log.exception("import job %s (%s) failed", job.status.id, job.status.kind)
            job.update(state=JobState.FAILED, finished_at=clock.now(), errors=(DomainError(
                "the import stopped on a fault of the server; nothing was written", code="INTERNAL"),))
            return
        if report.occurrence_changes and self.bus is not None:
            from api.live.occurrences import announce

            await announce(self.bus, report.occurrence_changes)
        refused = refusal_error(report)
        job.update(state=JobState.FAILED if report.errors else JobState.DONE, finished_at=clock.now(),
                   rows_done=report.checked, rows_total=report.rows, report=report,
                   errors=(refused,) if refused else ())

    def _forget_old(self) -> None:
        cutoff = clock.now() - timedelta(seconds=KEEP_SECONDS)
        for job_id in [i for i, j in self._jobs.items() if j.status.finished_at and j.status.finished_at < cutoff]:
            del self._jobs[job_id]
