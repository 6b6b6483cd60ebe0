"""Figures for a big screen (数据大屏), computed in the database: every function here is ONE
aggregate statement (GROUP BY / COUNT / SUM) whose result has a handful of rows whatever the
size of the network; no site, team or occurrence row is loaded into Python.

Definitions (the GraphQL descriptions repeat them):
- Scope: a site and its whole subtree (``within_path``), or the whole network.
- Coverage (覆盖率): townships with an institute and villages with a station. A centre's
  ``region_unit_count`` says how many townships its region has, an institute's how many
  villages; covered = its institutes (stations) below it, at most that number. Parents
  without region data are left out of both counts.
- Held (已开展): occurrences that started in the period, have ended by ``now``, and were
  neither cancelled nor in a cancelled event (drafts never count).
- Audience (听众) and beneficiaries (受益群众): the event's recorded attendance (lectures)
  or beneficiaries (activities), counted once per held occurrence (a series records them
  per session). Occurrences with nothing recorded add nothing.
- Service hours (服务时长): the length of a held occurrence; an all-day one counts 8 hours a
  day. Volunteer service hours (志愿服务时长): for an occurrence whose volunteers checked in
  and out, the hours recorded in the ledger (api/volunteering, corrections included); for any
  other held occurrence an estimate, service hours x the members of the organising team (its
  current memberships), every member counted for the whole session. The two parts are also
  given apart (recorded, estimated). The national volunteer system's records stay the authority.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from tortoise import connections
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count, Min, Sum
from tortoise.queryset import QuerySet

from api.domain import clock
from api.domain.errors import DomainError
from api.domain.occurrences import OccurrenceFilter
from api.domain.sites import subtree, subtree_sql
from api.models.events import EventKind, EventStatus, Occurrence
from api.models.people import Person
from api.models.sites import Site, SiteKind
from api.models.teams import Membership, Team

ALL_DAY_HOURS_PER_DAY = 8
FIVE_HAVES = ("has_venue", "has_team", "has_activities", "has_projects", "has_mechanism")


@dataclass(frozen=True)
class Scope:
    within_path: str | None  # None: the whole network
    first_day: date
    last_day: date  # inclusive
    now: datetime

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise DomainError(
                f"to ({self.last_day}) must not be before from ({self.first_day})", field="to", code="BAD_PERIOD"
            )

    @property
    def start(self) -> datetime:
        return clock.day_start(self.first_day)

    @property
    def end(self) -> datetime:
        return clock.day_start(self.last_day + timedelta(days=1))

    def sites(self) -> QuerySet[Site]:
        qs = Site.filter(deleted_at__isnull=True)
        return qs.filter(subtree(self.within_path)) if self.within_path else qs

    def occurrences(self) -> QuerySet[Occurrence]:
        """Public occurrences that start in the period (through the one occurrence query)."""
        flt = OccurrenceFilter(start=self.start, end=self.end, within_path=self.within_path)
        return flt.queryset().filter(starts_at__gte=self.start).order_by()


def default_period(today: date) -> tuple[date, date]:
    """This year so far: 1 January to today."""
    return date(today.year, 1, 1), today


# -- sites ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindFigures:
    kind: SiteKind
    sites: int
    has_venue: int
    has_team: int
    has_activities: int
    has_projects: int
    has_mechanism: int
    all_five: int


async def sites_by_kind(scope: Scope) -> list[KindFigures]:
    """Sites per kind with their five-haves (五有) counts, one GROUP BY."""
    # Annotations may not share a column's name (Tortoise would resolve the filter to itself).
    met = {f"n_{name}": Count("id", _filter=Q(**{name: True})) for name in FIVE_HAVES}
    rows = await (
        scope.sites()
        .annotate(n_sites=Count("id"), n_all_five=Count("id", _filter=Q(**{n: True for n in FIVE_HAVES})), **met)
        .group_by("kind")
        .values("kind", "n_sites", "n_all_five", *met)
    )
    found = {SiteKind(r["kind"]): r for r in rows}
    return [
        KindFigures(kind=k, **{f: int(found[k][f"n_{f}"]) for f in ("sites", "all_five", *FIVE_HAVES)})
        for k in SiteKind
        if k in found
    ]


async def star_ratings(scope: Scope) -> dict[int, int]:
    """How many sites carry each star rating (星级), one GROUP BY."""
    rows = await (
        scope.sites().filter(star_rating__isnull=False).annotate(n=Count("id")).group_by("star_rating").values("star_rating", "n")
    )
    return {int(r["star_rating"]): int(r["n"]) for r in rows}


@dataclass(frozen=True)
class Coverage:
    regions: int  # parents with region data (centres for townships, institutes for villages)
    units: int  # townships (villages) they say exist
    covered: int  # of those, how many have their institute (station)


COVERAGE_SQL = """
SELECT kind, COUNT(*), SUM(units), SUM(CASE WHEN n > units THEN units ELSE n END)
FROM (
  SELECT p.id, p.kind, p.region_unit_count AS units, COUNT(c.id) AS n
  FROM site p
  LEFT JOIN site c ON c.parent_id = p.id AND c.deleted_at IS NULL
    AND c.kind = CASE p.kind WHEN 'CENTER' THEN 'INSTITUTE' ELSE 'STATION' END
  WHERE p.kind IN ('CENTER', 'INSTITUTE') AND p.region_unit_count IS NOT NULL
    AND p.deleted_at IS NULL AND {in_subtree}
  GROUP BY p.id, p.kind, p.region_unit_count
) per_region
GROUP BY kind
"""


async def coverage(scope: Scope) -> dict[SiteKind, Coverage]:
    """Keyed by the parent kind: CENTER for townships, INSTITUTE for villages."""
    conn = connections.get("default")
    in_subtree, params = subtree_sql(conn.capabilities.dialect, "p.path", scope.within_path or "/")
    _, rows = await conn.execute_query(COVERAGE_SQL.format(in_subtree=in_subtree), params)
    found = {SiteKind(r[0]): Coverage(int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in (tuple(x) for x in rows)}
    return {k: found.get(k, Coverage(0, 0, 0)) for k in (SiteKind.CENTER, SiteKind.INSTITUTE)}


# -- teams ----------------------------------------------------------------------------------


def _teams(scope: Scope) -> QuerySet[Team]:
    qs = Team.filter(deleted_at__isnull=True)
    return qs.filter(subtree(scope.within_path, "home_site__path")) if scope.within_path else qs


def _memberships(scope: Scope) -> QuerySet[Membership]:
    # Subqueries, not joins: with a join Tortoise groups an ungrouped aggregate by every column.
    return Membership.filter(
        deleted_at__isnull=True,
        team_id__in=Subquery(_teams(scope).values("id")),
        person_id__in=Subquery(Person.filter(deleted_at__isnull=True).values("id")),
    )


async def teams_by_category(scope: Scope) -> dict[str, int]:
    rows = await _teams(scope).annotate(n=Count("id")).group_by("category").values("category", "n")
    return {str(r["category"]): int(r["n"]) for r in rows}


async def members_by_category(scope: Scope) -> dict[str, int]:
    """Distinct people in the teams of each category (someone in two teams of it counts once)."""
    rows = await (
        _memberships(scope).annotate(n=Count("person_id", distinct=True)).group_by("team__category").values("team__category", "n")
    )
    return {str(r["team__category"]): int(r["n"]) for r in rows}


async def volunteers(scope: Scope) -> int:
    """Distinct people in any team of the scope."""
    rows = await _memberships(scope).annotate(n=Count("person_id", distinct=True)).values("n")
    return int(rows[0]["n"]) if rows else 0


# -- held lectures and activities -------------------------------------------------------------


@dataclass(frozen=True)
class HeldRow:
    month: str  # "2026-03", Asia/Shanghai
    platform_id: int
    kind: EventKind
    held: int
    reached: int  # audience for lectures, beneficiaries for activities
    hours: float
    recorded_volunteer_hours: float  # from the ledger, where volunteers checked in and out
    estimated_volunteer_hours: float  # hours x team members, where nothing was recorded

    @property
    def volunteer_hours(self) -> float:
        return self.recorded_volunteer_hours + self.estimated_volunteer_hours


def _sql(dialect: str) -> dict[str, str]:
    """The two expressions SQLite and PostgreSQL spell differently. SQLite keeps datetimes as
    +08:00 text (api.domain.clock), so its first seven characters are the local month."""
    o = '"occurrence"'
    if dialect == "postgres":
        seconds = f"EXTRACT(EPOCH FROM ({o}.\"ends_at\" - {o}.\"starts_at\"))"
        month = f"to_char({o}.\"starts_at\" AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    else:
        seconds = f"(CAST(strftime('%s', {o}.\"ends_at\") AS INTEGER) - CAST(strftime('%s', {o}.\"starts_at\") AS INTEGER))"
        month = f"substr({o}.\"starts_at\", 1, 7)"
    hours = f"(CASE WHEN {o}.\"all_day\" THEN {seconds} * {ALL_DAY_HOURS_PER_DAY} / 24 ELSE {seconds} END) / 3600.0"
    members = (
        "(SELECT COUNT(*) FROM membership m WHERE m.team_id = " + o + '."team_id" AND m.deleted_at IS NULL)'
    )
    recorded = (
        "(SELECT SUM(h.minutes) FROM service_hours h WHERE h.event_id = " + o + '."event_id" AND h.recurrence_id = '
        + o + '."recurrence_id") / 60.0'
    )
    estimated = f"(CASE WHEN {recorded} IS NULL THEN {hours} * {members} ELSE 0 END)"
    return {"month": month, "hours": hours, "recorded": f"COALESCE({recorded}, 0)", "estimated": estimated}


def held(scope: Scope) -> QuerySet[Occurrence]:
    return scope.occurrences().filter(ends_at__lte=scope.now, cancelled=False, event_status=EventStatus.PUBLISHED)


async def held_by_month_and_platform(scope: Scope) -> list[HeldRow]:
    """Held occurrences grouped by month, platform and kind: totals, monthly and platform
    series all come from these few rows."""
    expr = _sql(connections.get("default").capabilities.dialect)
    rows = await (
        held(scope)
        .annotate(
            month=RawSQL(expr["month"]),
            held=Count("id"),
            attendance=Sum("event__attendance"),
            beneficiaries=Sum("event__beneficiaries"),
            hours=Sum(RawSQL(expr["hours"])),
            recorded=Sum(RawSQL(expr["recorded"])),
            estimated=Sum(RawSQL(expr["estimated"])),
        )
        .group_by("month", "platform_id", "kind")
        .values("month", "platform_id", "kind", "held", "attendance", "beneficiaries", "hours", "recorded", "estimated")
    )
    return [
        HeldRow(
            month=r["month"],
            platform_id=r["platform_id"],
            kind=EventKind(r["kind"]),
            held=int(r["held"]),
            reached=int((r["attendance"] if r["kind"] == EventKind.LECTURE else r["beneficiaries"]) or 0),
            hours=_number(r["hours"]),
            recorded_volunteer_hours=_number(r["recorded"]),
            estimated_volunteer_hours=_number(r["estimated"]),
        )
        for r in rows
    ]


def _number(value: float | Decimal | None) -> float:
    return round(float(value or 0), 2)


async def changes_at(scope: Scope) -> datetime:
    """When these figures next change with no write: the next end of an occurrence that will
    then count as held, or midnight (the default period moves with the date)."""
    rows = await (
        scope.occurrences()
        .filter(ends_at__gt=scope.now, cancelled=False, event_status=EventStatus.PUBLISHED)
        .annotate(next_end=Min("ends_at"))
        .values("next_end")
    )
    midnight = clock.day_start(clock.local(scope.now).date() + timedelta(days=1))
    next_end = rows[0]["next_end"] if rows else None
    return min(midnight, clock.local(next_end)) if next_end else midnight


def months(first_day: date, last_day: date) -> list[str]:
    """Every month of the period, "YYYY-MM", so a chart has no gaps."""
    out, y, m = [], first_day.year, first_day.month
    while (y, m) <= (last_day.year, last_day.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
