"""Totals of the service-hours ledger (志愿服务时长): per volunteer, team, site subtree and
period. Sums over the append-only entries, so a correction counts as its difference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from api.domain.clock import day_start
from api.domain.sites import subtree
from api.models.volunteering import HoursEntry


@dataclass(frozen=True)
class Period:
    start: date | None = None  # first day, included
    end: date | None = None  # last day, included


def entries(*, site_path: str | None = None, team_id: int | None = None, volunteer_id: int | None = None,
            period: Period = Period()) -> QuerySet[HoursEntry]:
    """The ledger's entries for occurrences at the subtree / of the team / of the volunteer,
    that started in the period."""
    qs = HoursEntry.all()
    if site_path is not None:
        qs = qs.filter(subtree(site_path, "site_path"))
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if volunteer_id is not None:
        qs = qs.filter(volunteer_id=volunteer_id)
    if period.start is not None:
        qs = qs.filter(served_at__gte=day_start(period.start))
    if period.end is not None:
        qs = qs.filter(served_at__lt=day_start(period.end) + timedelta(days=1))
    return qs


@dataclass(frozen=True)
class Totals:
    minutes: int
    volunteers: int  # with a positive total

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


async def per_volunteer(qs: QuerySet[HoursEntry]) -> list[tuple[int, int]]:
    """(volunteer id, minutes) with a positive total, most first."""
    rows = await qs.annotate(total=Sum("minutes")).group_by("volunteer_id").values("volunteer_id", "total")
    found = [(r["volunteer_id"], int(r["total"] or 0)) for r in rows]
    return sorted([f for f in found if f[1] > 0], key=lambda f: (-f[1], f[0]))


async def per_team(qs: QuerySet[HoursEntry]) -> list[tuple[int | None, int]]:
    rows = await qs.annotate(total=Sum("minutes")).group_by("team_id").values("team_id", "total")
    found = [(r["team_id"], int(r["total"] or 0)) for r in rows]
    return sorted([f for f in found if f[1] > 0], key=lambda f: (-f[1], f[0] or 0))


async def totals(qs: QuerySet[HoursEntry]) -> Totals:
    people = await per_volunteer(qs)
    return Totals(sum(m for _, m in people), len(people))


async def occurrences_recorded(qs: QuerySet[HoursEntry]) -> int:
    rows = await qs.annotate(n=Count("id")).group_by("event_id", "recurrence_id").values("event_id")
    return len(rows)
