"""A series' exceptions (例外场次) follow it when its start, rule or all-day flag changes.

An exception names an occurrence by the start the rule gave it: an EXDATE leaves it out, an
override (RECURRENCE-ID) changes it on its own. Moving a weekly series from 09:30 to 14:30
changes every such start, so each exception is moved with the series (`recurrence.follow`:
the same wall-time shift as the series' start). One that falls on no occurrence of the edited
series (the rule no longer gives that day) is dropped, and the edit says so: the caller gets a
`Dropped` for it, never a silently resurrected or orphaned exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from api.domain.clock import local
from api.domain.recurrence import follow, parse_exdates
from api.models.events import Event, EventOverride

SHAPE = ("starts_at", "all_day", "rrule")  # what decides the starts the rule gives


class ExceptionKind(StrEnum):
    EXCLUDED = "EXCLUDED"  # an EXDATE: the occurrence is left out
    CHANGED = "CHANGED"  # an override: the occurrence is moved, retitled, re-venued or cancelled


@dataclass(frozen=True)
class Dropped:
    """An exception the edited series has no occurrence for, so it was removed."""

    kind: ExceptionKind
    original_start: datetime  # the occurrence's start in the series before the edit


@dataclass(frozen=True)
class Shape:
    """The part of a series its occurrences' starts come from."""

    starts_at: datetime
    all_day: bool
    rrule: str | None

    @classmethod
    def of(cls, event: Event) -> Shape:
        return cls(local(event.starts_at), event.all_day, event.rrule)


def _exdate_text(moment: datetime, all_day: bool) -> str:
    return moment.date().isoformat() if all_day else local(moment).isoformat()


def carry_exdates(exdates: list[str], old: Shape, new: Shape, dropped: list[Dropped]) -> list[str]:
    """The EXDATEs of the edited series: each moved as the series was, or dropped."""
    carried = []
    for text in exdates:
        (moment,) = parse_exdates([text], old.all_day)
        moved = follow(moment, old.starts_at, new.starts_at, new.rrule, new.all_day)
        if moved is None:
            dropped.append(Dropped(ExceptionKind.EXCLUDED, moment))
        else:
            carried.append(_exdate_text(moved, new.all_day))
    return sorted(set(carried))


async def carry_overrides(event: Event, old: Shape, dropped: list[Dropped]) -> None:
    """Move the event's overrides to their occurrences' new starts (the event is saved with its
    new shape); drop those with no occurrence any more. A change of all-day flag forgets an
    override's own times (a timed move means nothing for an all-day series), keeping its
    title, venue and cancellation."""
    new = Shape.of(event)
    overrides = await EventOverride.filter(event_id=event.id).order_by("recurrence_id")
    kept = []
    for override in overrides:
        moved = follow(override.recurrence_id, old.starts_at, new.starts_at, new.rrule, new.all_day)
        if moved is None:
            dropped.append(Dropped(ExceptionKind.CHANGED, local(override.recurrence_id)))
        else:
            kept.append((override, moved))
    if len(kept) == len(overrides) and old.all_day == new.all_day and all(
        moved == local(o.recurrence_id) for o, moved in kept
    ):
        return
    # Rewritten as a whole: moving one by one could meet another's old start (unique per event).
    await EventOverride.filter(event_id=event.id).delete()
    keep_times = old.all_day == new.all_day
    await EventOverride.bulk_create([
        EventOverride(
            event_id=event.id, recurrence_id=moved, cancelled=o.cancelled, title=o.title, venue_id=o.venue_id,
            starts_at=o.starts_at if keep_times else None, ends_at=o.ends_at if keep_times else None,
            version=o.version + 1,
        )
        for o, moved in kept
    ])
