"""Creating and editing lectures and activities: series scopes, publishing, single occurrences,
and what happened afterwards. Rules live in api.domain.events and api.domain.series."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from api.domain import audit, series
from api.domain.errors import DomainError
from api.domain.events import create_event
from api.domain.permissions import Role
from api.domain.scope import require_team_link
from api.domain.writes import Write
from api.models.events import Campaign as CampaignRow
from api.models.events import Event as EventRow
from api.models.events import EventKind, EventStatus, LectureFormat
from api.models.platforms import Platform as PlatformRow
from api.models.sites import Site as SiteRow
from api.models.sites import Venue as VenueRow
from api.models.teams import Team as TeamRow
from schema.calendar.types import Event, occurrence_key
from schema.core.context import Info, node_pk
from schema.core.enums import EventKindEnum, LectureFormatEnum
from schema.core.inputs import load, provided
from schema.core.mutation import UserError, payload, perform

UNSET = strawberry.UNSET
EventPayload = payload("EventPayload", "event", Event, "event")


@strawberry.enum(description="The kind of a series' exception (例外场次).")
class SeriesExceptionKind(Enum):
    EXCLUDED = strawberry.enum_value("EXCLUDED", description="An occurrence left out of the series (EXDATE, 排除的场次)")
    CHANGED = strawberry.enum_value(
        "CHANGED", description="An occurrence changed on its own: moved, retitled, re-venued or cancelled (单独调整的场次)"
    )


@strawberry.type(description="An exception of a series (例外场次) that an edit removed: the edited series has no "
                 "occurrence where it would fall. Every other exception moved with the series.")
class DroppedException:
    kind: SeriesExceptionKind = strawberry.field(description="Left out, or changed on its own")
    original_start: datetime = strawberry.field(description="Its occurrence's start in the series before the edit")


@strawberry.type(description="The result of updateEvent: the event, and the series' exceptions the edit removed.")
class UpdateEventPayload:
    event: Event | None = strawberry.field(default=None, description="The event as it is now (for THIS_AND_FOLLOWING: "
                                           "the new series); null when errors is not empty")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success; otherwise why nothing changed")
    dropped_exceptions: list[DroppedException] = strawberry.field(
        default_factory=list,
        description="When the start, rule or all-day flag changed: the exclusions (EXDATE) and single-occurrence "
        "changes that fall on no occurrence of the edited series and were removed (the others moved with it, "
        "e.g. 09:30 -> 14:30 moves an EXDATE of 09:30 to 14:30); empty otherwise",
    )


@strawberry.enum(description="Which occurrences of a recurring series an edit applies to.")
class EditScope(Enum):
    ALL = strawberry.enum_value("ALL", description="The whole series (for a single event: the event)")
    THIS = strawberry.enum_value("THIS", description="This occurrence only: title, startsAt, endsAt, venueId")
    THIS_AND_FOLLOWING = strawberry.enum_value(
        "THIS_AND_FOLLOWING", description="This occurrence and all after it: the series is split in two"
    )


@strawberry.input(description="A lunar date (农历) to recur on every year, e.g. 正月十五: {month: 1, day: 15}.")
class LunarRecurrenceInput:
    month: int = strawberry.field(description="Lunar month, 1 (正月) to 12 (腊月)")
    day: int = strawberry.field(description="Day of the lunar month, 1 (初一) to 30 (三十); 三十 falls on the month's "
                                "last day (廿九) in a year whose month has 29 days")
    leap: bool = strawberry.field(default=False, description="The leap month (闰月) of that number; in a year "
                                  "without that leap month the occurrence is in the ordinary month")


@strawberry.input(description="The editable fields of an event; on update, fields left out keep their value.")
class EventFields:
    title: str | None = strawberry.field(default=UNSET, description="Title, up to 120 characters")
    summary: str | None = strawberry.field(default=UNSET, description="One-line summary, up to 300 characters")
    description: str | None = strawberry.field(default=UNSET, description="Full description")
    topic: str | None = strawberry.field(default=UNSET, description="Lecture topic (宣讲主题)")
    format: LectureFormatEnum | None = strawberry.field(default=UNSET, description="Lecture format (lectures only)")
    platform_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="The platform (平台)")
    site_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="Where it takes place")
    venue_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="A venue of that site")
    team_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="The team that runs it")
    campaign_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="The campaign it belongs to")
    starts_at: datetime | None = strawberry.field(default=UNSET, description="Start (with offset, e.g. +08:00)")
    ends_at: datetime | None = strawberry.field(default=UNSET, description="End, after the start")
    all_day: bool | None = strawberry.field(default=UNSET, description="All-day: start and end at local midnight")
    rrule: str | None = strawberry.field(default=UNSET, description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SA;COUNT=8")
    exdates: list[str] | None = strawberry.field(default=UNSET, description="Starts (ISO) of occurrences to leave out")
    skip_holidays: bool | None = strawberry.field(
        default=UNSET, description="China's calendar: no occurrence on a public holiday (放假), e.g. the National Day "
        "week; the dates become EXDATEs (a series only; docs/calendar.md)")
    on_makeup_workdays: bool | None = strawberry.field(
        default=UNSET, name="onMakeUpWorkdays",
        description="China's calendar: an occurrence, at the series' time, on every make-up working day (调休上班) "
        "in the series' span; the dates become RDATEs. With skipHolidays and FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR: "
        "China's working days (a series only; docs/calendar.md)")
    lunar_recurrence: LunarRecurrenceInput | None = strawberry.field(
        default=UNSET, description="Recur every year on this lunar date (e.g. 元宵 正月十五), from startsAt, which "
        "must be such a date; not with rrule. Materialised as dated occurrences, RDATEs in the feed (docs/calendar.md)")
    solar_term: str | None = strawberry.field(
        default=UNSET, description="Recur every year on this solar term (节气, e.g. 清明), from startsAt, which must "
        "be its day; not with rrule. RDATEs in the feed")
    lecturer_ids: list[relay.GlobalID] | None = strawberry.field(default=UNSET, description="Lecturers, in order")
    capacity: int | None = strawberry.field(default=UNSET, description="How many people can take part")
    audience: str | None = strawberry.field(default=UNSET, description="Intended audience, e.g. 老年人")


@strawberry.input(description="A new lecture or activity; a draft unless publish is true.")
class CreateEventInput(EventFields):
    kind: EventKindEnum = strawberry.field(description="Lecture or activity")
    publish: bool = strawberry.field(default=False, description="Publish at once (default: a draft, never public)")


@strawberry.input(description="Changes to an event, to the whole series or from one occurrence on.")
class UpdateEventInput(EventFields):
    id: relay.GlobalID = strawberry.field(description="The event")
    version: int = strawberry.field(description="The event's version you read")
    scope: EditScope = strawberry.field(default=EditScope.ALL, description="Which occurrences the edit applies to")
    occurrence_id: relay.GlobalID | None = strawberry.field(default=None, description="The occurrence (scopes THIS and THIS_AND_FOLLOWING)")


@strawberry.input(description="An event and the version you read.")
class EventVersionInput:
    id: relay.GlobalID = strawberry.field(description="The event")
    version: int = strawberry.field(description="The version you read")


@strawberry.input(description="Cancel one occurrence, or (cancelled: false) take the cancellation back.")
class CancelOccurrenceInput:
    occurrence_id: relay.GlobalID = strawberry.field(description="The occurrence")
    version: int = strawberry.field(description="The event's version you read")
    cancelled: bool = strawberry.field(default=True, description="true cancels; false restores it")


@strawberry.input(description="Move one occurrence to another time or venue.")
class MoveOccurrenceInput:
    occurrence_id: relay.GlobalID = strawberry.field(description="The occurrence")
    version: int = strawberry.field(description="The event's version you read")
    starts_at: datetime = strawberry.field(description="New start")
    ends_at: datetime = strawberry.field(description="New end")
    venue_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="New venue (of the same site)")


@strawberry.input(description="What happened at an event that has taken place.")
class RecordAttendanceInput:
    id: relay.GlobalID = strawberry.field(description="The event")
    version: int = strawberry.field(description="The version you read")
    attendance: int | None = strawberry.field(default=None, description="Audience (听众人数)")
    beneficiaries: int | None = strawberry.field(default=None, description="People served (受益群众)")


# Input ID fields -> (GraphQL type, model) they must name.
REFERENCES = {
    "platform_id": ("Platform", PlatformRow), "site_id": ("Site", SiteRow), "venue_id": ("Venue", VenueRow),
    "team_id": ("Team", TeamRow), "campaign_id": ("Campaign", CampaignRow),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def _fields(input: EventFields) -> tuple[dict, list[int] | None]:
    """The set fields with IDs resolved to live rows' ids; and the lecturer ids if given."""
    fields = provided(input, exclude={"id", "version", "scope", "occurrence_id", "kind", "publish", "lecturer_ids"})
    for name, (type_name, model) in REFERENCES.items():
        if fields.get(name) is not None:
            fields[name] = (await load(model, fields[name], type_name, _camel(name))).id
    if fields.get("format") is not None:
        fields["format"] = LectureFormat(fields["format"])
    if (lunar := fields.get("lunar_recurrence")) is not None:  # stored as JSON, checked by the event rules
        fields["lunar_recurrence"] = {"month": lunar.month, "day": lunar.day, "leap": lunar.leap}
    lecturers = None
    if input.lecturer_ids is not UNSET:
        lecturers = [node_pk(g, "Lecturer", "lecturerIds") for g in input.lecturer_ids or []]  # checked by the event rules
    return fields, lecturers


async def _site_path(write: Write, site_id: int, field: str) -> str:
    site = await SiteRow.get(id=site_id)
    write.actor.require(Role.EDITOR, site.path, where=f"events at {site.name}", field=field)
    return site.path


async def _team_link(write: Write, fields: dict, current: int | None = None) -> None:
    """A team newly named on an event: the caller must cover the team's home site too."""
    team_id = fields.get("team_id")
    if team_id is not None and team_id != current:
        await require_team_link(write.actor, await TeamRow.get(id=team_id), field="teamId")


async def _event(write: Write, gid: relay.GlobalID) -> tuple[EventRow, str]:
    event = await load(EventRow, gid, "Event", "id")
    return event, await _site_path(write, event.site_id, "id")


async def _occurrence(write: Write, gid: relay.GlobalID) -> tuple[EventRow, datetime, str]:
    if gid.type_name != "Occurrence" or (key := occurrence_key(gid.node_id)) is None:
        raise DomainError(f"occurrenceId must be the id of an Occurrence, got {gid}", field="occurrenceId", code="WRONG_ID_TYPE")
    event = await EventRow.get_or_none(id=key[0], deleted_at__isnull=True)
    if event is None:
        raise DomainError(f"occurrence {gid.node_id} does not exist", field="occurrenceId", code="NOT_FOUND")
    return event, key[1], await _site_path(write, event.site_id, "occurrenceId")


async def _create(write: Write, input: CreateEventInput) -> EventRow:
    fields, lecturers = await _fields(input)
    for required in ("title", "platform_id", "site_id", "starts_at", "ends_at"):
        if fields.get(required) is None:
            raise DomainError(f"{_camel(required)} is required", field=_camel(required), code="REQUIRED")
    path = await _site_path(write, fields["site_id"], "siteId")
    await _team_link(write, fields)
    status = EventStatus.PUBLISHED if input.publish else EventStatus.DRAFT
    event = await create_event(
        kind=EventKind(input.kind.value), status=status, lecturer_ids=lecturers or [],
        changes=write.occurrence_changes, **fields,
    )
    await write.audit("CREATE", event, site_path=path)
    return event


async def _update(write: Write, input: UpdateEventInput, dropped: list) -> EventRow:
    event, path = await _event(write, input.id)
    fields, lecturers = await _fields(input)
    if fields.get("site_id", event.site_id) != event.site_id:
        path = await _site_path(write, fields["site_id"], "siteId")
    await _team_link(write, fields, event.team_id)
    before = audit.snapshot(event)
    scope = series.Scope(input.scope.value) if event.rrule else series.Scope.ALL
    changes = write.occurrence_changes
    if scope is series.Scope.ALL:
        event = await series.update_series(event, input.version, fields, lecturers, changes, dropped)
        await write.audit("UPDATE", event, site_path=path, before=before)
        return event
    if input.occurrence_id is None:
        raise DomainError(f"scope {scope.value} needs occurrenceId", field="occurrenceId", code="REQUIRED")
    occ_event, recurrence_id, _ = await _occurrence(write, input.occurrence_id)
    if occ_event.id != event.id:
        raise DomainError("occurrenceId is an occurrence of another event", field="occurrenceId", code="NOT_AN_OCCURRENCE")
    if scope is series.Scope.THIS:
        if lecturers is not None:
            raise DomainError("lecturers cannot change for one occurrence only", field="scope", code="NOT_PER_OCCURRENCE")
        event = await series.edit_occurrence(event, input.version, recurrence_id, fields, changes)
        await write.audit("UPDATE_OCCURRENCE", event, site_path=path, before=before)
        return event
    successor = await series.split_series(event, input.version, recurrence_id, fields, lecturers, changes, dropped)
    if successor.id == event.id:  # split at the first occurrence: an edit of the whole series
        await write.audit("UPDATE", event, site_path=path, before=before)
    else:
        await write.audit("SPLIT", event, site_path=path, before=before)
        await write.audit("CREATE", successor, site_path=path)
    return successor


def _status_change(status: EventStatus, action: str):
    async def work(write: Write, input: EventVersionInput) -> EventRow:
        event, path = await _event(write, input.id)
        before = audit.snapshot(event)
        event = await series.set_status(event, input.version, status, write.occurrence_changes)
        await write.audit(action, event, site_path=path, before=before)
        return event

    return work


async def _cancel_occurrence(write: Write, input: CancelOccurrenceInput) -> EventRow:
    event, recurrence_id, path = await _occurrence(write, input.occurrence_id)
    before = audit.snapshot(event)
    event = await series.set_occurrence_cancelled(event, input.version, recurrence_id, input.cancelled, write.occurrence_changes)
    await write.audit("CANCEL_OCCURRENCE" if input.cancelled else "RESTORE_OCCURRENCE", event, site_path=path, before=before)
    return event


async def _move_occurrence(write: Write, input: MoveOccurrenceInput) -> EventRow:
    event, recurrence_id, path = await _occurrence(write, input.occurrence_id)
    before = audit.snapshot(event)
    fields = {"starts_at": input.starts_at, "ends_at": input.ends_at}
    if input.venue_id is not UNSET:
        fields["venue_id"] = (await load(VenueRow, input.venue_id, "Venue", "venueId")).id if input.venue_id else None
    event = await series.edit_occurrence(event, input.version, recurrence_id, fields, write.occurrence_changes)
    await write.audit("MOVE_OCCURRENCE", event, site_path=path, before=before)
    return event


async def _record_attendance(write: Write, input: RecordAttendanceInput) -> EventRow:
    event, path = await _event(write, input.id)
    before = audit.snapshot(event)
    event = await series.record_attendance(event, input.version, input.attendance, input.beneficiaries)
    await write.audit("RECORD_ATTENDANCE", event, site_path=path, before=before)
    return event


_publish = _status_change(EventStatus.PUBLISHED, "PUBLISH")
_unpublish = _status_change(EventStatus.DRAFT, "UNPUBLISH")
_cancel = _status_change(EventStatus.CANCELLED, "CANCEL")


async def _answer(info: Info, work) -> EventPayload:  # type: ignore[valid-type]
    row, errors = await perform(info, work)
    return EventPayload(event=Event.from_optional(row), errors=errors)


@strawberry.type(description="Editing lectures and activities.")
class EventMutation:
    @strawberry.mutation(description="Create a lecture or activity (a draft unless publish: true)")
    async def create_event(self, info: Info, input: CreateEventInput) -> EventPayload:  # type: ignore[valid-type]
        return await _answer(info, lambda w: _create(w, input))

    @strawberry.mutation(description="Edit an event: the whole series, one occurrence, or this and following")
    async def update_event(self, info: Info, input: UpdateEventInput) -> UpdateEventPayload:
        async def work(write: Write) -> tuple[EventRow, list]:
            dropped: list = []  # per run: a run again must not add to what an aborted run found
            return await _update(write, input, dropped), dropped

        done, errors = await perform(info, work)
        row, dropped = done or (None, [])
        return UpdateEventPayload(
            event=Event.from_optional(row), errors=errors,
            dropped_exceptions=[
                DroppedException(kind=SeriesExceptionKind(d.kind.value), original_start=d.original_start) for d in dropped
            ],
        )

    @strawberry.mutation(description="Publish a draft (or a cancelled event): it appears in lists, boards and feeds")
    async def publish_event(self, info: Info, input: EventVersionInput) -> EventPayload:  # type: ignore[valid-type]
        return await _answer(info, lambda w: _publish(w, input))

    @strawberry.mutation(description="Take an event back to draft: it disappears from public lists and feeds")
    async def unpublish_event(self, info: Info, input: EventVersionInput) -> EventPayload:  # type: ignore[valid-type]
        return await _answer(info, lambda w: _unpublish(w, input))

    @strawberry.mutation(description="Cancel a whole event or series: it stays listed, marked 已取消")
    async def cancel_event(self, info: Info, input: EventVersionInput) -> EventPayload:  # type: ignore[valid-type]
        return await _answer(info, lambda w: _cancel(w, input))

    @strawberry.mutation(description="Cancel one occurrence of a series (or take the cancellation back)")
    async def cancel_occurrence(self, info: Info, input: CancelOccurrenceInput) -> EventPayload:  # type: ignore[valid-type]
        return await _answer(info, lambda w: _cancel_occurrence(w, input))

    @strawberry.mutation(description="Move one occurrence to another time (and venue)")
    async def move_occurrence(self, info: Info, input: MoveOccurrenceInput) -> EventPayload:  # type: ignore[valid-type]
        return await _answer(info, lambda w: _move_occurrence(w, input))

    @strawberry.mutation(description="Record attendance and beneficiaries once an event has taken place")
    async def record_attendance(self, info: Info, input: RecordAttendanceInput) -> EventPayload:  # type: ignore[valid-type]
        return await _answer(info, lambda w: _record_attendance(w, input))
