"""Per-request DataLoaders: one SQL statement per kind of lookup, however many parents ask.

Built fresh for every request (and every subscription event), so no cache outlives the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise import connections
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.models import Model

import api.db.replica as replica
from api.domain import clock, site_counts
from api.models.content import Image, Report, ReportStatus
from api.models.events import Campaign, Event, EventLecturer, EventStatus, Occurrence
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site, Venue
from api.models.teams import Membership, Team


def _by_id(model: type[Model], **live: Any) -> DataLoader[int, Any]:
    async def load(ids: Sequence[int]) -> list[Any]:
        rows = {r.id: r for r in await model.filter(id__in=list(ids), **live)}
        return [rows.get(i) for i in ids]

    return DataLoader(load)


def _grouped(fetch: Callable[[list[int]], Any], group_key: str) -> DataLoader[int, list[Any]]:
    async def load(keys: Sequence[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = defaultdict(list)
        for row in await fetch(list(keys)):
            groups[getattr(row, group_key)].append(row)
        return [groups[k] for k in keys]

    return DataLoader(load)


def _placeholders(n: int, start: int = 1) -> str:
    dialect = connections.get("default").capabilities.dialect
    return ", ".join(f"${i}" if dialect == "postgres" else "?" for i in range(start, start + n))


def _upcoming(per_site: int, by: str = "site_id") -> DataLoader[int, list[Occurrence]]:
    """The next occurrences not yet over (running ones included) of each site, or of each event
    with ``by="event_id"`` (published, neither the occurrence nor its event cancelled): top-N per
    key with a window function."""

    async def load(keys: Sequence[int]) -> list[list[Occurrence]]:
        now = clock.now()
        marks = _placeholders(len(keys), start=4)
        first = _placeholders(3)
        p = [m.strip() for m in first.split(",")]
        sql = (
            f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY {by} ORDER BY starts_at, id) AS n "
            f"FROM occurrence WHERE ends_at > {p[0]} AND event_status = {p[1]} AND cancelled = {p[2]} "
            f"AND {by} IN ({marks})) ranked WHERE n <= {int(per_site)}"
        )
        _, rows = await replica.reading().execute_query(sql, [now, EventStatus.PUBLISHED.value, False, *keys])
        ids = [(list(r.values()) if hasattr(r, "values") else list(r))[0] for r in rows]
        groups: dict[int, list[Occurrence]] = defaultdict(list)
        for occ in await Occurrence.filter(id__in=ids).order_by("starts_at", "id"):
            groups[getattr(occ, by)].append(occ)
        return [groups[k] for k in keys]

    return DataLoader(load)


async def _occurrences_by_key(keys: Sequence[tuple[int, datetime]]) -> list[Occurrence | None]:
    """Occurrences by their stable key (event id, recurrence id), which survives re-materialising."""
    query = Q()
    for event_id, recurrence_id in keys:
        query |= Q(event_id=event_id, recurrence_id=recurrence_id)
    rows = await Occurrence.filter(query, event_status__not=EventStatus.DRAFT)
    found = {(r.event_id, r.recurrence_id.timestamp()): r for r in rows}
    return [found.get((e, r.timestamp())) for e, r in keys]


async def _report_team_ids(report_ids: Sequence[int]) -> list[list[int]]:
    """The teams each report names (the report_team link table has no model of its own)."""
    sql = f"SELECT report_id, team_id FROM report_team WHERE report_id IN ({_placeholders(len(report_ids))}) ORDER BY team_id"
    _, rows = await replica.reading().execute_query(sql, list(report_ids))
    groups: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        report_id, team_id = list(row.values()) if hasattr(row, "values") else list(row)
        groups[report_id].append(team_id)
    return [groups[i] for i in report_ids]


_LIVE = {"deleted_at__isnull": True}


class Loaders:
    """Every loader a request may use, each built on first use: a request touches a few of
    them, and building all of them eagerly cost more than a small request itself."""

    def __init__(self) -> None:
        self._upcoming: dict[tuple[int, str], DataLoader] = {}

    site = cached_property(lambda self: _by_id(Site, **_LIVE))
    venue = cached_property(lambda self: _by_id(Venue, **_LIVE))
    platform = cached_property(lambda self: _by_id(Platform, **_LIVE))
    team = cached_property(lambda self: _by_id(Team, **_LIVE))
    lecturer = cached_property(lambda self: _by_id(Person, is_lecturer=True, **_LIVE))
    campaign = cached_property(lambda self: _by_id(Campaign, **_LIVE))
    # volunteers too: schema.people.types checks who may see them
    person = cached_property(lambda self: _by_id(Person, **_LIVE))
    membership = cached_property(lambda self: _by_id(Membership, **_LIVE))
    # Paths of sites soft-deleted or not: whose data a row is outlives its site's deletion.
    any_site = cached_property(lambda self: _by_id(Site))
    team_memberships = cached_property(lambda self: _grouped(
        lambda ids: Membership.filter(team_id__in=ids, person__deleted_at__isnull=True, **_LIVE).order_by("id"),
        "team_id",
    ))
    event = cached_property(lambda self: _by_id(Event, deleted_at__isnull=True, status__not=EventStatus.DRAFT))
    occurrence = cached_property(lambda self: DataLoader(_occurrences_by_key))
    site_children = cached_property(lambda self: _grouped(
        lambda ids: Site.filter(parent_id__in=ids, **_LIVE).order_by("id"), "parent_id"))
    site_venues = cached_property(lambda self: _grouped(
        lambda ids: Venue.filter(site_id__in=ids, **_LIVE).order_by("id"), "site_id"))
    site_teams = cached_property(lambda self: _grouped(
        lambda ids: Team.filter(home_site_id__in=ids, **_LIVE).order_by("id"), "home_site_id"))
    team_children = cached_property(lambda self: _grouped(
        lambda ids: Team.filter(parent_id__in=ids, **_LIVE).order_by("id"), "parent_id"))
    team_members = cached_property(lambda self: _grouped(
        lambda ids: Membership.filter(team_id__in=ids, person__is_lecturer=True, person__deleted_at__isnull=True, **_LIVE)
        .select_related("person")
        .order_by("id"),
        "team_id",
    ))
    event_lecturers = cached_property(lambda self: _grouped(
        lambda ids: EventLecturer.filter(event_id__in=ids, person__deleted_at__isnull=True)
        .select_related("person")
        .order_by("position", "id"),
        "event_id",
    ))
    report_team_ids = cached_property(lambda self: DataLoader(_report_team_ids))
    image = cached_property(lambda self: _by_id(Image))
    published_report = cached_property(lambda self: _by_id(Report, status=ReportStatus.PUBLISHED, **_LIVE))
    subtree_counts = cached_property(lambda self: DataLoader(site_counts.below))
    member_count = cached_property(lambda self: DataLoader(self._member_counts))

    def upcoming(self, per_site: int, by: str = "site_id") -> DataLoader[int, list[Occurrence]]:
        """``by``: "site_id" (a site's next occurrences) or "event_id" (an event's)."""
        if (per_site, by) not in self._upcoming:
            self._upcoming[per_site, by] = _upcoming(per_site, by)
        return self._upcoming[per_site, by]

    @staticmethod
    async def _member_counts(team_ids: Sequence[int]) -> list[int]:
        rows = await (
            Membership.filter(team_id__in=list(team_ids), deleted_at__isnull=True)
            .annotate(n=Count("id"))
            .group_by("team_id")
            .values_list("team_id", "n")
        )
        counts = dict(rows)
        return [counts.get(i, 0) for i in team_ids]
