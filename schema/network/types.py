"""Sites, venues, platforms, teams, lecturers and campaigns as GraphQL types."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import relay

from api.domain.people import sees_private
from api.domain.sites import ancestor_ids, subtree
from api.models import events as em
from api.models import people as pm
from api.models import platforms as plm
from api.models import sites as sm
from api.models import teams as tm
from schema.core.context import Info
from schema.core.feeds import FeedKind, FeedLinks, FeedPlatforms, FeedSubtree, links, platform_codes
from schema.core.enums import (
    CampaignKindEnum,
    MemberRoleEnum,
    PilotLevelEnum,
    SiteKindEnum,
    TeamCategoryEnum,
    TeamKindEnum,
    VenueKindEnum,
)
from schema.core.nodes import LoadedNode, lazy_class

OccurrenceRef = Annotated["Occurrence", strawberry.lazy("schema.calendar.types")]
MembershipRef = Annotated["Membership", strawberry.lazy("schema.people.types")]
ReportRef = Annotated["Report", strawberry.lazy("schema.reports.types")]
LatestReports = Annotated[int, strawberry.argument(description="How many, 1-20 (page through the root field reports for more)")]
FEED = "iCal feed (日历订阅) of {what}: https, webcal:// and Google Calendar links"


@strawberry.type(description='The "five haves" (五有) assessment of a site.')
class FiveHaves:
    venue: bool = strawberry.field(description="有阵地: has a venue")
    team: bool = strawberry.field(description="有队伍: has a team")
    activities: bool = strawberry.field(description="有活动: holds activities")
    projects: bool = strawberry.field(description="有项目: runs projects")
    mechanism: bool = strawberry.field(description="有机制: has a working mechanism")

    @strawberry.field(description="How many of the five are met (0-5)")
    def score(self) -> int:
        return sum([self.venue, self.team, self.activities, self.projects, self.mechanism])


@strawberry.type(description="Pilot status (试点): the level and the date the site was named.")
class Pilot:
    level: PilotLevelEnum = strawberry.field(description="National, provincial or municipal")
    named_on: date | None = strawberry.field(description="The date it was named a pilot")


@strawberry.type(description="How many sites of one kind a subtree holds.")
class SiteKindCount:
    kind: SiteKindEnum = strawberry.field(description="The kind of site")
    count: int = strawberry.field(description="How many, below the site (the site itself not counted)")


@strawberry.type(description="A practice site (阵地): centre, sub-centre, institute, station, point or base.")
class Site(LoadedNode):
    _loader = "site"
    id: relay.NodeID[int]
    kind: SiteKindEnum = strawberry.field(description="The level of the site (中心 / 所 / 站 / 点 / 基地)")
    name: str = strawberry.field(description="Name, e.g. 洛阳镇新时代文明实践所")
    region_code: str | None = strawberry.field(description="Administrative region code (行政区划代码) of the area it serves")
    address: str = strawberry.field(description="Street address (地址)")
    latitude: float | None = strawberry.field(description="WGS-84 latitude")
    longitude: float | None = strawberry.field(description="WGS-84 longitude")
    opening_hours: str = strawberry.field(description="Opening hours (开放时间) as published")
    description: str = strawberry.field(description="Description (简介)")
    star_rating: int | None = strawberry.field(description="Star rating (星级实践所站), 1-5, where the city rates sites")
    depth: int = strawberry.field(description="Depth in the tree: 0 for a centre")
    updated_at: datetime = strawberry.field(description="When the site last changed")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    _row: strawberry.Private[sm.Site]

    @strawberry.field(description='The "five haves" (五有) assessment')
    def five_haves(self) -> FiveHaves:
        r = self._row
        return FiveHaves(
            venue=r.has_venue, team=r.has_team, activities=r.has_activities,
            projects=r.has_projects, mechanism=r.has_mechanism,
        )

    @strawberry.field(description="Contact person (联系人), private: null unless you can VIEW this site")
    def contact_name(self, info: Info) -> str | None:
        return self._row.contact_name if sees_private(info.context.actor, self._row.path) else None

    @strawberry.field(description="Contact phone (联系电话), private: null unless you can VIEW this site")
    def contact_phone(self, info: Info) -> str | None:
        return self._row.contact_phone if sees_private(info.context.actor, self._row.path) else None

    @strawberry.field(description="Pilot status (试点), if the site was named one")
    def pilot(self) -> Pilot | None:
        r = self._row
        return Pilot(level=r.pilot_level, named_on=r.pilot_date) if r.pilot_level else None

    @strawberry.field(description="The site directly above (null for a centre)")
    async def parent(self, info: Info) -> Site | None:
        pid = self._row.parent_id
        return Site.from_optional(await info.context.loaders.site.load(pid)) if pid else None

    @strawberry.field(description="Every site above, from the centre down to the parent")
    async def ancestors(self, info: Info) -> list[Site]:
        rows = await info.context.loaders.site.load_many(ancestor_ids(self._row.path))
        return [Site.from_row(r) for r in rows if r]

    @strawberry.field(description="The sites directly below")
    async def children(self, info: Info) -> list[Site]:
        return [Site.from_row(r) for r in await info.context.loaders.site_children.load(self.id)]

    @strawberry.field(description="How many sites of each kind the whole subtree below holds")
    async def subtree_counts(self, info: Info) -> list[SiteKindCount]:
        counts = await info.context.loaders.subtree_counts.load(self.id)
        return [SiteKindCount(kind=k, count=counts.get(k.value, 0)) for k in sm.SiteKind]

    @strawberry.field(description="Rooms, halls and squares (场地) of this site")
    async def venues(self, info: Info) -> list[Venue]:
        return [Venue.from_row(r) for r in await info.context.loaders.site_venues.load(self.id)]

    @strawberry.field(description="Teams whose home is this site")
    async def teams(self, info: Info) -> list[Team]:
        return [Team.from_row(r) for r in await info.context.loaders.site_teams.load(self.id)]

    @strawberry.field(description="The next occurrences at this site (not its subtree), cancelled ones left out")
    async def upcoming_occurrences(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many, 1-20")] = 5
    ) -> list[OccurrenceRef]:
        Occurrence = lazy_class(OccurrenceRef)  # the calendar sits above the network
        first = max(1, min(first, 20))
        return [Occurrence.from_row(r) for r in await info.context.loaders.upcoming(first).load(self.id)]

    @strawberry.field(description="The newest published reports (活动报道) of this site and its whole subtree")
    async def reports(self, info: Info, first: LatestReports = 5) -> list[ReportRef]:
        return await lazy_class(ReportRef).latest(info, first, subtree(self._row.path, "site_path"))

    @strawberry.field(description=FEED.format(what="the lectures and activities at this site (or its whole subtree)"))
    async def feed(
        self, info: Info, subtree: FeedSubtree = False, kind: FeedKind = None, platforms: FeedPlatforms = None
    ) -> FeedLinks:
        codes = await platform_codes(info, platforms)
        return links(info, "site", self.id, subtree=subtree, kind=kind, platform_codes=codes)


@strawberry.type(description="A venue (场地): a room, hall or square of a site where activities happen.")
class Venue(LoadedNode):
    _loader = "venue"
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name, e.g. 道德讲堂")
    kind: VenueKindEnum = strawberry.field(description="What kind of place it is")
    capacity: int | None = strawberry.field(description="How many people it holds")
    description: str = strawberry.field(description="Description")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    _row: strawberry.Private[sm.Venue]

    @strawberry.field(description="The site it belongs to")
    async def site(self, info: Info) -> Site | None:
        return Site.from_optional(await info.context.loaders.site.load(self._row.site_id))


@strawberry.type(description="A service platform (平台), e.g. 理论宣讲 or 卫生健康; each activity belongs to one.")
class Platform(LoadedNode):
    _loader = "platform"
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable code, e.g. THEORY; used in feed URLs")
    name: str = strawberry.field(description="Name, e.g. 理论宣讲平台")
    lead_unit: str = strawberry.field(description="The department that leads it (牵头单位)")
    description: str = strawberry.field(description="Description")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    sort_order: int = strawberry.field(description="Position in the list of platforms")
    _row: strawberry.Private[plm.Platform]

    @strawberry.field(description=FEED.format(what="everything on this platform, city-wide"))
    def feed(self, info: Info, kind: FeedKind = None) -> FeedLinks:
        return links(info, "platform", self.code, kind=kind)


@strawberry.type(description="A lecturer's public profile (宣讲员). Contact data is never public.")
class Lecturer(LoadedNode):
    _loader = "lecturer"
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name")
    title: str = strawberry.field(description="Title, e.g. 新时代宣讲员 or 新时代宣讲指导师")
    bio: str = strawberry.field(description="Short biography")
    topics: list[str] = strawberry.field(description="Topics they lecture on, e.g. 党的二十大精神")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    _row: strawberry.Private[pm.Person]

    @strawberry.field(description="The site they are based at")
    async def home_site(self, info: Info) -> Site | None:
        sid = self._row.home_site_id
        return Site.from_optional(await info.context.loaders.site.load(sid)) if sid else None

    @strawberry.field(description=FEED.format(what="the lectures this lecturer gives"))
    def feed(self, info: Info) -> FeedLinks:
        return links(info, "lecturer", self.id)


@strawberry.type(description="A public member of a team: lecturers are listed by name, volunteers only counted.")
class TeamMember:
    role: MemberRoleEnum = strawberry.field(description="Leader or member")
    lecturer: Lecturer = strawberry.field(description="The lecturer's public profile")


@strawberry.type(description="A volunteer or lecture team (队伍): 总队, 支队, 小队 or 队.")
class Team(LoadedNode):
    _loader = "team"
    id: relay.NodeID[int]
    kind: TeamKindEnum = strawberry.field(description="Level in the hierarchy")
    category: TeamCategoryEnum = strawberry.field(description='Category in the "10+N" scheme')
    category_label: str = strawberry.field(description='The "N" label of a thematic team (empty otherwise)')
    name: str = strawberry.field(description="Name, e.g. 洛地有声宣讲队")
    is_lecture_team: bool = strawberry.field(description="A lecture team (宣讲团 / 宣讲队 / 讲师团)")
    founded_on: date | None = strawberry.field(description="When it was founded")
    description: str = strawberry.field(description="Description")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    _row: strawberry.Private[tm.Team]

    @strawberry.field(description="The team above in the hierarchy")
    async def parent(self, info: Info) -> Team | None:
        pid = self._row.parent_id
        return Team.from_optional(await info.context.loaders.team.load(pid)) if pid else None

    @strawberry.field(description="The teams directly below")
    async def children(self, info: Info) -> list[Team]:
        return [Team.from_row(r) for r in await info.context.loaders.team_children.load(self.id)]

    @strawberry.field(description="The site the team is based at")
    async def home_site(self, info: Info) -> Site | None:
        return Site.from_optional(await info.context.loaders.site.load(self._row.home_site_id))

    @strawberry.field(description="Members with a public profile (lecturers); volunteers are only counted")
    async def members(self, info: Info) -> list[TeamMember]:
        rows = await info.context.loaders.team_members.load(self.id)
        return [TeamMember(role=m.role, lecturer=Lecturer.from_row(m.person)) for m in rows]

    @strawberry.field(description="Every membership, volunteers included: null unless you can VIEW the team's home site")
    async def memberships(self, info: Info) -> list[MembershipRef] | None:
        return await lazy_class(MembershipRef).of_team(info, self._row)

    @strawberry.field(description="How many members the team has in all")
    async def member_count(self, info: Info) -> int:
        return await info.context.loaders.member_count.load(self.id)

    @strawberry.field(description=FEED.format(what="the lectures and activities this team organises"))
    async def feed(self, info: Info, kind: FeedKind = None, platforms: FeedPlatforms = None) -> FeedLinks:
        return links(info, "team", self.id, kind=kind, platform_codes=await platform_codes(info, platforms))


@strawberry.type(description="A campaign: a festival campaign (节日), a monthly theme or a concentrated activity day.")
class Campaign(LoadedNode):
    _loader = "campaign"
    id: relay.NodeID[int]
    kind: CampaignKindEnum = strawberry.field(description="Festival, monthly theme or activity day")
    name: str = strawberry.field(description="Name, e.g. 学雷锋日")
    starts_on: date = strawberry.field(description="First day")
    ends_on: date = strawberry.field(description="Last day (inclusive)")
    description: str = strawberry.field(description="Description")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    _row: strawberry.Private[em.Campaign]

    @strawberry.field(description="The newest published reports (活动报道) of this campaign")
    async def reports(self, info: Info, first: LatestReports = 5) -> list[ReportRef]:
        return await lazy_class(ReportRef).latest(info, first, campaign_id=self.id)

    @strawberry.field(description=FEED.format(what="the lectures and activities of this campaign"))
    async def feed(self, info: Info, kind: FeedKind = None, platforms: FeedPlatforms = None) -> FeedLinks:
        return links(info, "campaign", self.id, kind=kind, platform_codes=await platform_codes(info, platforms))
