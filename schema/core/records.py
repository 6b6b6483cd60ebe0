"""Soft delete and restore, for every editable type, by global ID: nothing is ever lost."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.models import Model

from api.domain import audit, occurrences
from api.domain.errors import DomainError
from api.domain.permissions import Role
from api.domain.scope import path_of
from api.domain.writes import Write, restore, soft_delete
from api.models.content import Report, ReportStatus
from api.models.events import Campaign, Event
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site, Venue
from api.models.teams import Membership, Team
from schema.core.context import Info
from schema.core.inputs import load
from schema.core.mutation import UserError, perform

# GraphQL type name -> model. A lecturer is a person with a public profile.
DELETABLE: dict[str, type[Model]] = {
    "Site": Site, "Venue": Venue, "Platform": Platform, "Team": Team, "Membership": Membership,
    "Person": Person, "Lecturer": Person, "Campaign": Campaign, "Event": Event, "Report": Report,
}


async def _in_use(row: Model) -> str | None:
    """Why deleting would orphan live things (deleting them first is the caller's decision)."""
    live = {"deleted_at__isnull": True}
    if isinstance(row, Site):
        children = await Site.filter(parent_id=row.id, **live).count()
        events = await Event.filter(site_id=row.id, **live).count()
        teams = await Team.filter(home_site_id=row.id, **live).count()
        if children or events or teams:
            return f"{children} sites, {teams} teams and {events} events still belong to it"
    if isinstance(row, Team) and (children := await Team.filter(parent_id=row.id, **live).count()):
        return f"{children} teams still sit under it"
    return None


def _model(gid: relay.GlobalID) -> type[Model]:
    if gid.type_name not in DELETABLE:
        raise DomainError(f"a {gid.type_name} cannot be deleted or restored", field="id", code="WRONG_ID_TYPE")
    return DELETABLE[gid.type_name]


async def _target(write: Write, gid: relay.GlobalID, *, deleted: bool) -> tuple[Model, str | None, str]:
    """The row a global ID names, its scope path, and how messages name it; EDITOR required
    (ADMIN for a published report)."""
    row = await load(_model(gid), gid, gid.type_name, "id", deleted=deleted)
    path = await path_of(row)
    what = f"{gid.type_name} {getattr(row, 'name', None) or getattr(row, 'title', None) or row.pk}"
    # A published report is the public word of its subtree: taking it away is the reviewer's call.
    role = Role.ADMIN if isinstance(row, Report) and row.status == ReportStatus.PUBLISHED else Role.EDITOR
    write.actor.require(role, path, where=what, field="id")
    return row, path, what


async def _delete(write: Write, input: DeleteInput) -> relay.GlobalID:
    row, path, what = await _target(write, input.id, deleted=False)
    if reason := await _in_use(row):
        raise DomainError(f"{what} cannot be deleted: {reason}", field="id", code="IN_USE")
    before = audit.snapshot(row)
    await soft_delete(row, input.version, what)
    await _follow(write, row)
    await write.audit("DELETE", row, site_path=path, before=before)
    return input.id


async def _restore(write: Write, input: RestoreInput) -> relay.GlobalID:
    row, path, what = await _target(write, input.id, deleted=True)
    before = audit.snapshot(row)
    await restore(row, what)
    await _follow(write, row)
    await write.audit("RESTORE", row, site_path=path, before=before)
    return input.id


async def _follow(write: Write, row: Model) -> None:
    """A deleted or restored event leaves or rejoins the calendars."""
    if isinstance(row, Event):
        write.occurrence_changes += (await occurrences.refresh([row])).changes


@strawberry.input(description="What to delete: any editable object, and the version you read.")
class DeleteInput:
    id: relay.GlobalID = strawberry.field(description="Global ID of a Site, Venue, Platform, Team, Membership, Person, Campaign, Event or Report")
    version: int = strawberry.field(description="The version you read")


@strawberry.input(description="A soft-deleted object to bring back.")
class RestoreInput:
    id: relay.GlobalID = strawberry.field(description="Global ID of the deleted object")


@strawberry.type(description="The result of deleting or restoring an object.")
class RecordPayload:
    id: relay.GlobalID | None = strawberry.field(description="The object's ID; null when errors is not empty")
    errors: list[UserError] = strawberry.field(description="Empty on success; otherwise why nothing changed")


@strawberry.type(description="Deleting and restoring, for every editable type.")
class RecordMutation:
    @strawberry.mutation(description="Soft-delete an object: it disappears from every public answer, and restoreRecord brings it back")
    async def delete_record(self, info: Info, input: DeleteInput) -> RecordPayload:
        gid, errors = await perform(info, lambda w: _delete(w, input))
        return RecordPayload(id=gid, errors=errors)

    @strawberry.mutation(description="Bring back a soft-deleted object, as it was")
    async def restore_record(self, info: Info, input: RestoreInput) -> RecordPayload:
        gid, errors = await perform(info, lambda w: _restore(w, input))
        return RecordPayload(id=gid, errors=errors)
