"""The occurrences table: materialising series into it, and the one query that reads it.

GraphQL's ``occurrences``, site boards and the iCal feeds all select through
``OccurrenceFilter.queryset()``, so an event is never chosen two ways for two faces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from tortoise import connections
from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.china_calendar.yearly import YearlyRule
from api.domain import clock, day_stats
from api.domain.errors import DomainError
from api.domain.event_locks import lock_events
from api.domain.recurrence import (
    MAX_DURATION, Adjusted, Change, ChinaDays, FollowCalendar, Instance, ends_by, expand_following,
)
from api.domain.sites import hold_paths, subtree
from api.models.china_calendar import DayKind, HolidayDay
from api.models.events import Event, EventKind, EventOverride, EventStatus, Occurrence
from api.models.sites import Site
from api.settings import get_settings

HORIZON_BATCH = 50  # events per transaction of the horizon job: editors never wait long for it
MAX_WINDOW_DAYS = 733  # the widest window any face asks for: a feed's 366 days back, today, 366 ahead


@dataclass(frozen=True)
class OccurrenceFilter:
    start: datetime
    end: datetime
    within_path: str | None = None  # a site's materialised path: that site and its subtree
    site_id: int | None = None  # exactly this site
    kinds: Sequence[EventKind] = ()
    platform_ids: Sequence[int] = ()
    team_id: int | None = None
    lecturer_id: int | None = None
    campaign_id: int | None = None
    event_ids: Sequence[int] | None = None  # only these events (a search's hits); None: any

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", clock.local(self.start))
        object.__setattr__(self, "end", clock.local(self.end))
        if self.end <= self.start:
            raise DomainError("to must be after from", field="to", code="BAD_WINDOW")
        if self.end - self.start > clock.days(MAX_WINDOW_DAYS):
            raise DomainError(
                f"the window from {self.start.isoformat()} to {self.end.isoformat()} is longer than "
                f"{MAX_WINDOW_DAYS} days; ask for a shorter one",
                field="to",
                code="BAD_WINDOW",
            )

    def queryset(self) -> QuerySet[Occurrence]:
        """Public occurrences overlapping [start, end), in time order. Drafts never show.

        The start is bounded on both sides (nothing lasts longer than MAX_DURATION), so the
        index on (site_id, starts_at) is read over the window only: for one site, or for each
        site of a subtree (its ids from the path index), however long the history and however
        big the rest of the network."""
        qs = Occurrence.filter(
            starts_at__lt=self.end, starts_at__gt=self.start - MAX_DURATION, ends_at__gt=self.start,
            event_status__not=EventStatus.DRAFT,
        )
        if self.within_path:
            qs = qs.filter(site_id__in=Subquery(Site.filter(subtree(self.within_path)).values("id")))
        if self.site_id is not None:
            qs = qs.filter(site_id=self.site_id)
        if self.kinds:
            qs = qs.filter(kind__in=list(self.kinds))
        if self.platform_ids:
            qs = qs.filter(platform_id__in=list(self.platform_ids))
        if self.team_id is not None:
            qs = qs.filter(team_id=self.team_id)
        if self.campaign_id is not None:
            qs = qs.filter(campaign_id=self.campaign_id)
        if self.lecturer_id is not None:
            qs = qs.filter(event__lecturer_links__person_id=self.lecturer_id)
        if self.event_ids is not None:
            qs = qs.filter(event_id__in=list(self.event_ids)) if self.event_ids else qs.filter(id=0)
        return qs.order_by("starts_at", "id")


def of_events(event_ids: Sequence[int]) -> QuerySet[Occurrence]:
    """Public occurrences of these events whenever they are (an event's own feed covers the
    whole event, whatever the window). Drafts never show."""
    return Occurrence.filter(event_id__in=list(event_ids), event_status__not=EventStatus.DRAFT).order_by("starts_at", "id")


async def lineage(event: Event) -> list[int]:
    """The ids of every part of the series this event belongs to: a series split in two
    (THIS_AND_FOLLOWING, again and again) stays one lineage. Just the event when never split."""
    if event.lineage_id is None:
        return [event.id]
    return list(await Event.filter(lineage_id=event.lineage_id).order_by("id").values_list("id", flat=True))


def after_cursor(starts_at: datetime, occurrence_id: int) -> Q:
    """Keyset condition: strictly after (starts_at, id) in time order."""
    starts_at = clock.local(starts_at)
    return Q(starts_at__gt=starts_at) | Q(starts_at=starts_at, id__gt=occurrence_id)


def horizon_end() -> datetime:
    """How far ahead series are materialised: local midnight after today plus the horizon.
    Every write and every worker on one day computes the same instant, so two of them
    rewriting one event write the same rows."""
    tomorrow = clock.day_start(clock.local_date(clock.now())) + clock.days(1)
    return tomorrow + clock.days(get_settings().occurrence_horizon_days)


def _follows_calendar(event: Any) -> bool:
    return bool(event.rrule) and (event.skip_holidays or event.on_makeup_workdays)


def _yearly(event: Any) -> YearlyRule | None:
    """Every year on a lunar date or a solar term (api/china_calendar/yearly.py)."""
    return None if event.rrule else YearlyRule.of(event.lunar_recurrence, event.solar_term)


def _recurs(event: Event) -> bool:
    """A series the horizon job extends: an RRULE, or a yearly lunar date or solar term."""
    return (bool(event.rrule) or _yearly(event) is not None) and event.deleted_at is None


async def china_days(first: date, last: date) -> ChinaDays:
    """The holiday table's days off and make-up working days from ``first`` to ``last``."""
    rows = await HolidayDay.filter(day__gte=first, day__lte=last, kind__not=DayKind.ORDINARY).values_list("day", "kind")
    return ChinaDays(frozenset(d for d, k in rows if k == DayKind.HOLIDAY),
                     frozenset(d for d, k in rows if k == DayKind.MAKEUP_WORKDAY))


async def calendar_days(events: Sequence[Any], until: datetime) -> ChinaDays:
    """What the holiday table says for the events that follow China's calendar: one read for a batch."""
    following = [e for e in events if _follows_calendar(e) and not e.deleted_at]
    if not following:
        return ChinaDays()
    return await china_days(min(clock.local_date(e.starts_at) for e in following), clock.local_date(until))


def instances(event: Any, changes: Mapping[datetime, Change] | None, days: ChinaDays,
              until: datetime) -> tuple[list[Instance], Adjusted]:
    """The one rule for what an event's occurrences are up to ``until``, from its stored fields
    (an Event, or a bulk load's row with the same attributes) and its overrides."""
    if event.deleted_at:
        return [], Adjusted()
    return expand_following(
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        all_day=event.all_day,
        rule_text=event.rrule,
        exdates=event.exdates,
        changes=changes,
        until=until,
        calendar=FollowCalendar(event.skip_holidays, event.on_makeup_workdays, days) if _follows_calendar(event) else None,
        yearly=_yearly(event),
    )


def occurrence_fields(event: Any, instance: Instance, site_path: str) -> dict[str, Any]:
    """The occurrence row of one instance of an event (its Occurrence fields)."""
    return {
        "event_id": event.id,
        "recurrence_id": instance.recurrence_id,
        "starts_at": instance.starts_at,
        "ends_at": instance.ends_at,
        "all_day": event.all_day,
        "cancelled": instance.cancelled,
        "title": instance.title or event.title,
        "kind": event.kind,
        "event_status": event.status,
        "site_id": event.site_id,
        "site_path": site_path,
        "venue_id": instance.venue_id or event.venue_id,
        "platform_id": event.platform_id,
        "team_id": event.team_id,
        "campaign_id": event.campaign_id,
    }


async def _instances_by_event(events: Sequence[Event], until: datetime) -> dict[int, tuple[list[Instance], Adjusted]]:
    overrides: dict[int, dict[datetime, Change]] = {}
    for o in await EventOverride.filter(event_id__in=[e.id for e in events]):
        overrides.setdefault(o.event_id, {})[o.recurrence_id] = Change(
            o.cancelled, o.starts_at, o.ends_at, o.title, o.venue_id
        )
    days = await calendar_days(events, until)
    return {e.id: instances(e, overrides.get(e.id), days, until) for e in events}


class OccurrenceChangeKind(StrEnum):
    CREATED = "CREATED"  # newly public: a new event or instance, or a draft published
    CHANGED = "CHANGED"  # moved, retitled, reassigned, or un-cancelled
    CANCELLED = "CANCELLED"  # still listed, marked cancelled (it or its whole event)
    DELETED = "DELETED"  # no longer public: event deleted, back to draft, instance gone


@dataclass(frozen=True)
class OccurrenceChange:
    """One public change to one occurrence, as live listeners hear it."""

    change: OccurrenceChangeKind
    occurrence_id: str  # the GraphQL id: "{event_id}@{epoch of recurrence_id}", stable across edits
    event_id: int
    event_kind: EventKind
    site_path: str  # where it is now (where it was, for DELETED)
    starts_at: datetime  # when it starts now (when it was to start, for DELETED)
    previous_site_path: str | None = None  # set when it moved to another site

    def to_message(self) -> dict:
        return {
            "change": self.change.value,
            "occurrence_id": self.occurrence_id,
            "event_id": self.event_id,
            "event_kind": self.event_kind.value,
            "site_path": self.site_path,
            "previous_site_path": self.previous_site_path,
            "starts_at": clock.local(self.starts_at).isoformat(),
        }


@dataclass(frozen=True)
class Refreshed:
    count: int  # occurrences now materialised for these events
    changes: list[OccurrenceChange]  # what the public sees differently, in time order
    adjusted: tuple[int, ...] = ()  # events whose calendar EXDATEs/RDATEs changed (calendar_exdates/rdates)


def occurrence_id(event_id: int, recurrence_id: datetime) -> str:
    return f"{event_id}@{int(recurrence_id.timestamp())}"


# What a row shows the public; a difference in any of these is a CHANGED.
_SHOWN = ("starts_at", "ends_at", "all_day", "title", "kind", "site_id", "venue_id", "platform_id", "team_id", "campaign_id")
_READ = ("event_id", "recurrence_id", "cancelled", "event_status", "site_path", *_SHOWN)


def _shown(row: dict) -> tuple:
    return tuple(clock.local(v) if isinstance(v, datetime) else v for v in (row[f] for f in _SHOWN))


def _public(row: dict | None) -> bool:
    return row is not None and row["event_status"] != EventStatus.DRAFT


def _cancelled(row: dict) -> bool:
    return row["cancelled"] or row["event_status"] == EventStatus.CANCELLED


def _compare(before: dict | None, after: dict | None) -> OccurrenceChange | None:
    if not _public(before) and not _public(after):
        return None  # drafts never show, so their edits are nobody's news
    if not _public(after):
        kind, row = OccurrenceChangeKind.DELETED, before
    elif not _public(before):
        kind, row = OccurrenceChangeKind.CREATED, after
    elif _cancelled(after) and not _cancelled(before):
        kind, row = OccurrenceChangeKind.CANCELLED, after
    elif _cancelled(after) != _cancelled(before) or _shown(after) != _shown(before):
        kind, row = OccurrenceChangeKind.CHANGED, after
    else:
        return None
    moved = before and after and before["site_path"] != after["site_path"]
    return OccurrenceChange(
        change=kind,
        occurrence_id=occurrence_id(row["event_id"], row["recurrence_id"]),
        event_id=row["event_id"],
        event_kind=EventKind(row["kind"]),
        site_path=row["site_path"],
        starts_at=clock.local(row["starts_at"]),
        previous_site_path=before["site_path"] if moved else None,
    )


def _diff(before: list[dict], after: list[dict]) -> list[OccurrenceChange]:
    def key(row: dict) -> tuple[int, int]:
        return row["event_id"], int(row["recurrence_id"].timestamp())

    old = {key(r): r for r in before}
    new = {key(r): r for r in after}
    changes = [c for k in old.keys() | new.keys() if (c := _compare(old.get(k), new.get(k)))]
    return sorted(changes, key=lambda c: (c.starts_at, c.occurrence_id))


async def refresh(events: Sequence[Event], until: datetime | None = None) -> Refreshed:
    """Rewrite the occurrences of these events from what is stored (call inside the write's
    transaction, after saving them) and say what changed for the public. Announce
    ``.changes`` (api.live.occurrences.announce) after the transaction commits.

    One writer per event: the events' rows are locked first (api/domain/event_locks.py) and
    re-read inside the lock, so a concurrent writer's rows are never rewritten from a stale
    read, and two rewrites of one event never interleave their DELETE and INSERT."""
    if not events:
        return Refreshed(0, [])
    async with in_transaction():
        locked = await lock_events(e.id for e in events)
        refreshed = await _rewrite(locked, until or horizon_end(), every_day=True)
    fresh = {e.id: e for e in locked}
    for event in events:  # the caller's copy shows what the calendar made of it
        if (row := fresh.get(event.id)) is not None:
            event.calendar_exdates, event.calendar_rdates = row.calendar_exdates, row.calendar_rdates
            event.updated_at = row.updated_at
    return refreshed


async def _rewrite(events: Sequence[Event], until: datetime, *, every_day: bool = False,
                   extend: bool = False) -> Refreshed:
    """Delete and re-insert the occurrences of these locked, freshly read events, and the held
    figures of their days (api/domain/day_stats.py): of every day they have or had when
    ``every_day`` (an edit may change what the occurrences sum, e.g. attendance), else of the
    days whose rows changed (the horizon job adds days; a holiday correction moves a few).
    ``extend`` (the horizon job): when every row they have is among the rows they should have,
    only the missing ones are inserted, so the daily move of the horizon writes a day's rows,
    not every series' rows again (and leaves PostgreSQL no dead rows)."""
    if not events:
        return Refreshed(0, [])
    event_ids = [e.id for e in events]
    paths = await hold_paths(e.site_id for e in events)  # a move of these sites waits, or is waited for
    by_event = await _instances_by_event(events, until)
    adjusted = await keep_adjustments(events, {pk: found[1] for pk, found in by_event.items()})
    after = [occurrence_fields(e, i, paths[e.site_id]) for e in events for i in by_event[e.id][0]]
    before = await Occurrence.filter(event_id__in=event_ids).values(*_READ)
    # Each row's key once: the daily run compares every row of the open series and writes few.
    old_keys, new_keys = [_row_key(r) for r in before], [_row_key(r) for r in after]
    had, has = set(old_keys), set(new_keys)
    gone = [r for r, k in zip(before, old_keys) if k not in has]
    added = [r for r, k in zip(after, new_keys) if k not in had]
    if extend and not gone:
        await Occurrence.bulk_create([Occurrence(**r) for r in added], batch_size=500)
    else:
        await Occurrence.filter(event_id__in=event_ids).delete()
        await Occurrence.bulk_create([Occurrence(**r) for r in after], batch_size=500)
    # A plain UPDATE: the event's updated_at and version (what feeds and caches see) stay put.
    done = {e.id for e in events if complete(e, until)}
    for ids, flag in ((done, True), (set(event_ids) - done, False)):
        if ids:
            await Event.filter(id__in=sorted(ids)).update(materialised_until=until, materialised_complete=flag)
    await day_stats.recompute(day_stats.site_days(before + after if every_day else gone + added))
    # A row the same in both says nothing new: the rows that differ carry every change.
    return Refreshed(len(after), _diff(gone, added), adjusted)


def complete(event: Any, until: datetime) -> bool:
    """Whether materialising up to ``until`` writes every occurrence the event will ever have
    (none starts after it): a series with COUNT or UNTIL whose last instance is written, a
    single event, a deleted one. The horizon job never reads it again until an edit rewrites
    it (every rewrite decides this anew, so an edit that removes UNTIL opens it again). A
    yearly lunar date or solar term has no end."""
    if event.deleted_at:
        return True
    if _yearly(event) is not None:
        return False
    if not event.rrule:
        return clock.local(event.starts_at) <= until
    return ends_by(event.rrule, event.starts_at, event.all_day, until)


def _row_key(row: dict) -> tuple:
    """An occurrence row by every field read (datetimes compared as instants in one zone)."""
    return tuple(clock.local(v) if isinstance(v, datetime) else v for v in (row[f] for f in _READ))


def _calendar_text(event: Any, adjusted: Adjusted) -> tuple[list[str], list[str]]:
    keeps = _follows_calendar(event) or _yearly(event) is not None
    return adjusted.as_text(event.all_day) if keeps and not event.deleted_at else ([], [])


async def keep_adjustments(events: Sequence[Event], adjusted: dict[int, Adjusted]) -> tuple[int, ...]:
    """Store on each event what China's calendar did to it (the feeds send it as EXDATE and
    RDATE) where it changed; the event's updated_at moves, so feeds and boards see the change."""
    changed = []
    for e in events:
        exdates, rdates = _calendar_text(e, adjusted[e.id])
        if (exdates, rdates) != (list(e.calendar_exdates or ()), list(e.calendar_rdates or ())):
            stamp = clock.now()
            await Event.filter(id=e.id).update(calendar_exdates=exdates, calendar_rdates=rdates, updated_at=stamp)
            e.calendar_exdates, e.calendar_rdates, e.updated_at = exdates, rdates, stamp
            changed.append(e.id)
    return tuple(changed)


async def follow_holiday_change(days: Iterable[date]) -> Refreshed:
    """Re-materialise every series that follows China's calendar and whose EXDATEs or RDATEs
    the holiday table's change to these days moves (call inside the change's transaction,
    after it; announce ``.changes`` after commit). Their version grows by one, so SEQUENCE
    moves in every feed that holds them."""
    days = sorted(set(days))
    if not days:
        return Refreshed(0, [])
    ids = await (
        Event.filter(Q(skip_holidays=True) | Q(on_makeup_workdays=True), rrule__isnull=False, deleted_at__isnull=True,
                     starts_at__lt=clock.day_start(days[-1]) + clock.days(1))
        .order_by("id").values_list("id", flat=True)
    )
    if not ids:
        return Refreshed(0, [])
    until = horizon_end()
    async with in_transaction():
        locked = await lock_events(ids)
        found = await _instances_by_event(locked, until)
        moved = [e for e in locked
                 if _calendar_text(e, found[e.id][1]) != (list(e.calendar_exdates or ()), list(e.calendar_rdates or ()))]
        refreshed = await _rewrite(moved, until)
        if refreshed.adjusted:
            await Event.filter(id__in=list(refreshed.adjusted)).update(version=F("version") + 1)
    return refreshed


async def extend_horizon(batch: int = HORIZON_BATCH) -> int:
    """Re-materialise every live recurring series whose occurrences stop short of the rolling
    horizon (every worker at start, then daily). Returns how many occurrences those series now
    have. A series rewritten up to today's horizon (``Event.materialised_until``) is left
    alone, so a restart on an up-to-date database writes nothing.

    Small batches, one transaction each, so editors never wait long. An event an editor holds
    locked is skipped at first (the editor is rewriting it anyway, up to the same horizon);
    if that editor then rolled back, nobody did, so skipped events are rewritten at the end,
    one at a time, waiting for their lock. Two workers running this at once take turns per
    batch and write the same rows."""
    until = horizon_end()
    total, last_id, skipped = 0, 0, []
    while True:
        ids = await _behind_ids(last_id, batch, until)
        if not ids:
            break
        async with in_transaction():
            locked = await lock_events(ids, skip_locked=True)
            total += (await _rewrite([e for e in locked if _behind(e, until)], until, extend=True)).count
        skipped += sorted(set(ids) - {e.id for e in locked})
        last_id = ids[-1]
    for event_id in skipped:
        async with in_transaction():
            events = [e for e in await lock_events([event_id]) if _behind(e, until)]
            total += (await _rewrite(events, until, extend=True)).count
    return total


def _behind(event: Event, until: datetime) -> bool:
    """A live series whose occurrences stop short of ``until`` (re-checked under the lock: an
    editor's rewrite may have just brought it up to date, or finished it)."""
    done = event.materialised_until
    return _recurs(event) and not event.materialised_complete and (done is None or done < until)


async def reopen_series() -> int:
    """Clear every event's ``materialised_complete`` (``wenming reindex``): a mark set before
    the rule was changed around the domain (an older release's worker, a hand edit, a
    restored event table) would keep the series out of the horizon job for good. The next
    daily run rewrites each series behind the horizon once and marks the finished again."""
    return await Event.filter(materialised_complete=True).update(materialised_complete=False)


# The series the horizon job may have to extend, spelled as migration 0025's partial index
# idx_event_open_series is (SQLite uses a partial index only for a query that repeats its
# terms): finished series, single events and deleted ones are not in it, so the daily scan
# reads the open series only, however many years of finished ones the table holds.
OPEN_SERIES = ("deleted_at IS NULL AND NOT materialised_complete"
               " AND (rrule IS NOT NULL OR lunar_recurrence IS NOT NULL OR solar_term IS NOT NULL)")


BEHIND_SQL = (f"SELECT id FROM event WHERE {OPEN_SERIES} AND (materialised_until IS NULL OR materialised_until < {{0}})"
              " AND id > {1} ORDER BY id LIMIT {2}")


def behind_sql(dialect: str, after_id: int, batch: int, until: datetime) -> tuple[str, list]:
    """The next ``batch`` open series after ``after_id`` that stop short of ``until``."""
    marks = ("$1", "$2", "$3") if dialect == "postgres" else ("?", "?", "?")
    stamp = Event._meta.fields_map["materialised_until"].to_db_value(until, Event)  # as the column keeps it
    return BEHIND_SQL.format(*marks), [stamp, after_id, batch]


async def _behind_ids(after_id: int, batch: int, until: datetime) -> list[int]:
    conn = connections.get("default")
    _, rows = await conn.execute_query(*behind_sql(conn.capabilities.dialect, after_id, batch, until))
    return [dict(r)["id"] for r in rows]
