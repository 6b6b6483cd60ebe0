"""Creating and editing people (lecturers and volunteers) and their team memberships."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from api.domain import audit
from api.domain import people as people_rules
from api.domain import teams as team_rules
from api.domain.errors import DomainError
from api.domain.permissions import NETWORK
from api.domain.scope import path_of
from api.domain.writes import Write, save_versioned
from api.models.accounts import Role
from api.models.people import Person as PersonRow
from api.models.sites import Site as SiteRow
from api.models.teams import MemberRole
from api.models.teams import Membership as MembershipRow
from api.models.teams import Team as TeamRow
from schema.core.context import Info
from schema.core.enums import MemberRoleEnum
from schema.core.inputs import load, load_optional, provided
from schema.core.mutation import payload, perform
from schema.network.mutations import not_null
from schema.people.types import Membership, Person

UNSET = strawberry.UNSET
PersonPayload = payload("PersonPayload", "person", Person, "person")
MembershipPayload = payload("MembershipPayload", "membership", Membership, "membership")


async def _load_person(gid: relay.GlobalID, field: str) -> PersonRow:
    """A person named by a Person ID or by their public Lecturer ID (the same row)."""
    if gid.type_name == "Lecturer":
        gid = relay.GlobalID("Person", gid.node_id)
    return await load(PersonRow, gid, "Person", field)


@strawberry.input(description="The editable fields of a person; on update, fields left out keep their value.")
class PersonFields:
    is_lecturer: bool | None = strawberry.field(default=UNSET, description="Give them a public lecturer profile (宣讲员)")
    title: str | None = strawberry.field(default=UNSET, description="Title, e.g. 新时代宣讲员 (up to 50)")
    bio: str | None = strawberry.field(default=UNSET, description="Short biography, public for a lecturer (up to 2000)")
    topics: list[str] | None = strawberry.field(default=UNSET, description="Topics they lecture on (up to 20, each up to 50)")
    phone: str | None = strawberry.field(default=UNSET, description="Phone (private)")
    volunteer_number: str | None = strawberry.field(default=UNSET, description="Volunteer number (志愿者编号, private)")


@strawberry.input(description="A new person: a volunteer, or a lecturer with isLecturer. Needs EDITOR on the home site.")
class CreatePersonInput(PersonFields):
    name: str = strawberry.field(description="Name, up to 50 characters")
    home_site_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The site they are based at; none: the whole network's (needs EDITOR on a centre)"
    )


@strawberry.input(description="Changes to a person. homeSiteId moves them (needs EDITOR on both sites).")
class UpdatePersonInput(PersonFields):
    id: relay.GlobalID = strawberry.field(description="The person: a Person or a Lecturer ID")
    version: int = strawberry.field(description="The version you read; a newer one means a colleague changed it")
    name: str | None = strawberry.field(default=UNSET, description="Name, up to 50 characters")
    home_site_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="Another home site (null: network-wide)")


async def _create_person(write: Write, input: CreatePersonInput) -> PersonRow:
    home = await load_optional(SiteRow, input.home_site_id, "Site", "homeSiteId")
    path = home.path if home else NETWORK
    write.actor.require(Role.EDITOR, path, where=f"site {home.name}" if home else "a person with no home site (network-wide)",
                        field="homeSiteId")
    fields = not_null(provided(input, exclude={"home_site_id"}), "is_lecturer", "title", "bio", "topics", "phone")
    person = await people_rules.create_person(home_site=home, **fields)
    await write.audit("CREATE", person, site_path=path)
    return person


async def _update_person(write: Write, input: UpdatePersonInput) -> PersonRow:
    person = await _load_person(input.id, "id")
    path = await path_of(person)
    write.actor.require(Role.EDITOR, path, where=f"person {person.name}", field="id")
    changes = not_null(provided(input, exclude={"id", "version", "home_site_id"}), "is_lecturer", "title", "bio", "topics", "phone")
    if input.home_site_id is not UNSET:
        home = await load_optional(SiteRow, input.home_site_id, "Site", "homeSiteId")
        path = home.path if home else NETWORK
        where = f"moving {person.name} to {home.name}" if home else f"making {person.name} network-wide"
        write.actor.require(Role.EDITOR, path, where=where, field="homeSiteId")
        changes["home_site_id"] = home.id if home else None
    before = audit.snapshot(person)
    person = await people_rules.update_person(person, input.version, changes)
    await write.audit("UPDATE", person, site_path=path, before=before)
    return person


@strawberry.input(description="Add a person to a team (needs EDITOR on the team's home site).")
class CreateMembershipInput:
    team_id: relay.GlobalID = strawberry.field(description="The team")
    person_id: relay.GlobalID = strawberry.field(description="The person (a Person or Lecturer ID); not already a member")
    role: MemberRoleEnum | None = strawberry.field(default=UNSET, description="Leader or member (default MEMBER)")
    joined_on: date | None = strawberry.field(default=UNSET, description="When they joined")


@strawberry.input(description="Changes to a membership: the role, the date joined.")
class UpdateMembershipInput:
    id: relay.GlobalID = strawberry.field(description="The membership")
    version: int = strawberry.field(description="The version you read; a newer one means a colleague changed it")
    role: MemberRoleEnum | None = strawberry.field(default=UNSET, description="Leader or member")
    joined_on: date | None = strawberry.field(default=UNSET, description="When they joined")


async def _create_membership(write: Write, input: CreateMembershipInput) -> MembershipRow:
    team = await load(TeamRow, input.team_id, "Team", "teamId")
    path = await path_of(team)
    write.actor.require(Role.EDITOR, path, where=f"team {team.name}", field="teamId")
    person = await _load_person(input.person_id, "personId")
    if not people_rules.sees_person(write.actor, person.is_lecturer, await path_of(person)):
        # Said without the name: a volunteer outside your scope is not yours to know.
        raise DomainError("personId: that person is outside your scope", field="personId", code="OUT_OF_SCOPE")
    fields = not_null(provided(input, exclude={"team_id", "person_id"}), "role")
    role = MemberRole(fields.get("role", MemberRole.MEMBER))
    membership = await team_rules.add_member(team, person, role=role, joined_on=fields.get("joined_on"))
    await write.audit("CREATE", membership, site_path=path)
    return membership


async def _update_membership(write: Write, input: UpdateMembershipInput) -> MembershipRow:
    membership = await load(MembershipRow, input.id, "Membership", "id")
    path = await path_of(membership)
    write.actor.require(Role.EDITOR, path, where="a membership of that team", field="id")
    before = audit.snapshot(membership)
    changes = not_null(provided(input, exclude={"id", "version"}), "role")
    if "role" in changes:
        changes["role"] = MemberRole(changes["role"])
    membership = await save_versioned(membership, input.version, changes, "the membership")
    await write.audit("UPDATE", membership, site_path=path, before=before)
    return membership


@strawberry.type(description="Editing people and team memberships.")
class PeopleMutation:
    @strawberry.mutation(description="Create a person: a volunteer, or a lecturer (needs EDITOR on their home site)")
    async def create_person(self, info: Info, input: CreatePersonInput) -> PersonPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_person(w, input))
        return PersonPayload(person=Person.from_optional(row), errors=errors)

    @strawberry.mutation(description="Edit a person, or move them to another home site")
    async def update_person(self, info: Info, input: UpdatePersonInput) -> PersonPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_person(w, input))
        return PersonPayload(person=Person.from_optional(row), errors=errors)

    @strawberry.mutation(description="Add a person to a team with a role (a second membership is a DUPLICATE)")
    async def create_membership(self, info: Info, input: CreateMembershipInput) -> MembershipPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_membership(w, input))
        return MembershipPayload(membership=Membership.from_optional(row), errors=errors)

    @strawberry.mutation(description="Change a member's role or joining date")
    async def update_membership(self, info: Info, input: UpdateMembershipInput) -> MembershipPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_membership(w, input))
        return MembershipPayload(membership=Membership.from_optional(row), errors=errors)
