"""Volunteering in GraphQL: sign-ups, places left, and who may see a sign-up's private fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from api.domain.clock import local, now
from api.domain.validation import record_id
from api.models import events as em
from api.models.accounts import Role
from api.models.people import Person as PersonRow
from api.models.volunteering import Attendance as AttendanceRow
from api.models.volunteering import CheckMethod, HoursKind, SignupStatus
from api.models.volunteering import HoursEntry as HoursEntryRow
from api.models.volunteering import Signup as SignupRow
from api.models.volunteering import Volunteer as VolunteerRow
from api.volunteering import hours as ledger
from api.volunteering import signups as rules
from schema.calendar.types import Occurrence
from schema.core.context import Info
from schema.core.enums import graphql_enum
from schema.core.nodes import row_values
from schema.volunteers.points import VolunteerPoints, volunteer_points

SignupStatusEnum = graphql_enum(SignupStatus, "Where a sign-up (报名) stands.", {
    "CONFIRMED": "已报名: has a place",
    "WAITING": "候补: on the waiting list; moves up by itself when someone with a place cancels",
    "CANCELLED": "已取消: cancelled by the person who signed up",
})

CheckMethodEnum = graphql_enum(CheckMethod, "How a check-in or check-out was recorded.", {
    "SCAN": "扫码: the volunteer scanned the station's rotating code with their token",
    "STAFF": "手工: staff recorded it by hand",
})
HoursKindEnum = graphql_enum(HoursKind, "What kind of entry of the service-hours ledger (志愿服务时长台账).", {
    "RECORDED": "签退记录: hours from a check-in and check-out, capped at the occurrence's length plus 30 minutes",
    "CORRECTION": "更正: staff set the hours anew; minutes holds the difference, earlier entries stay",
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
        ids = [record_id(str(i)) for i in node_ids]
        rows = {r.id: r for r in await SignupRow.filter(id__in=[i for i in ids if i])}
        return [cls.of(r) if (r := rows.get(i)) and staff_sees(info, r) else None for i in ids]

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

    @strawberry.field(description="The volunteer's sign-ups, newest first (the latest 100)")
    async def signups(self) -> list[Signup]:
        rows = await SignupRow.filter(volunteer_id=self._row.id).order_by("-id").limit(100)
        return [Signup.of(r, owner=True) for r in rows]

    @strawberry.field(description="The volunteer's points (积分): balance and history")
    async def points(self) -> VolunteerPoints:
        return await volunteer_points(self._row.id)

    @strawberry.field(description="The volunteer's own service-hours ledger (志愿服务时长): every entry, newest first "
                      "(the latest 100), and the total over all of them")
    async def hours(self) -> VolunteerHours:
        qs = ledger.entries(volunteer_id=self._row.id)
        total = (await ledger.totals(qs)).minutes
        rows = await qs.order_by("-id").limit(100)
        return VolunteerHours(total_minutes=total, total_hours=round(total / 60, 1),
                              entries=[HoursEntry.of(r, owner=True) for r in rows])


@strawberry.type(description="A volunteer's hours: the ledger's total and its entries.")
class VolunteerHours:
    total_minutes: int = strawberry.field(description="Minutes served, corrections included")
    total_hours: float = strawberry.field(description="The same in hours, one decimal")
    entries: list[HoursEntry] = strawberry.field(description="The entries, newest first")


@strawberry.type(description="One entry of the service-hours ledger (志愿服务时长台账). Entries are never changed: a "
                 "correction is a new entry with the difference. Staff (VIEWER on the site) and the volunteer see them.")
class HoursEntry(relay.Node):
    id: relay.NodeID[int]
    minutes: int = strawberry.field(description="Minutes; for a CORRECTION the difference it makes (may be negative)")
    kind: HoursKindEnum = strawberry.field(description="Recorded at check-out, or a correction")
    reason: str = strawberry.field(description="Why a correction was made (empty for RECORDED)")
    created_at: datetime = strawberry.field(description="When the entry was written")
    served_at: datetime = strawberry.field(description="When the occurrence started (periods select on it)")
    _row: strawberry.Private[HoursEntryRow]
    _owner: strawberry.Private[bool] = False

    @classmethod
    def of(cls, row: HoursEntryRow, *, owner: bool = False) -> Self:
        return cls(**row_values(cls, row), _row=row, _owner=owner)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        ids = [record_id(str(i)) for i in node_ids]
        rows = {r.id: r for r in await HoursEntryRow.filter(id__in=[i for i in ids if i])}
        actor = info.context.actor
        return [cls.of(r) if (r := rows.get(i)) and actor.can(Role.VIEWER, r.site_path) else None for i in ids]

    @strawberry.field(description="The occurrence served (null if it is no longer on the calendar)")
    async def occurrence(self, info: Info) -> Occurrence | None:
        row = await info.context.loaders.occurrence.load((self._row.event_id, local(self._row.recurrence_id)))
        return Occurrence.from_row(row) if row else None

    @strawberry.field(description="The entry a correction corrects (null for RECORDED)")
    def corrects_id(self) -> relay.GlobalID | None:
        cid = self._row.corrects_id
        return relay.GlobalID("HoursEntry", str(cid)) if cid else None

    @strawberry.field(description="Who wrote it: the volunteer's token or the staff account; staff only (null otherwise)")
    def recorded_by(self, info: Info) -> str | None:
        return self._row.recorded_by if info.context.actor.can(Role.VIEWER, self._row.site_path) else None


@strawberry.type(description="A volunteer's check-in (签到) and check-out (签退) at one occurrence.")
class Attendance:
    checked_in_at: datetime = strawberry.field(description="When they checked in")
    checked_in_by: CheckMethodEnum = strawberry.field(description="Scanned, or recorded by staff")
    checked_out_at: datetime | None = strawberry.field(description="When they checked out (null while there)")
    checked_out_by: CheckMethodEnum | None = strawberry.field(description="Scanned, or recorded by staff")
    _row: strawberry.Private[AttendanceRow]

    @classmethod
    def of(cls, row: AttendanceRow) -> Self:
        return cls(**row_values(cls, row), _row=row)

    @strawberry.field(description="Minutes recorded in the ledger for this occurrence, corrections included (null "
                      "before check-out)")
    async def minutes(self) -> int | None:
        if self._row.checked_out_at is None:
            return None
        qs = HoursEntryRow.filter(volunteer_id=self._row.volunteer_id, event_id=self._row.event_id,
                                  recurrence_id=self._row.recurrence_id)
        return sum(await qs.values_list("minutes", flat=True))

    @strawberry.field(description="The occurrence")
    async def occurrence(self, info: Info) -> Occurrence | None:
        row = await info.context.loaders.occurrence.load((self._row.event_id, local(self._row.recurrence_id)))
        return Occurrence.from_row(row) if row else None
