"""People and team memberships as GraphQL types: seen only by those entitled to.

A lecturer's public face is `Lecturer` (schema/network/types.py). `Person` is the editing view of
anyone, volunteers included: a volunteer exists, by name, only for callers who can VIEW their
home site; phones and volunteer numbers only for those callers, even for lecturers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.domain.people import sees_person, sees_private
from api.domain.permissions import NETWORK
from api.models import people as pm
from api.models import teams as tm
from schema.core.context import Info
from schema.core.enums import MemberRoleEnum
from schema.core.nodes import LoadedNode

if TYPE_CHECKING:
    from schema.network.types import Lecturer, Site, Team

SiteRef = Annotated["Site", strawberry.lazy("schema.network.types")]
TeamRef = Annotated["Team", strawberry.lazy("schema.network.types")]
LecturerRef = Annotated["Lecturer", strawberry.lazy("schema.network.types")]


async def site_path(info: Info, site_id: int | None) -> str | None:
    """The path of a site (deleted or not); NETWORK for no site."""
    if site_id is None:
        return NETWORK
    site = await info.context.loaders.any_site.load(site_id)
    return site.path if site else NETWORK


async def team_path(info: Info, team_id: int) -> str | None:
    team = await info.context.loaders.team.load(team_id)
    return await site_path(info, team.home_site_id) if team else NETWORK


@strawberry.type(
    description="A person (志愿者 / 宣讲员) as editors see them. A volunteer is visible only to callers who can "
    "VIEW their home site; a lecturer to everyone (see also Lecturer). Phone and volunteer number are private."
)
class Person(LoadedNode):
    _loader = "person"
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name")
    is_lecturer: bool = strawberry.field(description="Has a public lecturer profile (宣讲员)")
    title: str = strawberry.field(description="Title, e.g. 新时代宣讲员")
    bio: str = strawberry.field(description="Short biography (public for a lecturer)")
    topics: list[str] = strawberry.field(description="Topics they lecture on")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    _row: strawberry.Private[pm.Person]

    async def _private(self, info: Info, value: str | None) -> str | None:
        return value if sees_private(info.context.actor, await site_path(info, self._row.home_site_id)) else None

    @strawberry.field(description="Phone (private): null unless you can VIEW the person's home site")
    async def phone(self, info: Info) -> str | None:
        return await self._private(info, self._row.phone)

    @strawberry.field(description="Volunteer number (志愿者编号, private): null unless you can VIEW the person's home site")
    async def volunteer_number(self, info: Info) -> str | None:
        return await self._private(info, self._row.volunteer_number)

    @strawberry.field(description="The site they are based at (null: the whole network's)")
    async def home_site(self, info: Info) -> SiteRef | None:
        from schema.network.types import Site

        sid = self._row.home_site_id
        return Site.from_optional(await info.context.loaders.site.load(sid)) if sid else None

    @strawberry.field(description="The public lecturer profile, for a lecturer")
    def lecturer(self) -> LecturerRef | None:
        from schema.network.types import Lecturer

        return Lecturer.from_row(self._row) if self._row.is_lecturer else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        people = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        return [p if p and sees_person(info.context.actor, p.is_lecturer, await site_path(info, p._row.home_site_id)) else None
                for p in people]


@strawberry.type(
    description="A person's place in a team (队员), with their role. Visible to callers who can VIEW the team's "
    "home site; a lecturer's membership to everyone."
)
class Membership(LoadedNode):
    _loader = "membership"
    id: relay.NodeID[int]
    role: MemberRoleEnum = strawberry.field(description="Leader or member")
    joined_on: date | None = strawberry.field(description="When they joined")
    version: int = strawberry.field(description="Grows by one on every change: send it back with an update")
    _row: strawberry.Private[tm.Membership]

    @strawberry.field(description="The team")
    async def team(self, info: Info) -> TeamRef | None:
        from schema.network.types import Team

        return Team.from_optional(await info.context.loaders.team.load(self._row.team_id))

    @strawberry.field(description="The member (private fields still need VIEWER on the person's own home site)")
    async def person(self, info: Info) -> Person | None:
        return Person.from_optional(await info.context.loaders.person.load(self._row.person_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await super().resolve_nodes(info=info, node_ids=node_ids, required=required)
        visible = []
        for m in found:
            person = await info.context.loaders.person.load(m._row.person_id) if m else None
            ok = person is not None and sees_person(info.context.actor, person.is_lecturer, await team_path(info, m._row.team_id))
            visible.append(m if ok else None)
        return visible

    @classmethod
    async def of_team(cls, info: Info, team: tm.Team) -> list[Membership] | None:
        """Every membership of a team, volunteers included: null unless the caller can VIEW its site."""
        if not sees_private(info.context.actor, await site_path(info, team.home_site_id)):
            return None
        return [cls.from_row(m) for m in await info.context.loaders.team_memberships.load(team.id)]
