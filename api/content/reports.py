"""Writing and reviewing reports (活动报道): an EDITOR writes and submits; an ADMIN of the
subtree approves (publishes), sends back or unpublishes. Drafts are never public."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from api.content import html
from api.domain import validation
from api.domain.clock import now
from api.domain.errors import DomainError
from api.domain.permissions import RANK, Actor
from api.domain.scope import require_team_link
from api.domain.sites import subtree
from api.domain.writes import check_version, save_versioned
from api.models.accounts import Role
from api.models.content import Image, Report, ReportStatus
from api.models.events import Campaign, Event, EventStatus, Occurrence
from api.models.sites import Site
from api.models.teams import Team

S = ReportStatus
# action -> (statuses it starts from, status it leads to, role it needs on the report's site)
STEPS: dict[str, tuple[frozenset[ReportStatus], ReportStatus, Role]] = {
    "submit": (frozenset({S.DRAFT, S.UNPUBLISHED}), S.IN_REVIEW, Role.EDITOR),
    "approve": (frozenset({S.IN_REVIEW}), S.PUBLISHED, Role.ADMIN),
    "return": (frozenset({S.IN_REVIEW}), S.DRAFT, Role.ADMIN),
    "unpublish": (frozenset({S.PUBLISHED}), S.UNPUBLISHED, Role.ADMIN),
}
# Who may change the text in each status: under review or public, only the reviewer.
EDIT_ROLE = {S.DRAFT: Role.EDITOR, S.UNPUBLISHED: Role.EDITOR, S.IN_REVIEW: Role.ADMIN, S.PUBLISHED: Role.ADMIN}
MAX_GALLERY = 30


def visible(actor: Actor) -> Q:
    """The reports a caller may read: published ones, and any in the subtrees where they are EDITOR."""
    public = Q(status=S.PUBLISHED)
    for grant in actor.grants:
        if RANK[grant.role] >= RANK[Role.EDITOR]:
            public |= subtree(grant.site_path, "site_path")
    return public & Q(deleted_at__isnull=True)


def check_text(fields: dict[str, Any]) -> dict[str, Any]:
    if "title" in fields:
        fields["title"] = validation.text(fields["title"], "title", max_length=120)
    if "summary" in fields:
        fields["summary"] = validation.text(fields["summary"], "summary", max_length=300, required=False)
    if "body" in fields:
        raw = fields["body"] or ""
        if len(raw) > 100_000:
            raise DomainError(f"body is {len(raw)} characters long; at most 100000 are allowed", field="body",
                              code="TOO_LONG")
        fields["body"] = html.sanitise(raw)
        fields["body_text"] = html.plain_text(fields["body"])
    return fields


async def check_event(actor: Actor, event: Event | None, occurrence_start: datetime | None) -> None:
    if event is None:
        if occurrence_start is not None:
            raise DomainError("occurrenceStart needs eventId: it names one occurrence of that event",
                              field="occurrenceStart", code="REQUIRED")
        return
    if event.status != EventStatus.PUBLISHED:
        site = await Site.get(id=event.site_id)
        actor.require(Role.EDITOR, site.path, where=f"unpublished event {event.title}", field="eventId")
    if occurrence_start is not None and not await Occurrence.exists(event_id=event.id, starts_at=occurrence_start):
        raise DomainError(f"event {event.title} has no occurrence starting at {occurrence_start.isoformat()}",
                          field="occurrenceStart", code="NOT_AN_OCCURRENCE")


async def check_images(cover_id: int | None, gallery: list[int]) -> None:
    if len(gallery) > MAX_GALLERY:
        raise DomainError(f"gallery has {len(gallery)} images; at most {MAX_GALLERY}", field="galleryIds",
                          code="TOO_LONG")
    wanted = set(gallery) | ({cover_id} if cover_id else set())
    found = set(await Image.filter(id__in=wanted).values_list("id", flat=True)) if wanted else set()
    if cover_id and cover_id not in found:
        raise DomainError(f"coverId: no image {cover_id}", field="coverId", code="NOT_FOUND")
    if missing := [i for i in gallery if i not in found]:
        raise DomainError(f"galleryIds: no image {missing[0]}", field="galleryIds", code="NOT_FOUND")


async def link_teams(actor: Actor, report: Report, teams: list[Team]) -> None:
    for team in teams:
        await require_team_link(actor, team, field="teamIds", what="naming")
    await report.teams.clear()
    if teams:
        await report.teams.add(*teams)


async def create_report(actor: Actor, *, site: Site, fields: dict[str, Any], event: Event | None = None,
                        occurrence_start: datetime | None = None, campaign: Campaign | None = None,
                        teams: list[Team] = (), cover_id: int | None = None, gallery: list[int] = ()) -> Report:
    actor.require(Role.EDITOR, site.path, where=f"site {site.name}", field="siteId")
    fields = check_text({"body": "", **fields})
    await check_event(actor, event, occurrence_start)
    await check_images(cover_id, list(gallery))
    report = await Report.create(
        site=site, site_path=site.path, event=event, occurrence_start=occurrence_start, campaign=campaign,
        cover_id=cover_id, gallery=list(gallery), author=actor.label, listed_at=now(), **fields,
    )
    await link_teams(actor, report, list(teams))
    return report


async def update_report(actor: Actor, report: Report, version: int, changes: dict[str, Any], *,
                        teams: list[Team] | None = None) -> Report:
    what = f"report {report.title}"
    actor.require(EDIT_ROLE[report.status], report.site_path, where=f"{what} ({report.status.value})", field="id")
    check_version(report, version, what)
    changes = check_text(changes)
    if "site" in changes:
        site: Site = changes["site"]
        actor.require(Role.EDITOR, site.path, where=f"moving {what} to {site.name}", field="siteId")
        changes["site_path"] = site.path
        changes["site_id"] = changes.pop("site").id
    if "event" in changes or "occurrence_start" in changes:
        event = changes.pop("event") if "event" in changes else (
            await Event.get_or_none(id=report.event_id) if report.event_id else None)
        start = changes.get("occurrence_start", report.occurrence_start if "event" not in changes else None)
        await check_event(actor, event, start)
        changes["event_id"] = event.id if event else None
        changes["occurrence_start"] = start
    if "campaign" in changes:
        changes["campaign_id"] = c.id if (c := changes.pop("campaign")) else None
    if "cover_id" in changes or "gallery" in changes:
        await check_images(changes.get("cover_id", report.cover_id), changes.get("gallery", report.gallery))
    report = await save_versioned(report, version, changes, what)
    if teams is not None:
        await link_teams(actor, report, teams)
    return report


async def step(actor: Actor, report: Report, version: int, action: str) -> Report:
    """One move of the review workflow; the caller's right is checked before the status."""
    sources, target, role = STEPS[action]
    what = f"report {report.title}"
    actor.require(role, report.site_path, where=f"{action} {what}", field="id")
    check_version(report, version, what)
    if report.status not in sources:
        allowed = " or ".join(sorted(s.value for s in sources))
        raise DomainError(f"{what} is {report.status.value}; {action} needs it {allowed}", field="id",
                          code="WRONG_STATUS")
    changes: dict[str, Any] = {"status": target}
    if target == S.PUBLISHED:
        changes["published_at"] = changes["listed_at"] = now()
    return await save_versioned(report, version, changes, what)
