"""Volunteering in GraphQL: sign-ups, places left, and who may see a sign-up's private fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from api.domain.clock import local, now
from api.models import events as em
from api.models.accounts import Role
from api.models.people import Person as PersonRow
from api.models.volunteering import Signup as SignupRow
from api.models.volunteering import SignupStatus
from api.models.volunteering import Volunteer as VolunteerRow
from api.volunteering import signups as rules
from schema.calendar.types import Occurrence
from schema.core.context import Info
from schema.core.enums import graphql_enum
from schema.core.nodes import row_values

SignupStatusEnum = graphql_enum(SignupStatus, "Where a sign-up (报名) stands.", {
    "CONFIRMED": "已报名: has a place",
    "WAITING": "候补: on the waiting list; moves up by itself when someone with a place cancels",
    "CANCELLED": "已取消: cancelled by the person who signed up",
})


class VolunteerLoaders:
    """Per-request loaders of the volunteering area (kept on the request's Loaders)."""

    def __init__(self) -> None:
        self.places = DataLoader(rules.places)
        self.person_of = DataLoader(self._people)

    @staticmethod
    async def _people(volunteer_ids: Sequence[int]) -> list[PersonRow | None]:
        rows = await VolunteerRow.filter(id__in=list(volunteer_ids)).select_related("person")
        found = {r.id: r.person for r in rows}
        return [found.get(i) for i in volunteer_ids]


def volunteer_loaders(info: Info) -> VolunteerLoaders:
    return vars(info.context.loaders).setdefault("_volunteers", VolunteerLoaders())


def mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def staff_sees(info: Info, row: SignupRow) -> bool:
    """Private fields are for VIEWER+ on the event's site."""
    return info.context.actor.can(Role.VIEWER, row.site_path)


@strawberry.type(description="Sign-up (报名) for one occurrence: places and when it is open. Public; no names.")
class SignupPlaces:
    capacity: int = strawberry.field(description="Places in all")
    confirmed: int = strawberry.field(description="Places taken (已报名)")
    places_left: int = strawberry.field(description="Places still free (剩余名额)")
    waiting: int = strawberry.field(description="People on the waiting list (候补)")
    opens_at: datetime | None = strawberry.field(description="When sign-up opens (null: open already)")
    closes_at: datetime = strawberry.field(description="When sign-up closes (default: when the occurrence starts)")
    residents_allowed: bool = strawberry.field(description="Residents may sign up with a name and phone, not only volunteers")
    open: bool = strawberry.field(description="Sign-up is open now (between opensAt and closesAt, not cancelled)")

    @classmethod
    async def of_occurrence(cls, info: Info, row: em.Occurrence) -> Self | None:
        found = await volunteer_loaders(info).places.load((row.event_id, local(row.recurrence_id)))
        if found is None:
            return None
        sheet = found.sheet
        closes = local(sheet.closes_at or row.starts_at)
        moment = now()
        is_open = ((sheet.opens_at is None or sheet.opens_at <= moment) and moment < closes and not row.cancelled
                   and row.event_status == em.EventStatus.PUBLISHED)
        return cls(capacity=sheet.capacity, confirmed=found.confirmed, places_left=found.left, waiting=found.waiting,
                   opens_at=local(sheet.opens_at) if sheet.opens_at else None, closes_at=closes,
                   residents_allowed=sheet.residents_allowed, open=is_open)


@strawberry.type(description="A sign-up (报名) for one occurrence, by a volunteer or a resident. Staff with VIEWER on "
                 "the event's site see it in full; the person who signed up sees it with their token; nobody else.")
class Signup(relay.Node):
    id: relay.NodeID[int]
    status: SignupStatusEnum = strawberry.field(description="Has a place, waiting, or cancelled")
    created_at: datetime = strawberry.field(description="When they signed up")
    confirmed_at: datetime | None = strawberry.field(description="When they got a place (at once, or moved up)")
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled")
    _row: strawberry.Private[SignupRow]
    _owner: strawberry.Private[bool] = False

    @classmethod
    def of(cls, row: SignupRow, *, owner: bool = False) -> Self:
        return cls(**row_values(cls, row), _row=row, _owner=owner)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = {r.id: r for r in await SignupRow.filter(id__in=ids)}
        return [cls.of(r) if (r := rows.get(int(i) if str(i).isdigit() else -1)) and staff_sees(info, r) else None
                for i in node_ids]

    @strawberry.field(description="The occurrence signed up for (null if it is no longer on the calendar)")
    async def occurrence(self, info: Info) -> Occurrence | None:
        row = await info.context.loaders.occurrence.load((self._row.event_id, local(self._row.recurrence_id)))
        return Occurrence.from_row(row) if row else None

    @strawberry.field(description="Place on the waiting list, 1 for the next to move up; null unless WAITING")
    async def waiting_position(self) -> int | None:
        return await rules.position(self._row)

    @strawberry.field(description="Signed up as a volunteer (志愿者) rather than as a resident")
    def by_volunteer(self) -> bool:
        return self._row.volunteer_id is not None

    @strawberry.field(description="Private: the name of the volunteer or resident, for staff and the person themselves")
    async def name(self, info: Info) -> str | None:
        if not (self._owner or staff_sees(info, self._row)):
            return None
        if self._row.volunteer_id is None:
            return self._row.resident_name
        person = await volunteer_loaders(info).person_of.load(self._row.volunteer_id)
        return person.name if person else None

    @strawberry.field(description="Private: a resident's phone, for staff; the resident sees it masked; null for volunteers")
    def resident_phone(self, info: Info) -> str | None:
        phone = self._row.resident_phone
        if phone is None:
            return None
        if staff_sees(info, self._row):
            return phone
        return mask_phone(phone) if self._owner else None


@strawberry.type(description="A volunteer's profile (志愿者): what staff and the volunteer themselves see.")
class VolunteerProfile:
    show_on_leaderboard: bool = strawberry.field(description="The volunteer agreed to be named on public leaderboards")
    _row: strawberry.Private[VolunteerRow]
    _person: strawberry.Private[PersonRow]

    @classmethod
    def of(cls, row: VolunteerRow, person: PersonRow) -> Self:
        return cls(show_on_leaderboard=row.show_on_leaderboard, _row=row, _person=person)

    @strawberry.field(description="The volunteer's name")
    def name(self) -> str:
        return self._person.name

    @strawberry.field(description="Number in the national volunteer information system (志愿者编号), if recorded")
    def volunteer_number(self) -> str | None:
        return self._person.volunteer_number

    @strawberry.field(description="The volunteer's sign-ups, newest first")
    async def signups(self) -> list[Signup]:
        rows = await SignupRow.filter(volunteer_id=self._row.id).order_by("-id").limit(100)
        return [Signup.of(r, owner=True) for r in rows]
