"""Writing lectures and activities: the rules an event must meet, and its occurrences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from api.china_calendar import yearly
from api.domain import occurrences, validation
from api.domain.clock import local
from api.domain.errors import DomainError
from api.domain.recurrence import MAX_DURATION, MAX_DURATION_DAYS, check_series, is_instance, parse_exdates
from api.domain.writes import save_versioned
from api.models.events import Event, EventKind, EventLecturer, EventOverride, LectureFormat
from api.models.people import Person
from api.models.sites import Venue


def _check_times(starts_at: datetime, ends_at: datetime, all_day: bool) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise DomainError("startsAt and endsAt must carry a UTC offset, e.g. +08:00", field="startsAt", code="NO_OFFSET")
    if ends_at <= starts_at:
        raise DomainError(
            f"endsAt ({local(ends_at).isoformat()}) must be after startsAt ({local(starts_at).isoformat()})",
            field="endsAt",
            code="END_BEFORE_START",
        )
    if ends_at - starts_at > MAX_DURATION:
        raise DomainError(
            f"an event lasts at most {MAX_DURATION_DAYS} days; endsAt ({local(ends_at).isoformat()}) is "
            f"{(ends_at - starts_at).days} days after startsAt: make a longer one a series",
            field="endsAt",
            code="TOO_LONG",
        )
    if all_day and (local(starts_at).time() != datetime.min.time() or local(ends_at).time() != datetime.min.time()):
        raise DomainError("an all-day event starts and ends at local midnight", field="startsAt", code="NOT_A_DATE")


async def check_venue(venue_id: int | None, site_id: int) -> None:
    if venue_id is not None and not await Venue.filter(id=venue_id, site_id=site_id, deleted_at__isnull=True).exists():
        raise DomainError(f"venue {venue_id} does not belong to site {site_id}", field="venueId", code="BAD_VENUE")


async def check_event(
    *,
    kind: EventKind,
    title: str,
    site_id: int,
    starts_at: datetime,
    ends_at: datetime,
    all_day: bool = False,
    rrule: str | None = None,
    exdates: Sequence[str] = (),
    lecturer_ids: Sequence[int] = (),
    venue_id: int | None = None,
    format: LectureFormat | None = None,
    summary: str = "",
    skip_holidays: bool = False,
    on_makeup_workdays: bool = False,
    lunar_recurrence: dict | None = None,
    solar_term: str | None = None,
) -> dict:
    """The rules every event meets, new or edited; returns the fields normalised."""
    title = validation.text(title, "title", max_length=120)
    summary = validation.text(summary, "summary", max_length=300, required=False)
    _check_times(starts_at, ends_at, all_day)
    starts_at, ends_at = local(starts_at), local(ends_at)
    if rrule:
        check_series(rrule, starts_at, all_day)
    parse_exdates(exdates, all_day)
    if yearly_rule := yearly.check(lunar_recurrence, solar_term, rrule):
        yearly.check_start(yearly_rule, starts_at.date())
    for flag, name in ((skip_holidays, "skipHolidays"), (on_makeup_workdays, "onMakeUpWorkdays")):
        if flag and not rrule:
            raise DomainError(f"{name} is for a recurring series: give an rrule (e.g. FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR) "
                              "or leave it false", field=name, code="NOT_A_SERIES")
    if kind != EventKind.LECTURE and (lecturer_ids or format):
        raise DomainError("only lectures have lecturers and a format", field="lecturerIds", code="NOT_A_LECTURE")
    await check_venue(venue_id, site_id)
    if lecturer_ids:
        found = set(await Person.filter(id__in=list(lecturer_ids), is_lecturer=True, deleted_at__isnull=True).values_list("id", flat=True))
        if missing := [i for i in lecturer_ids if i not in found]:
            raise DomainError(f"people {missing} are not lecturers", field="lecturerIds", code="NOT_FOUND")
    return {
        "kind": kind, "title": title, "site_id": site_id, "starts_at": starts_at, "ends_at": ends_at,
        "all_day": all_day, "rrule": rrule or None, "exdates": list(exdates), "venue_id": venue_id,
        "format": format, "summary": summary, "skip_holidays": bool(skip_holidays),
        "on_makeup_workdays": bool(on_makeup_workdays), "lunar_recurrence": lunar_recurrence or None,
        "solar_term": solar_term or None,
    }


async def create_event(
    *,
    kind: EventKind,
    title: str,
    platform_id: int,
    site_id: int,
    starts_at: datetime,
    ends_at: datetime,
    all_day: bool = False,
    rrule: str | None = None,
    exdates: Sequence[str] = (),
    lecturer_ids: Sequence[int] = (),
    venue_id: int | None = None,
    changes: list | None = None,
    **fields,
) -> Event:
    """`changes`, when given, receives the occurrence changes (for live listeners)."""
    checked = await check_event(
        kind=kind, title=title, site_id=site_id, starts_at=starts_at, ends_at=ends_at, all_day=all_day,
        rrule=rrule, exdates=exdates, lecturer_ids=lecturer_ids, venue_id=venue_id,
        format=fields.pop("format", None), summary=fields.pop("summary", ""),
        skip_holidays=fields.pop("skip_holidays", False), on_makeup_workdays=fields.pop("on_makeup_workdays", False),
        lunar_recurrence=fields.pop("lunar_recurrence", None), solar_term=fields.pop("solar_term", None),
    )
    async with in_transaction():
        event = await Event.create(platform_id=platform_id, **checked, **fields)
        await EventLecturer.bulk_create(
            [EventLecturer(event_id=event.id, person_id=pid, position=i) for i, pid in enumerate(lecturer_ids)]
        )
        refreshed = await occurrences.refresh([event])
    if changes is not None:
        changes += refreshed.changes
    return event


async def change_occurrence(
    event: Event,
    recurrence_id: datetime,
    *,
    cancelled: bool = False,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    title: str | None = None,
    venue_id: int | None = None,
    changes: list | None = None,
) -> EventOverride:
    """Move, retitle or cancel one instance of a series (RECURRENCE-ID override)."""
    recurrence_id = local(recurrence_id)
    starts_at = local(starts_at) if starts_at else None
    ends_at = local(ends_at) if ends_at else None
    if not is_instance(event.rrule, event.starts_at, event.all_day, recurrence_id, event.calendar_rdates):
        raise DomainError(
            f"{local(recurrence_id).isoformat()} is not an occurrence of event {event.id}",
            field="occurrenceId",
            code="NOT_AN_OCCURRENCE",
        )
    if starts_at or ends_at:
        start = starts_at or recurrence_id
        _check_times(start, ends_at or start + (event.ends_at - event.starts_at), event.all_day)
    async with in_transaction():
        # The event's new version first: its conditional UPDATE takes the event's row lock, so
        # two edits of one occurrence never race to create its override.
        await save_versioned(event, event.version, {}, f"event {event.title}")
        override, _ = await EventOverride.get_or_create(event_id=event.id, recurrence_id=recurrence_id)
        override.cancelled, override.starts_at, override.ends_at = cancelled, starts_at, ends_at
        override.title, override.venue_id = title, venue_id
        override.version += 1
        await override.save()
        refreshed = await occurrences.refresh([event])
    if changes is not None:
        changes += refreshed.changes
    return override
