"""The network's root fields: sites, teams, lecturers, platforms, campaigns, and any node by id."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from api.domain import validation
from api.domain.errors import NotFound
from api.domain.sites import subtree
from api.models import events as em
from api.models import people as pm
from api.models import platforms as plm
from api.models import sites as sm
from api.models import teams as tm
from schema.core.context import Info, node_pk
from schema.core.enums import CampaignKindEnum, SiteKindEnum, TeamCategoryEnum, TeamKindEnum
from schema.core.pagination import Connection, by_date_then_id, by_id, paginate
from schema.network.types import Campaign, Lecturer, Platform, Site, Team

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
    text = validation.search_text(name, "name")
    return {"name__contains": text} if text else {}


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
        return await paginate(qs.order_by("starts_on", "id"), first=first, after=after, to_node=Campaign.from_row,
                              **by_date_then_id("starts_on"))
