"""Reading volunteering: a volunteer's own record, a sign-up by its token, staff's sign-up lists."""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay

from api.domain.errors import DomainError
from api.models.accounts import Role
from api.models.events import Event as EventRow
from api.models.people import Person as PersonRow
from api.models.sites import Site as SiteRow
from api.models.volunteering import Signup as SignupRow
from api.models.volunteering import SignupStatus
from api.volunteering import signups as rules
from api.volunteering import volunteers
from schema.calendar.types import occurrence_key
from schema.core.context import Info
from schema.volunteers.types import Signup, SignupStatusEnum, VolunteerProfile


def occurrence_of(gid: relay.GlobalID, field: str = "occurrenceId"):
    if gid.type_name != "Occurrence" or (key := occurrence_key(gid.node_id)) is None:
        raise DomainError(f"{field} must be the id of an Occurrence, got {gid}", field=field, code="WRONG_ID_TYPE")
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
