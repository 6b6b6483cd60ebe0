"""Writing reports and moving them through review: create, update, submit, approve (publish),
return to the writer, unpublish. Deleting and restoring go through deleteRecord/restoreRecord."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from strawberry.file_uploads import Upload

from api.content import reports as rules
from api.content import uploads
from api.domain import audit
from api.domain.errors import DomainError
from api.domain.writes import Write
from api.models.content import Image as ImageRow
from api.models.content import Report as ReportRow
from api.models.content import ReportStatus
from api.models.events import Campaign as CampaignRow
from api.models.events import Event as EventRow
from api.models.sites import Site as SiteRow
from api.models.teams import Team as TeamRow
from schema.core.context import Info, node_pk, node_pks
from schema.core.inputs import load, load_optional, provided
from schema.core.mutation import payload, perform
from schema.reports import live
from schema.reports.types import Image, Report

UNSET = strawberry.UNSET
log = logging.getLogger("wenming.reports")
ReportPayload = payload("ReportPayload", "report", Report, "report")
ImagePayload = payload("ImagePayload", "image", Image, "image")


@strawberry.input(description="The editable fields of a report; on update, fields left out keep their value.")
class ReportFields:
    title: str | None = strawberry.field(default=UNSET, description="Title (标题), up to 120 characters")
    summary: str | None = strawberry.field(default=UNSET, description="Summary (摘要), up to 300 characters; empty: the start of the body")
    body: str | None = strawberry.field(
        default=UNSET, description="Body as HTML; cleaned on write to p, h2-h4, ul/ol/li, a href, strong, em, br "
        "and img of Wenming's own images (/images/...): scripts, styles, handlers and foreign images are removed"
    )
    event_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="The lecture or activity it reports on")
    occurrence_start: datetime | None = strawberry.field(
        default=UNSET, description="One occurrence of that event, by its start (a series has many)")
    campaign_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="The campaign (主题活动) it belongs to")
    team_ids: list[relay.GlobalID] | None = strawberry.field(
        default=UNSET, description="Teams that took part (naming a team needs EDITOR on its home site)")
    cover_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="The cover photo: an uploaded Image")
    gallery_ids: list[relay.GlobalID] | None = strawberry.field(
        default=UNSET, description="The gallery: uploaded Images, in order (at most 30)")


@strawberry.input(description="A new report, written at a site (needs EDITOR there). It starts as a DRAFT.")
class CreateReportInput(ReportFields):
    site_id: relay.GlobalID = strawberry.field(description="The site (阵地) that publishes it")
    title: str = strawberry.field(description="Title (标题), up to 120 characters")


@strawberry.input(description="Changes to a report. DRAFT and UNPUBLISHED: EDITOR of its site; IN_REVIEW and PUBLISHED: ADMIN.")
class UpdateReportInput(ReportFields):
    id: relay.GlobalID = strawberry.field(description="The report")
    version: int = strawberry.field(description="The version you read; a newer one means a colleague changed it")
    site_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="Another site to publish it (EDITOR there)")


@strawberry.input(description="One review step on a report, with the version you read.")
class ReportStepInput:
    id: relay.GlobalID = strawberry.field(description="The report")
    version: int = strawberry.field(description="The version you read")


LINKS = {"site_id", "event_id", "occurrence_start", "campaign_id", "team_ids", "cover_id", "gallery_ids"}


async def _links(input: ReportFields) -> dict[str, Any]:
    """The linked rows the input names (only those it sets)."""
    found: dict[str, Any] = {}
    if input.event_id is not UNSET:
        found["event"] = await load_optional(EventRow, input.event_id, "Event", "eventId")
    if input.campaign_id is not UNSET:
        found["campaign"] = await load_optional(CampaignRow, input.campaign_id, "Campaign", "campaignId")
    if input.occurrence_start is not UNSET:
        found["occurrence_start"] = input.occurrence_start
    if input.cover_id is not UNSET:
        found["cover_id"] = node_pk(input.cover_id, "Image", "coverId")
    if input.gallery_ids is not UNSET:
        found["gallery"] = node_pks(input.gallery_ids, "Image", "galleryIds")
    return found


async def _teams(input: ReportFields) -> list[TeamRow] | None:
    if input.team_ids is UNSET:
        return None
    return [await load(TeamRow, t, "Team", "teamIds") for t in input.team_ids or []]


async def _create(write: Write, input: CreateReportInput) -> ReportRow:
    site = await load(SiteRow, input.site_id, "Site", "siteId")
    fields = provided(input, exclude=LINKS)
    if fields.get("summary") is None:
        fields.pop("summary", None)
    report = await rules.create_report(write.actor, site=site, fields=fields, teams=await _teams(input) or [],
                                       **await _links(input))
    await write.audit("CREATE", report, site_path=site.path)
    return report


async def _update(write: Write, input: UpdateReportInput) -> tuple[ReportRow, bool]:
    """The report as edited, and whether it was public before (read in the run that commits)."""
    report = await load(ReportRow, input.id, "Report", "id")
    was_public = report.status == ReportStatus.PUBLISHED
    before = audit.snapshot(report)
    changes = provided(input, exclude=LINKS | {"id", "version"})
    for name in ("title", "summary", "body"):
        if name in changes and changes[name] is None:
            raise DomainError(f"{name} cannot be null; leave it out to keep its value", field=name, code="REQUIRED")
    changes |= await _links(input)
    if input.site_id is not UNSET:
        if input.site_id is None:
            raise DomainError("siteId cannot be null: every report belongs to a site", field="siteId", code="REQUIRED")
        changes["site"] = await load(SiteRow, input.site_id, "Site", "siteId")
    report = await rules.update_report(write.actor, report, input.version, changes, teams=await _teams(input))
    await write.audit("UPDATE", report, site_path=report.site_path, before=before)
    return report, was_public


async def _step(write: Write, action: str, input: ReportStepInput) -> tuple[ReportRow, bool]:
    """The report after the step, and whether it was public before (read in the run that commits)."""
    report = await load(ReportRow, input.id, "Report", "id")
    was_public = report.status == ReportStatus.PUBLISHED
    before = audit.snapshot(report)
    report = await rules.step(write.actor, report, input.version, action)
    await write.audit(action.upper(), report, site_path=report.site_path, before=before)
    return report, was_public


async def _announced(info: Info, done: tuple[ReportRow, bool] | None, errors: list) -> ReportPayload:  # type: ignore[valid-type]
    """After the commit, tell screens about a report that is or was public; a lost message must
    not fail the write. Drafts and reviews are nobody's news."""
    row, was_public = done or (None, False)
    bus = info.context.bus
    if bus is not None and row is not None and (row.status == ReportStatus.PUBLISHED or was_public):
        try:
            await bus.publish(live.CHANNEL, live.message(row))
        except Exception:
            log.exception("announcing report %s failed", row.id)
    return ReportPayload(report=Report.from_optional(row), errors=errors)


async def _run_step(info: Info, action: str, input: ReportStepInput) -> ReportPayload:  # type: ignore[valid-type]
    return await _announced(info, *await perform(info, lambda w: _step(w, action, input)))


@strawberry.input(description="A photo to upload (GraphQL multipart request: the file in a form part named in `map`).")
class UploadImageInput:
    file: Upload = strawberry.field(description="The image file: JPEG, PNG or WebP (judged by its content), within the size and pixel limits")
    site_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The site it is for (EDITOR there); default: the first site where you are EDITOR")


async def _upload(write: Write, input: UploadImageInput, data: bytes, info: Info) -> ImageRow:
    site = await load_optional(SiteRow, input.site_id, "Site", "siteId")
    try:
        return await uploads.accept(write.actor, data, info.context.settings, site=site)
    except DomainError as error:
        if error.field == "site":
            error.field = "siteId"
        raise


@strawberry.type(description="Writing and reviewing reports (活动报道).")
class ReportMutation:
    @strawberry.mutation(description="Upload a photo (needs EDITOR on a site): EXIF and GPS are stripped, the orientation "
                         "applied, renditions made; the same photo uploaded twice is one Image")
    async def upload_image(self, info: Info, input: UploadImageInput) -> ImagePayload:  # type: ignore[valid-type]
        data = await input.file.read() if hasattr(input.file, "read") else b""  # once: the work may run again
        row, errors = await perform(info, lambda w: _upload(w, input, data, info))
        return ImagePayload(image=Image.from_optional(row), errors=errors)

    @strawberry.mutation(description="Write a report at a site (needs EDITOR there); it starts as a DRAFT, seen only by editors")
    async def create_report(self, info: Info, input: CreateReportInput) -> ReportPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create(w, input))
        return ReportPayload(report=Report.from_optional(row), errors=errors)

    @strawberry.mutation(description="Edit a report: EDITOR while DRAFT or UNPUBLISHED, ADMIN while IN_REVIEW or PUBLISHED")
    async def update_report(self, info: Info, input: UpdateReportInput) -> ReportPayload:  # type: ignore[valid-type]
        return await _announced(info, *await perform(info, lambda w: _update(w, input)))

    @strawberry.mutation(description="Submit a DRAFT or UNPUBLISHED report for review (提交审核; EDITOR): it becomes IN_REVIEW")
    async def submit_report(self, info: Info, input: ReportStepInput) -> ReportPayload:  # type: ignore[valid-type]
        return await _run_step(info, "submit", input)

    @strawberry.mutation(description="Approve and publish a report under review (审核发布; ADMIN of its site's subtree): it becomes PUBLISHED and public")
    async def approve_report(self, info: Info, input: ReportStepInput) -> ReportPayload:  # type: ignore[valid-type]
        return await _run_step(info, "approve", input)

    @strawberry.mutation(description="Send a report under review back to its writer (退回; ADMIN): it becomes a DRAFT again")
    async def return_report(self, info: Info, input: ReportStepInput) -> ReportPayload:  # type: ignore[valid-type]
        return await _run_step(info, "return", input)

    @strawberry.mutation(description="Take a published report down (撤回; ADMIN): it becomes UNPUBLISHED and leaves every public list")
    async def unpublish_report(self, info: Info, input: ReportStepInput) -> ReportPayload:  # type: ignore[valid-type]
        return await _run_step(info, "unpublish", input)
