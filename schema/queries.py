"""The root Query: the public read API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from api.domain.errors import DomainError, NotFound
from api.domain.occurrences import OccurrenceFilter, after_cursor
from api.domain.sites import subtree
from api.models import events as em
from api.models import people as pm
from api.models import platforms as plm
from api.models import sites as sm
from api.models import teams as tm
from schema.calendar import Occurrence
from schema.context import Info, node_pk, node_pks
from schema.enums import CampaignKindEnum, EventKindEnum, SiteKindEnum, TeamCategoryEnum, TeamKindEnum
from schema.network import Campaign, Lecturer, Platform, Site, Team
from schema.pagination import Connection, by_id, paginate

First = Annotated[int | None, strawberry.argument(description="Page size, 0-100 (default 20)")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the last item already seen")]
WithinArg = Annotated[
    relay.GlobalID | None, strawberry.argument(description="A site: only things in it and its whole subtree")
]
LIVE = {"deleted_at__isnull": True}


async def _site_path(info: Info, gid: relay.GlobalID | None, field: str) -> str | None:
    pk = node_pk(gid, "Site", field)
    if pk is None:
        return None
    row = await info.context.loaders.site.load(pk)
    if row is None:
        raise NotFound("site", gid, field=field)
    return row.path


def _name_filter(name: str | None) -> dict:
    # Plain substring match: works for two-character Chinese queries (讲座) on both backends.
    return {"name__contains": name.strip()} if name and name.strip() else {}


@strawberry.type(description="Public read access to the practice-centre network and its calendars.")
class NetworkQuery:
    node: relay.Node | None = relay.node(description="Any object by its global ID")
    nodes: list[relay.Node | None] = relay.node(description="Several objects by their global IDs, in order")

    @strawberry.field(description="A site by its global ID")
    async def site(self, info: Info, id: Annotated[relay.GlobalID, strawberry.argument(description="Global ID of a Site")]) -> Site | None:
        pk = node_pk(id, "Site", "id")
        return Site.from_optional(await info.context.loaders.site.load(pk))

    @strawberry.field(description="Sites (阵地), filtered; in id order")
    async def sites(
        self,
        info: Info,
        kind: Annotated[list[SiteKindEnum] | None, strawberry.argument(description="Only these kinds")] = None,
        region: Annotated[str | None, strawberry.argument(description="Region code prefix, e.g. 350502")] = None,
        parent: Annotated[relay.GlobalID | None, strawberry.argument(description="Only direct children of this site")] = None,
        within: WithinArg = None,
        name: Annotated[str | None, strawberry.argument(description="Name contains this text")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Site]:
        qs = sm.Site.filter(**LIVE, **_name_filter(name))
        if kind:
            qs = qs.filter(kind__in=[k.value for k in kind])
        if region:
            qs = qs.filter(region_code__startswith=region.strip())
        if parent is not None:
            qs = qs.filter(parent_id=node_pk(parent, "Site", "parent"))
        if path := await _site_path(info, within, "within"):
            qs = qs.filter(subtree(path))
        return await paginate(qs.order_by("id"), first=first, after=after, to_node=Site.from_row, **by_id())

    @strawberry.field(description="A team by its global ID")
    async def team(self, info: Info, id: Annotated[relay.GlobalID, strawberry.argument(description="Global ID of a Team")]) -> Team | None:
        return Team.from_optional(await info.context.loaders.team.load(node_pk(id, "Team", "id")))

    @strawberry.field(description="Volunteer and lecture teams (队伍), filtered; in id order")
    async def teams(
        self,
        info: Info,
        within: Annotated[relay.GlobalID | None, strawberry.argument(description="Teams based in this site's subtree")] = None,
        kind: Annotated[list[TeamKindEnum] | None, strawberry.argument(description="Only these levels")] = None,
        category: Annotated[list[TeamCategoryEnum] | None, strawberry.argument(description="Only these categories")] = None,
        lecture_teams: Annotated[bool | None, strawberry.argument(description="true: only lecture teams; false: none")] = None,
        name: Annotated[str | None, strawberry.argument(description="Name contains this text")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Team]:
        qs = tm.Team.filter(**LIVE, **_name_filter(name))
        if kind:
            qs = qs.filter(kind__in=[k.value for k in kind])
        if category:
            qs = qs.filter(category__in=[c.value for c in category])
        if lecture_teams is not None:
            qs = qs.filter(is_lecture_team=lecture_teams)
        if path := await _site_path(info, within, "within"):
            qs = qs.filter(subtree(path, "home_site__path"))
        return await paginate(qs.order_by("id"), first=first, after=after, to_node=Team.from_row, **by_id())

    @strawberry.field(description="Lecturers (宣讲员) with a public profile; in id order")
    async def lecturers(
        self,
        info: Info,
        within: Annotated[relay.GlobalID | None, strawberry.argument(description="Lecturers based in this site's subtree")] = None,
        name: Annotated[str | None, strawberry.argument(description="Name contains this text")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Lecturer]:
        qs = pm.Person.filter(is_lecturer=True, **LIVE, **_name_filter(name))
        if path := await _site_path(info, within, "within"):
            qs = qs.filter(subtree(path, "home_site__path"))
        return await paginate(qs.order_by("id"), first=first, after=after, to_node=Lecturer.from_row, **by_id())

    @strawberry.field(description="The service platforms (平台), in display order")
    async def platforms(self) -> list[Platform]:
        return [Platform.from_row(p) for p in await plm.Platform.filter(**LIVE).order_by("sort_order", "id")]

    @strawberry.field(description="Campaigns (节日活动, 月度主题, 集中活动日) overlapping the dates given; by start date")
    async def campaigns(
        self,
        info: Info,
        on_or_after: Annotated[datetime | None, strawberry.argument(name="from", description="Ending on or after this")] = None,
        before: Annotated[datetime | None, strawberry.argument(name="to", description="Starting before this")] = None,
        kind: Annotated[list[CampaignKindEnum] | None, strawberry.argument(description="Only these kinds")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Campaign]:
        qs = em.Campaign.filter(**LIVE)
        if on_or_after:
            qs = qs.filter(ends_on__gte=on_or_after.date())
        if before:
            qs = qs.filter(starts_on__lt=before.date())
        if kind:
            qs = qs.filter(kind__in=[k.value for k in kind])
        return await paginate(qs.order_by("id"), first=first, after=after, to_node=Campaign.from_row, **by_id())

    @strawberry.field(
        description="Occurrences of published lectures and activities overlapping [from, to), in time order. "
        "Cancelled ones are included with status CANCELLED. The window may be at most 400 days."
    )
    async def occurrences(
        self,
        info: Info,
        start: Annotated[datetime, strawberry.argument(name="from", description="Window start (with offset)")],
        end: Annotated[datetime, strawberry.argument(name="to", description="Window end, exclusive (with offset)")],
        within: WithinArg = None,
        site: Annotated[relay.GlobalID | None, strawberry.argument(description="Only this site (not its subtree)")] = None,
        kind: Annotated[list[EventKindEnum] | None, strawberry.argument(description="Only lectures or only activities")] = None,
        platform: Annotated[list[relay.GlobalID] | None, strawberry.argument(description="Only these platforms")] = None,
        team: Annotated[relay.GlobalID | None, strawberry.argument(description="Only this organising team")] = None,
        lecturer: Annotated[relay.GlobalID | None, strawberry.argument(description="Only lectures by this lecturer")] = None,
        campaign: Annotated[relay.GlobalID | None, strawberry.argument(description="Only this campaign")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Occurrence]:
        if start.tzinfo is None or end.tzinfo is None:
            raise DomainError("from and to need a UTC offset, e.g. 2026-03-05T00:00:00+08:00", field="from", code="NO_OFFSET")
        flt = OccurrenceFilter(
            start=start,
            end=end,
            within_path=await _site_path(info, within, "within"),
            site_id=node_pk(site, "Site", "site"),
            kinds=[em.EventKind(k.value) for k in kind or []],
            platform_ids=node_pks(platform, "Platform", "platform"),
            team_id=node_pk(team, "Team", "team"),
            lecturer_id=node_pk(lecturer, "Lecturer", "lecturer"),
            campaign_id=node_pk(campaign, "Campaign", "campaign"),
        )
        return await paginate(
            flt.queryset(),
            first=first,
            after=after,
            key=lambda r: (r.starts_at.timestamp(), r.id),
            after_key=lambda k: after_cursor(_from_timestamp(k[0]), int(k[1])),
            key_size=2,
            to_node=Occurrence.from_row,
        )


def _from_timestamp(value: float) -> datetime:
    from datetime import UTC

    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DomainError("after is not a cursor from this list", field="after", code="BAD_CURSOR") from exc
