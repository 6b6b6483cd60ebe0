"""Statistics for a big screen (数据大屏) as GraphQL: ``stats(within, from, to)``.

Every figure comes from an aggregate statement in api/domain/stats.py (definitions there).
Each field of ``Stats`` runs its statement only when asked for, at most once per request
(``Stats._once``), so a screen pays for what it shows and the count stays fixed.

To add a family of figures (the orders of issue 5): write its aggregate in api/domain, then
one resolver on ``Stats`` returning its own type, using ``self._scope`` and ``self._once``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import relay

from api.content import stats as report_stats
from api.domain import clock
from api.domain import stats as figures
from api.domain.errors import NotFound
from api.models import platforms as plm
from api.models.events import EventKind
from api.models.sites import SiteKind
from api.models.teams import TeamCategory
from schema.core.context import Info, node_pk
from schema.core.enums import SiteKindEnum, TeamCategoryEnum
from schema.core.persisted import answer_changes_at
from schema.network.types import Platform, Site

T = TypeVar("T")


@strawberry.type(description="How many sites of one kind the scope holds (the scope's own site included).")
class KindCount:
    kind: SiteKindEnum = strawberry.field(description="The kind of site")
    count: int = strawberry.field(description="How many")


@strawberry.type(description="Sites (阵地) in the scope.")
class SiteFigures:
    total: int = strawberry.field(description="All sites, the scope's own site included")
    by_kind: list[KindCount] = strawberry.field(description="Per kind, every kind listed (zeros included)")


@strawberry.type(description="Coverage of one level: how many of the region's units have their site.")
class CoverageFigure:
    regions: int = strawberry.field(
        description="Parent sites whose region data gives the number of units (centres for townships, "
        "institutes for villages); parents without it are left out"
    )
    units: int = strawberry.field(description="Units those regions have (乡镇/街道 or 村/社区)")
    covered: int = strawberry.field(description="Units with their site: each parent's sites of the level below, at most its units")
    rate: float | None = strawberry.field(description="covered / units, 0-1; null without region data")


@strawberry.type(description="Coverage (覆盖率) of the network, where the region data says how many units exist.")
class CoverageFigures:
    townships: CoverageFigure = strawberry.field(description="Townships and streets with an institute (实践所)")
    villages: CoverageFigure = strawberry.field(description="Villages and communities with a station (实践站)")


@strawberry.type(description='The "five haves" (五有) compliance of a group of sites.')
class FiveHavesFigures:
    kind: SiteKindEnum | None = strawberry.field(description="The kind of site; null for all kinds together")
    sites: int = strawberry.field(description="Sites assessed")
    venue: int = strawberry.field(description="有阵地: how many have a venue")
    team: int = strawberry.field(description="有队伍: how many have a team")
    activities: int = strawberry.field(description="有活动: how many hold activities")
    projects: int = strawberry.field(description="有项目: how many run projects")
    mechanism: int = strawberry.field(description="有机制: how many have a working mechanism")
    all_five: int = strawberry.field(description="How many meet all five")
    all_five_rate: float | None = strawberry.field(description="allFive / sites, 0-1; null when there are no sites")


@strawberry.type(description="How many sites carry one star rating.")
class StarCount:
    stars: int = strawberry.field(description="The rating, 1-5 stars (星级)")
    sites: int = strawberry.field(description="How many sites carry it")


@strawberry.type(description="Star ratings (星级实践所站) in the scope.")
class StarFigures:
    rated: int = strawberry.field(description="Sites with a rating")
    by_stars: list[StarCount] = strawberry.field(description="From 1 to 5 stars, every rating listed")


@strawberry.type(description="Teams of one category and their members.")
class CategoryFigures:
    category: TeamCategoryEnum = strawberry.field(description='The category ("10+N")')
    teams: int = strawberry.field(description="Teams of this category")
    members: int = strawberry.field(description="People in them (someone in two such teams counts once)")


@strawberry.type(description="Volunteer and lecture teams (队伍) based in the scope.")
class TeamFigures:
    teams: int = strawberry.field(description="All teams")
    members: int = strawberry.field(description="People in any of them, each counted once")
    by_category: list[CategoryFigures] = strawberry.field(description="Per category that has teams, in the enum's order")


@strawberry.type(
    description="Lectures and activities held (已开展): occurrences that started in the period, had ended by the "
    "time of asking, and were not cancelled."
)
class HeldFigures:
    lectures: int = strawberry.field(description="Lectures (宣讲) held")
    audience: int = strawberry.field(
        description="Their audience (听众人次): the recorded attendance of each held lecture (a series' per session)"
    )
    activities: int = strawberry.field(description="Activities (活动) held")
    beneficiaries: int = strawberry.field(
        description="Their beneficiaries (受益群众人次): the recorded figure of each held activity (a series' per session)"
    )
    service_hours: float = strawberry.field(
        description="Hours of the held lectures and activities (an all-day one counts 8 hours a day)"
    )
    volunteer_service_hours: float = strawberry.field(
        description="Volunteer service hours (志愿服务时长): recordedVolunteerHours + estimatedVolunteerHours. The "
        "national volunteer system's records stay the authority"
    )
    recorded_volunteer_hours: float = strawberry.field(
        description="Hours recorded in the service-hours ledger (签到/签退, corrections included) for the held "
        "occurrences whose volunteers checked in and out"
    )
    estimated_volunteer_hours: float = strawberry.field(
        description="An estimate for the held occurrences where nothing was recorded: each one's hours times the "
        "members of its organising team (every member counted for the whole session; none without a team)"
    )


@strawberry.type(description="Held lectures and activities in one month, for a chart.")
class MonthFigures(HeldFigures):
    month: str = strawberry.field(description='The month, "YYYY-MM" (Asia/Shanghai)')


@strawberry.type(description="Held lectures and activities of one service platform, for a chart.")
class PlatformFigures(HeldFigures):
    platform: Platform = strawberry.field(description="The platform (平台)")


@strawberry.type(description="Reports published in one month.")
class ReportMonth:
    month: str = strawberry.field(description='The month, "YYYY-MM" (Asia/Shanghai)')
    published: int = strawberry.field(description="Reports published that month")


@strawberry.type(description="Reports published on the events of one service platform.")
class ReportPlatform:
    platform: Platform = strawberry.field(description="The platform (平台)")
    published: int = strawberry.field(description="Reports published in the period on its lectures and activities")


@strawberry.type(description="Reports (活动报道) published in the period (by their publication time).")
class ReportFigures:
    published: int = strawberry.field(description="Reports published in the period")
    on_no_event: int = strawberry.field(description="Of these, reports on no event (so on no platform)")
    by_month: list[ReportMonth] = strawberry.field(description="Per month of the period, every month listed")
    by_platform: list[ReportPlatform] = strawberry.field(description="Per platform of the report's event, every platform listed")


def _held(rows: list[figures.HeldRow], **extra: Any) -> dict[str, Any]:
    lectures = [r for r in rows if r.kind == EventKind.LECTURE]
    activities = [r for r in rows if r.kind == EventKind.ACTIVITY]
    return dict(
        lectures=sum(r.held for r in lectures),
        audience=sum(r.reached for r in lectures),
        activities=sum(r.held for r in activities),
        beneficiaries=sum(r.reached for r in activities),
        service_hours=round(sum(r.hours for r in rows), 2),
        volunteer_service_hours=round(sum(r.volunteer_hours for r in rows), 2),
        recorded_volunteer_hours=round(sum(r.recorded_volunteer_hours for r in rows), 2),
        estimated_volunteer_hours=round(sum(r.estimated_volunteer_hours for r in rows), 2),
        **extra,
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@strawberry.type(
    description="Figures of the network or of one site's subtree for a period, computed in the database. "
    "Sites, coverage, five haves, stars and teams are as of now; held figures are for the period."
)
class Stats:
    within: Site | None = strawberry.field(description="The site whose subtree is counted; null for the whole network")
    first_day: date = strawberry.field(name="from", description="First day of the period")
    last_day: date = strawberry.field(name="to", description="Last day of the period (inclusive)")
    _scope: strawberry.Private[figures.Scope]
    _tasks: strawberry.Private[dict[str, asyncio.Task]]

    def _once(self, name: str, compute: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """One statement per figure family and request, however many fields share it."""
        if name not in self._tasks:
            self._tasks[name] = asyncio.ensure_future(compute())
        return self._tasks[name]

    @strawberry.field(description="Sites by kind")
    async def sites(self) -> SiteFigures:
        rows = {r.kind: r.sites for r in await self._once("sites", lambda: figures.sites_by_kind(self._scope))}
        return SiteFigures(
            total=sum(rows.values()), by_kind=[KindCount(kind=k, count=rows.get(k, 0)) for k in SiteKind]
        )

    @strawberry.field(description="Townships with an institute, villages with a station, where region data exists")
    async def coverage(self) -> CoverageFigures:
        found = await self._once("coverage", lambda: figures.coverage(self._scope))

        def figure(c: figures.Coverage) -> CoverageFigure:
            return CoverageFigure(regions=c.regions, units=c.units, covered=c.covered, rate=_rate(c.covered, c.units))

        return CoverageFigures(townships=figure(found[SiteKind.CENTER]), villages=figure(found[SiteKind.INSTITUTE]))

    @strawberry.field(description='"Five haves" (五有) compliance of every site in the scope')
    async def five_haves(self) -> FiveHavesFigures:
        rows = await self._once("sites", lambda: figures.sites_by_kind(self._scope))
        total = {f: sum(getattr(r, f) for r in rows) for f in ("sites", *figures.FIVE_HAVES, "all_five")}
        return self._five(None, total)

    @strawberry.field(description='"Five haves" (五有) compliance per kind of site (kinds with sites only)')
    async def five_haves_by_kind(self) -> list[FiveHavesFigures]:
        rows = await self._once("sites", lambda: figures.sites_by_kind(self._scope))
        return [self._five(r.kind, vars(r)) for r in rows]

    @staticmethod
    def _five(kind: SiteKind | None, r: dict[str, Any]) -> FiveHavesFigures:
        return FiveHavesFigures(
            kind=kind, sites=r["sites"], venue=r["has_venue"], team=r["has_team"], activities=r["has_activities"],
            projects=r["has_projects"], mechanism=r["has_mechanism"], all_five=r["all_five"],
            all_five_rate=_rate(r["all_five"], r["sites"]),
        )

    @strawberry.field(description="Star ratings (星级) of the sites")
    async def stars(self) -> StarFigures:
        found = await self._once("stars", lambda: figures.star_ratings(self._scope))
        return StarFigures(
            rated=sum(found.values()), by_stars=[StarCount(stars=n, sites=found.get(n, 0)) for n in range(1, 6)]
        )

    @strawberry.field(description="Teams based in the scope and their members, by category")
    async def teams(self) -> TeamFigures:
        teams, members, people = await asyncio.gather(
            self._once("teams", lambda: figures.teams_by_category(self._scope)),
            self._once("members", lambda: figures.members_by_category(self._scope)),
            self._once("volunteers", lambda: figures.volunteers(self._scope)),
        )
        return TeamFigures(
            teams=sum(teams.values()),
            members=people,
            by_category=[
                CategoryFigures(category=c, teams=teams[c.value], members=members.get(c.value, 0))
                for c in TeamCategory
                if c.value in teams
            ],
        )

    async def _held_rows(self, info: Info) -> list[figures.HeldRow]:
        rows, changes_at = await asyncio.gather(
            self._once("held", lambda: figures.held_by_month_and_platform(self._scope)),
            self._once("changes_at", lambda: figures.changes_at(self._scope)),
        )
        answer_changes_at(info, changes_at)  # held figures grow as occurrences end
        return rows

    @strawberry.field(description="Lectures and activities held in the period, their audience and service hours")
    async def held(self, info: Info) -> HeldFigures:
        return HeldFigures(**_held(await self._held_rows(info)))

    @strawberry.field(description="The held figures per month of the period, every month listed (a chart's series)")
    async def by_month(self, info: Info) -> list[MonthFigures]:
        rows = await self._held_rows(info)
        per_month: dict[str, list[figures.HeldRow]] = defaultdict(list)
        for r in rows:
            per_month[r.month].append(r)
        return [
            MonthFigures(**_held(per_month[m], month=m))
            for m in figures.months(self._scope.first_day, self._scope.last_day)
        ]

    @strawberry.field(description="The held figures per service platform, every platform listed in display order")
    async def by_platform(self, info: Info) -> list[PlatformFigures]:
        rows, platforms = await asyncio.gather(
            self._held_rows(info),
            self._once("platforms", lambda: _all(plm.Platform.filter(deleted_at__isnull=True).order_by("sort_order", "id"))),
        )
        per_platform: dict[int, list[figures.HeldRow]] = defaultdict(list)
        for r in rows:
            per_platform[r.platform_id].append(r)
        return [PlatformFigures(**_held(per_platform[p.id], platform=Platform.from_row(p))) for p in platforms]


    @strawberry.field(description="Reports (活动报道) published in the period: in all, per month, per platform")
    async def reports(self) -> ReportFigures:
        rows, platforms = await asyncio.gather(
            self._once("reports", lambda: report_stats.published_by_month_and_platform(self._scope)),
            self._once("platforms", lambda: _all(plm.Platform.filter(deleted_at__isnull=True).order_by("sort_order", "id"))),
        )
        per_month: dict[str, int] = defaultdict(int)
        per_platform: dict[int | None, int] = defaultdict(int)
        for r in rows:
            per_month[r.month] += r.published
            per_platform[r.platform_id] += r.published
        return ReportFigures(
            published=sum(r.published for r in rows),
            on_no_event=per_platform[None],
            by_month=[ReportMonth(month=m, published=per_month[m])
                      for m in figures.months(self._scope.first_day, self._scope.last_day)],
            by_platform=[ReportPlatform(platform=Platform.from_row(p), published=per_platform[p.id]) for p in platforms],
        )


async def _all(qs: Any) -> list[Any]:
    return list(await qs)


@strawberry.type(description="Figures for big screens (数据大屏).")
class StatsQuery:
    @strawberry.field(
        description="Figures of the network, or of one site's subtree, for a period (default: this year so far). "
        "For a screen that polls, ask for the trusted document `stats` over GET (docs/screens.md)"
    )
    async def stats(
        self,
        info: Info,
        within: Annotated[
            relay.GlobalID | None, strawberry.argument(description="A site: count it and its whole subtree")
        ] = None,
        first_day: Annotated[
            date | None, strawberry.argument(name="from", description="First day of the period (default 1 January)")
        ] = None,
        last_day: Annotated[
            date | None, strawberry.argument(name="to", description="Last day of the period, inclusive (default today)")
        ] = None,
    ) -> Stats:
        site = None
        if within is not None:
            site = await info.context.loaders.site.load(node_pk(within, "Site", "within"))
            if site is None:
                raise NotFound("site", within, field="within")
        now = clock.now()
        default_first, default_last = figures.default_period(clock.local(now).date())
        scope = figures.Scope(
            within_path=site.path if site else None,
            first_day=first_day or default_first,
            last_day=last_day or default_last,
            now=now,
        )
        return Stats(
            within=Site.from_optional(site), first_day=scope.first_day, last_day=scope.last_day, _scope=scope, _tasks={}
        )
