"""The occurrences table: materialising series into it, and the one query that reads it.

GraphQL's ``occurrences``, site boards and the iCal feeds all select through
``OccurrenceFilter.queryset()``, so an event is never chosen two ways for two faces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from api.domain import clock
from api.domain.errors import DomainError
from api.domain.recurrence import Change, expand
from api.domain.sites import subtree
from api.models.events import Event, EventKind, EventOverride, EventStatus, Occurrence
from api.models.sites import Site
from api.settings import get_settings

MAX_WINDOW_DAYS = 400  # a year ahead plus slack; keeps one response bounded


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", clock.local(self.start))
        object.__setattr__(self, "end", clock.local(self.end))
        if self.end <= self.start:
            raise DomainError("to must be after from", field="to", code="BAD_WINDOW")
        if (self.end - self.start).days > MAX_WINDOW_DAYS:
            raise DomainError(
                f"the window from {self.start.isoformat()} to {self.end.isoformat()} is longer than "
                f"{MAX_WINDOW_DAYS} days; ask for a shorter one",
                field="to",
                code="BAD_WINDOW",
            )

    def queryset(self) -> QuerySet[Occurrence]:
        """Public occurrences overlapping [start, end), in time order. Drafts never show."""
        qs = Occurrence.filter(
            starts_at__lt=self.end, ends_at__gt=self.start, event_status__not=EventStatus.DRAFT
        )
        if self.within_path:
            qs = qs.filter(subtree(self.within_path, "site_path"))
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
        return qs.order_by("starts_at", "id")


def after_cursor(starts_at: datetime, occurrence_id: int) -> Q:
    """Keyset condition: strictly after (starts_at, id) in time order."""
    starts_at = clock.local(starts_at)
    return Q(starts_at__gt=starts_at) | Q(starts_at=starts_at, id__gt=occurrence_id)


def horizon_end() -> datetime:
    return clock.now() + clock.days(get_settings().occurrence_horizon_days)


async def _instances_by_event(events: Sequence[Event], until: datetime) -> dict[int, list]:
    overrides: dict[int, dict[datetime, Change]] = {}
    for o in await EventOverride.filter(event_id__in=[e.id for e in events]):
        overrides.setdefault(o.event_id, {})[o.recurrence_id] = Change(
            o.cancelled, o.starts_at, o.ends_at, o.title, o.venue_id
        )
    return {
        e.id: []
        if e.deleted_at
        else expand(
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            all_day=e.all_day,
            rule_text=e.rrule,
            exdates=e.exdates,
            changes=overrides.get(e.id),
            until=until,
        )
        for e in events
    }


async def refresh(events: Sequence[Event], until: datetime | None = None) -> int:
    """Rewrite the occurrences of these events (call inside the write's transaction)."""
    if not events:
        return 0
    until = until or horizon_end()
    paths = dict(await Site.filter(id__in={e.site_id for e in events}).values_list("id", "path"))
    by_event = await _instances_by_event(events, until)
    rows = [
        Occurrence(
            event_id=e.id,
            recurrence_id=i.recurrence_id,
            starts_at=i.starts_at,
            ends_at=i.ends_at,
            all_day=e.all_day,
            cancelled=i.cancelled,
            title=i.title or e.title,
            kind=e.kind,
            event_status=e.status,
            site_id=e.site_id,
            site_path=paths[e.site_id],
            venue_id=i.venue_id or e.venue_id,
            platform_id=e.platform_id,
            team_id=e.team_id,
            campaign_id=e.campaign_id,
        )
        for e in events
        for i in by_event[e.id]
    ]
    async with in_transaction():
        await Occurrence.filter(event_id__in=[e.id for e in events]).delete()
        await Occurrence.bulk_create(rows, batch_size=500)
    return len(rows)


async def extend_horizon(batch: int = 500) -> int:
    """Re-materialise every live recurring series up to the rolling horizon (run daily)."""
    until = horizon_end()
    total = 0
    last_id = 0
    while True:
        events = await Event.filter(rrule__isnull=False, deleted_at__isnull=True, id__gt=last_id).order_by("id").limit(batch)
        if not events:
            return total
        total += await refresh(events, until)
        last_id = events[-1].id
