"""Editing events after they exist: the whole series, one occurrence, or this and following;
publishing, cancelling, and recording what happened. The occurrences table follows every change.

Each function takes `changes`, a list that receives the occurrence changes for live listeners.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from itertools import takewhile
from typing import Any

from api.domain import attendance as attendance_rules
from api.domain import events as event_rules
from api.domain import occurrences, validation
from api.domain.clock import local, now
from api.domain.errors import DomainError
from api.domain.recurrence import is_instance, parse_exdates, parse_rule
from api.domain.series_exceptions import SHAPE, Dropped, Shape, carry_exdates, carry_overrides
from api.domain.writes import check_version, save_versioned
from api.models.events import Event, EventLecturer, EventOverride, EventStatus


class Scope(StrEnum):
    ALL = "ALL"
    THIS = "THIS"
    THIS_AND_FOLLOWING = "THIS_AND_FOLLOWING"


# What a single occurrence can change (an EventOverride holds exactly these).
PER_OCCURRENCE = {"title", "starts_at", "ends_at", "venue_id"}
# The fields whose combination the event rules check together.
CHECKED = ("kind", "title", "site_id", "starts_at", "ends_at", "all_day", "rrule", "exdates", "venue_id", "format", "summary",
           "skip_holidays", "on_makeup_workdays", "lunar_recurrence", "solar_term")


def _what(event: Event) -> str:
    return f"event {event.title}"


async def _lecturer_ids(event: Event) -> list[int]:
    return list(await EventLecturer.filter(event_id=event.id).order_by("position").values_list("person_id", flat=True))


async def _checked(event: Event, changes: dict[str, Any], lecturer_ids: list[int] | None) -> dict[str, Any]:
    """The event's fields with `changes` applied, checked by the same rules as a new event."""
    merged = {name: changes.get(name, getattr(event, name)) for name in CHECKED}
    lecturers = lecturer_ids if lecturer_ids is not None else await _lecturer_ids(event)
    normalised = await event_rules.check_event(**merged, lecturer_ids=lecturers)
    # The fields the event rules do not check (platform, team, topic ...) pass as given.
    return {**changes, **{k: v for k, v in normalised.items() if k in changes}}


async def _set_lecturers(event: Event, lecturer_ids: list[int] | None) -> None:
    if lecturer_ids is None:
        return
    await EventLecturer.filter(event_id=event.id).delete()
    await EventLecturer.bulk_create(
        [EventLecturer(event_id=event.id, person_id=pid, position=i) for i, pid in enumerate(lecturer_ids)]
    )


async def _refresh(event: Event, changes: list) -> None:
    changes += (await occurrences.refresh([event])).changes


async def update_series(
    event: Event, version: int, fields: dict[str, Any], lecturer_ids: list[int] | None, changes: list,
    dropped: list[Dropped] | None = None,
) -> Event:
    """Edit the whole series. When its start, rule or all-day flag changes, its exceptions
    follow it (api/domain/series_exceptions.py); `dropped` receives those that cannot."""
    check_version(event, version, _what(event))
    fields = await _checked(event, fields, lecturer_ids)
    dropped = [] if dropped is None else dropped
    old = Shape.of(event)
    reshaped = any(name in fields for name in SHAPE)
    if reshaped and "exdates" not in fields:  # EXDATEs given with the edit are already the new series'
        new = Shape(*(local(v) if isinstance(v, datetime) else v for v in (fields.get(n, getattr(event, n)) for n in SHAPE)))
        fields["exdates"] = carry_exdates(event.exdates, old, new, dropped)
    event = await save_versioned(event, version, fields, _what(event))
    await _set_lecturers(event, lecturer_ids)
    if reshaped:
        await carry_overrides(event, old, dropped)
    await _refresh(event, changes)
    return event


async def edit_occurrence(event: Event, version: int, recurrence_id: datetime, fields: dict[str, Any], changes: list) -> Event:
    """Move, retitle or re-venue one occurrence (a RECURRENCE-ID override)."""
    check_version(event, version, _what(event))
    if extra := sorted(fields.keys() - PER_OCCURRENCE):
        raise DomainError(
            f"{', '.join(extra)} cannot change for one occurrence only; use scope THIS_AND_FOLLOWING or ALL",
            field="scope", code="NOT_PER_OCCURRENCE",
        )
    if "title" in fields:
        fields["title"] = validation.text(fields["title"], "title", max_length=120)
    if "venue_id" in fields:
        await event_rules.check_venue(fields["venue_id"], event.site_id)
    override = await EventOverride.get_or_none(event_id=event.id, recurrence_id=local(recurrence_id))
    await event_rules.change_occurrence(
        event, recurrence_id, cancelled=override.cancelled if override else False,
        starts_at=fields.get("starts_at", override.starts_at if override else None),
        ends_at=fields.get("ends_at", override.ends_at if override else None),
        title=fields.get("title", override.title if override else None),
        venue_id=fields.get("venue_id", override.venue_id if override else None),
        changes=changes,
    )
    return event


async def set_occurrence_cancelled(event: Event, version: int, recurrence_id: datetime, cancelled: bool, changes: list) -> Event:
    check_version(event, version, _what(event))
    override = await EventOverride.get_or_none(event_id=event.id, recurrence_id=local(recurrence_id))
    keep = {k: getattr(override, k) for k in ("starts_at", "ends_at", "title", "venue_id")} if override else {}
    await event_rules.change_occurrence(event, recurrence_id, cancelled=cancelled, changes=changes, **keep)
    return event


def _rule_parts(text: str) -> dict[str, str]:
    body = text.strip().removeprefix("RRULE:")
    return dict(part.split("=", 1) for part in body.split(";") if "=" in part)


def _rule_text(parts: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in parts.items())


async def split_series(
    event: Event, version: int, recurrence_id: datetime, fields: dict[str, Any], lecturer_ids: list[int] | None,
    changes: list, dropped: list[Dropped] | None = None,
) -> Event:
    """This and following: the series ends before `recurrence_id`; a new series, with the changes,
    carries on from there (per-occurrence changes from that point on are reset). Its EXDATEs
    follow the new series' start and rule; `dropped` receives those that cannot."""
    dropped = [] if dropped is None else dropped
    check_version(event, version, _what(event))
    recurrence_id = local(recurrence_id)
    if not is_instance(event.rrule, event.starts_at, event.all_day, recurrence_id):
        raise DomainError(f"{recurrence_id.isoformat()} is not an occurrence of event {event.id}", field="occurrenceId", code="NOT_AN_OCCURRENCE")
    if recurrence_id == local(event.starts_at):  # from the first occurrence on: the whole series
        return await update_series(event, version, fields, lecturer_ids, changes, dropped)
    rule = parse_rule(event.rrule, event.starts_at, event.all_day)
    parts = _rule_parts(event.rrule)
    before = sum(1 for _ in takewhile(lambda start: local(start) < recurrence_id, rule))  # rule instances, EXDATEs included
    tail = dict(parts)
    if "COUNT" in parts:
        tail["COUNT"] = str(int(parts["COUNT"]) - before)
    head = {k: v for k, v in parts.items() if k not in ("COUNT", "UNTIL")} | {"COUNT": str(before)}
    duration = event.ends_at - event.starts_at
    starts_at = fields.get("starts_at", recurrence_id)
    successor_fields = {
        name: getattr(event, name) for name in (
            "kind", "title", "summary", "description", "platform_id", "site_id", "venue_id", "team_id",
            "campaign_id", "topic", "format", "all_day", "status", "capacity", "audience", "skip_holidays",
            "on_makeup_workdays",
        )
    } | {"starts_at": starts_at, "ends_at": starts_at + duration, "rrule": _rule_text(tail)} | fields
    head_exdates = [d for d in event.exdates if min(parse_exdates([d], event.all_day)) < recurrence_id]
    if "exdates" not in fields:  # EXDATEs given with the edit are already the new series'
        old = Shape(recurrence_id, event.all_day, _rule_text(tail))  # the old series from the split on
        new = Shape(local(successor_fields["starts_at"]), successor_fields["all_day"], successor_fields["rrule"])
        later = [d for d in event.exdates if d not in head_exdates]
        successor_fields["exdates"] = carry_exdates(later, old, new, dropped)
    lecturers = lecturer_ids if lecturer_ids is not None else await _lecturer_ids(event)
    lineage = event.lineage_id or event.id  # both parts stay one series for subscribers (feeds)
    successor = await event_rules.create_event(**successor_fields, lecturer_ids=lecturers, changes=changes, lineage_id=lineage)
    await save_versioned(
        event, version, {"rrule": _rule_text(head), "exdates": head_exdates, "lineage_id": lineage}, _what(event)
    )
    await EventOverride.filter(event_id=event.id, recurrence_id__gte=recurrence_id).delete()
    await _refresh(event, changes)
    return successor


async def set_status(event: Event, version: int, status: EventStatus, changes: list) -> Event:
    if event.status == status:
        raise DomainError(f"{_what(event)} is already {status.value}", field="id", code=f"ALREADY_{status.value}")
    event = await save_versioned(event, version, {"status": status}, _what(event))
    await _refresh(event, changes)
    return event


async def record_attendance(event: Event, version: int, attendance: int | None, beneficiaries: int | None) -> Event:
    attendance_rules.require_held(event)
    validation.in_range(attendance, "attendance", 0, 1_000_000)
    validation.in_range(beneficiaries, "beneficiaries", 0, 10_000_000)
    fields = {k: v for k, v in (("attendance", attendance), ("beneficiaries", beneficiaries)) if v is not None}
    if not fields:
        raise DomainError("give attendance, beneficiaries or both", field="attendance", code="REQUIRED")
    return await attendance_rules.save(event, version, fields, _what(event))
