"""Reading volunteering: a volunteer's own record, a sign-up by its token, staff's sign-up lists."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay

from api.domain.errors import DomainError
from api.domain.validation import record_id
from api.models.accounts import Role
from api.models.events import Event as EventRow
from api.models.people import Person as PersonRow
from api.models.sites import Site as SiteRow
from api.models.volunteering import Signup as SignupRow
from api.models.volunteering import SignupStatus
from api.models.volunteering import Volunteer as VolunteerRow
from api.volunteering import checkin
from api.volunteering import hours as ledger
from api.volunteering import signups as rules
from api.volunteering import volunteers
from schema.calendar.types import occurrence_key
from schema.core.context import Info, node_pk
from schema.network.types import Team
from schema.volunteers.types import Signup, SignupStatusEnum, VolunteerProfile


def occurrence_of(gid: relay.GlobalID, field: str = "occurrenceId"):
    if gid.type_name != "Occurrence" or (key := occurrence_key(gid.node_id)) is None:
        raise DomainError(f"{field} must be the id of an Occurrence, got {gid}", field=field, code="WRONG_ID_TYPE")
    if record_id(key[0]) is None:  # no event can have it (and PostgreSQL's integer would overflow)
        raise DomainError(f"occurrence {gid.node_id} does not exist", field=field, code="NOT_FOUND")
    return key


async def _none_if_unknown(find):
    try:
        return await find
    except DomainError as error:
        if error.code == "NOT_FOUND":
            return None
        raise


@strawberry.type(description="Volunteering (志愿服务): sign-ups and a volunteer's own record.")
class VolunteerQuery:
    @strawberry.field(description="The volunteer's own profile and sign-ups, by their private volunteer token; null "
                      "if no volunteer has this token")
    async def volunteer_by_token(
        self, token: Annotated[str, strawberry.argument(description="The volunteer token (vol_...)")]
    ) -> VolunteerProfile | None:
        row = await _none_if_unknown(volunteers.by_token(token, "token"))
        return VolunteerProfile.of(row, await PersonRow.get(id=row.person_id)) if row else None

    @strawberry.field(description="A sign-up by the private token signUp gave; null if none has this token. Shows "
                      "the person's own name back, their phone masked")
    async def signup_by_token(
        self, token: Annotated[str, strawberry.argument(description="The sign-up token (sgn_...)")]
    ) -> Signup | None:
        row = await _none_if_unknown(rules.by_token(token))
        return Signup.of(row, owner=True) if row else None

    @strawberry.field(description="Who signed up for an occurrence, first come first: for staff with VIEWER on the "
                      "event's site (names and phones included)")
    async def signups(
        self,
        info: Info,
        occurrence: Annotated[relay.GlobalID, strawberry.argument(description="The occurrence")],
        status: Annotated[list[SignupStatusEnum] | None, strawberry.argument(description="Only these statuses")] = None,
    ) -> list[Signup]:
        actor = info.context.actor
        if not actor.authenticated:
            raise GraphQLError("signups is for staff: send 'Authorization: Bearer <token>' with a role on the site",
                               extensions={"code": "UNAUTHENTICATED"})
        event_id, recurrence_id = occurrence_of(occurrence, "occurrence")
        event = await EventRow.get_or_none(id=event_id, deleted_at__isnull=True)
        if event is None:
            raise DomainError(f"occurrence {occurrence.node_id} does not exist", field="occurrence", code="NOT_FOUND")
        site = await SiteRow.get(id=event.site_id)
        actor.require(Role.VIEWER, site.path, where=f"the sign-ups of {event.title}", field="occurrence")
        qs = SignupRow.filter(event_id=event_id, recurrence_id=recurrence_id)
        if status:
            qs = qs.filter(status__in=[SignupStatus(s.value) for s in status])
        return [Signup.of(r) for r in await qs.order_by("id")]


@strawberry.type(description="A check-in code (签到码) to show as a QR code at the station. It rotates: fetch a new "
                 "one every minute.")
class CheckinCode:
    code: str = strawberry.field(description="The QR payload (wmc1....): the volunteer's app sends it to checkIn/checkOut")
    valid_until: datetime = strawberry.field(description="It is refused from this moment on (the minute after the next)")

    @strawberry.field(description="The code as a QR code: an SVG document (viewBox, no fixed size) to put on the screen")
    def svg(self) -> str:
        return checkin.qr_svg(self.code)

    @strawberry.field(description="The same QR code as rows of modules, \"1\" dark and \"0\" light, without the "
                      "quiet zone: for a page that draws it itself (the reference kiosk page does)")
    def qr_rows(self) -> list[str]:
        return checkin.qr_rows(self.code)


@strawberry.type(description="Hours of one team in the ledger.")
class TeamHours:
    team: Team | None = strawberry.field(description="The team the event was run by (null: no team)")
    hours: float = strawberry.field(description="Hours, one decimal")


@strawberry.type(description="Hours of one volunteer in the ledger (staff only).")
class VolunteerHoursLine:
    name: str = strawberry.field(description="Private: the volunteer's name")
    volunteer_number: str | None = strawberry.field(description="Number in the national volunteer information system")
    hours: float = strawberry.field(description="Hours, one decimal")


@strawberry.type(description="Service hours (志愿服务时长) recorded for a site's subtree and a period: sums of the ledger.")
class ServiceHours:
    total_hours: float = strawberry.field(description="Hours recorded, one decimal, corrections included")
    total_minutes: int = strawberry.field(description="The same in minutes")
    volunteers: int = strawberry.field(description="Volunteers with recorded hours")
    occurrences: int = strawberry.field(description="Occurrences with recorded hours")
    by_team: list[TeamHours] = strawberry.field(description="Hours by the events' teams, most first")
    _qs: strawberry.Private[object]
    _staff: strawberry.Private[bool] = False

    @strawberry.field(description="Hours by volunteer, most first, with names: staff only (VIEWER on `within`); "
                      "null for anyone else")
    async def by_volunteer(self, info: Info) -> list[VolunteerHoursLine] | None:
        if not self._staff:
            return None
        lines = await ledger.per_volunteer(self._qs)
        people = {v.id: v.person for v in await VolunteerRow.filter(id__in=[v for v, _ in lines]).select_related("person")}
        return [VolunteerHoursLine(name=people[v].name, volunteer_number=people[v].volunteer_number,
                                   hours=round(m / 60, 1)) for v, m in lines]


@strawberry.type(description="Check-in codes and the service-hours ledger.")
class HoursQuery:
    @strawberry.field(description="A fresh check-in code (签到码) for an occurrence, for the kiosk or a staff phone to "
                      "show as a QR code: VIEWER on the event's site, from an hour before the start to an hour after "
                      "the end. A code is good in the minute it was made and the next")
    async def checkin_code(
        self, info: Info, occurrence: Annotated[relay.GlobalID, strawberry.argument(description="The occurrence")]
    ) -> CheckinCode:
        actor = info.context.actor
        if not actor.authenticated:
            raise GraphQLError("checkinCode is for the station's kiosk or staff: send 'Authorization: Bearer <token>'",
                               extensions={"code": "UNAUTHENTICATED"})
        row = await rules.open_occurrence(*occurrence_of(occurrence, "occurrence"), field="occurrence")
        code = await checkin.issue(actor, row, checkin.key(info.context.settings.checkin_secret))
        return CheckinCode(code=code.code, valid_until=code.valid_until)

    @strawberry.field(description="Service hours (志愿服务时长) recorded in a site's subtree for occurrences that started "
                      "in a period, optionally of one team: public totals; names for staff only")
    async def service_hours(
        self,
        info: Info,
        within: Annotated[relay.GlobalID, strawberry.argument(description="A site: its whole subtree")],
        team: Annotated[relay.GlobalID | None, strawberry.argument(description="Only events run by this team")] = None,
        start: Annotated[date | None, strawberry.argument(name="from", description="First day, included")] = None,
        end: Annotated[date | None, strawberry.argument(name="to", description="Last day, included")] = None,
    ) -> ServiceHours:
        site = await info.context.loaders.site.load(node_pk(within, "Site", "within"))
        if site is None:
            raise DomainError(f"site {within.node_id} does not exist", field="within", code="NOT_FOUND")
        qs = ledger.entries(site_path=site.path, team_id=node_pk(team, "Team", "team"),
                            period=ledger.Period(start, end))
        totals = await ledger.totals(qs)
        teams = await ledger.per_team(qs)
        rows = await info.context.loaders.team.load_many([t for t, _ in teams if t is not None])
        by_id = {r.id: r for r in rows if r}
        result = ServiceHours(
            total_hours=totals.hours, total_minutes=totals.minutes, volunteers=totals.volunteers,
            occurrences=await ledger.occurrences_recorded(qs),
            by_team=[TeamHours(team=Team.from_optional(by_id.get(t)) if t else None, hours=round(m / 60, 1))
                     for t, m in teams],
            _qs=qs, _staff=info.context.actor.can(Role.VIEWER, site.path),
        )
        return result
