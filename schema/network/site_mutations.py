"""Creating and editing sites (阵地) and their venues."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from api.domain import audit
from api.domain import sites as site_rules
from api.domain import validation
from api.domain.errors import DomainError
from api.domain.writes import Write, save_versioned
from api.models.accounts import Role
from api.models.sites import Site as SiteRow
from api.models.sites import SiteKind
from api.models.sites import Venue as VenueRow
from schema.core.context import Info
from schema.core.enums import PilotLevelEnum, SiteKindEnum, VenueKindEnum
from schema.core.inputs import load, load_optional, provided
from schema.core.mutation import payload, perform
from schema.network.types import Site, Venue

UNSET = strawberry.UNSET
SitePayload = payload("SitePayload", "site", Site, "site")
VenuePayload = payload("VenuePayload", "venue", Venue, "venue")


@strawberry.input(description="The editable fields of a site; on update, fields left out keep their value.")
class SiteFields:
    name: str | None = strawberry.field(default=UNSET, description="Name, up to 100 characters")
    region_code: str | None = strawberry.field(default=UNSET, description="Region code, 6-12 digits")
    region_unit_count: int | None = strawberry.field(default=UNSET, description="Townships or villages in the region (for coverage)")
    address: str | None = strawberry.field(default=UNSET, description="Street address, up to 200 characters")
    latitude: float | None = strawberry.field(default=UNSET, description="WGS-84 latitude")
    longitude: float | None = strawberry.field(default=UNSET, description="WGS-84 longitude")
    opening_hours: str | None = strawberry.field(default=UNSET, description="Opening hours as published")
    description: str | None = strawberry.field(default=UNSET, description="Description (简介)")
    has_venue: bool | None = strawberry.field(default=UNSET, description="五有: has a venue")
    has_team: bool | None = strawberry.field(default=UNSET, description="五有: has a team")
    has_activities: bool | None = strawberry.field(default=UNSET, description="五有: holds activities")
    has_projects: bool | None = strawberry.field(default=UNSET, description="五有: runs projects")
    has_mechanism: bool | None = strawberry.field(default=UNSET, description="五有: has a working mechanism")
    star_rating: int | None = strawberry.field(default=UNSET, description="Star rating 1-5")
    pilot_level: PilotLevelEnum | None = strawberry.field(default=UNSET, description="Pilot level, if a pilot")
    pilot_date: date | None = strawberry.field(default=UNSET, description="When it was named a pilot")
    contact_name: str | None = strawberry.field(default=UNSET, description="Contact person (private)")
    contact_phone: str | None = strawberry.field(default=UNSET, description="Contact phone (private)")


@strawberry.input(description="A new site under a parent of an allowed kind (a CENTER is a root).")
class CreateSiteInput(SiteFields):
    kind: SiteKindEnum = strawberry.field(description="The level of the new site")
    parent_id: relay.GlobalID | None = strawberry.field(default=None, description="The parent site (none for a CENTER)")


@strawberry.input(description="Changes to a site; giving parentId moves it with its whole subtree.")
class UpdateSiteInput(SiteFields):
    id: relay.GlobalID = strawberry.field(description="The site")
    version: int = strawberry.field(description="The version you read; a newer one means a colleague changed it")
    parent_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="A new parent (moves the subtree)")


@strawberry.input(description="A new venue (场地) at a site.")
class CreateVenueInput:
    site_id: relay.GlobalID = strawberry.field(description="The site the venue belongs to")
    name: str = strawberry.field(description="Name, up to 100 characters")
    kind: VenueKindEnum | None = strawberry.field(default=UNSET, description="What kind of place it is")
    capacity: int | None = strawberry.field(default=UNSET, description="Seats or people it holds")
    description: str | None = strawberry.field(default=UNSET, description="Description")


@strawberry.input(description="Changes to a venue; fields left out keep their value.")
class UpdateVenueInput:
    id: relay.GlobalID = strawberry.field(description="The venue")
    version: int = strawberry.field(description="The version you read")
    name: str | None = strawberry.field(default=UNSET, description="Name, up to 100 characters")
    kind: VenueKindEnum | None = strawberry.field(default=UNSET, description="What kind of place it is")
    capacity: int | None = strawberry.field(default=UNSET, description="Seats or people it holds")
    description: str | None = strawberry.field(default=UNSET, description="Description")


def _venue_fields(values: dict) -> dict:
    if "kind" in values and values["kind"] is None:  # optional (default ROOM), but never null
        raise DomainError("kind must not be null", field="kind", code="REQUIRED")
    if "name" in values:
        values["name"] = validation.text(values["name"], "name", max_length=100)
    validation.in_range(values.get("capacity"), "capacity", 0, 1_000_000)
    return values


async def _create_site(write: Write, input: CreateSiteInput) -> SiteRow:
    parent = await load_optional(SiteRow, input.parent_id, "Site", "parentId")
    where = f"a site under {parent.name}" if parent else "a new centre"
    write.actor.require(Role.EDITOR, parent.path if parent else None, where=where, field="parentId")
    fields = provided(input, exclude={"kind", "parent_id"})
    if "name" not in fields:
        raise DomainError("name must not be empty", field="name", code="REQUIRED")
    site = await site_rules.create_site(kind=SiteKind(input.kind.value), parent=parent, **fields)
    await write.audit("CREATE", site, site_path=site.path)
    return site


async def _update_site(write: Write, input: UpdateSiteInput) -> SiteRow:
    site = await load(SiteRow, input.id, "Site", "id")
    write.actor.require(Role.EDITOR, site.path, where=f"site {site.name}", field="id")
    before = audit.snapshot(site)
    parent: object = ...
    if input.parent_id is not UNSET:
        parent = await load_optional(SiteRow, input.parent_id, "Site", "parentId")
        target = parent.path if parent else None
        write.actor.require(Role.EDITOR, target, where=f"moving under {getattr(parent, 'name', 'the root')}", field="parentId")
    changes = provided(input, exclude={"id", "version", "parent_id"})
    site = await site_rules.update_site(site, input.version, changes, parent=parent)
    await write.audit("UPDATE", site, site_path=site.path, before=before)
    return site


async def _create_venue(write: Write, input: CreateVenueInput) -> VenueRow:
    site = await load(SiteRow, input.site_id, "Site", "siteId")
    write.actor.require(Role.EDITOR, site.path, where=f"site {site.name}", field="siteId")
    venue = await VenueRow.create(site=site, **_venue_fields(provided(input, exclude={"site_id"})))
    await write.audit("CREATE", venue, site_path=site.path)
    return venue


async def _update_venue(write: Write, input: UpdateVenueInput) -> VenueRow:
    venue = await load(VenueRow, input.id, "Venue", "id")
    site = await SiteRow.get(id=venue.site_id)
    write.actor.require(Role.EDITOR, site.path, where=f"site {site.name}", field="id")
    before = audit.snapshot(venue)
    venue = await save_versioned(venue, input.version, _venue_fields(provided(input, exclude={"id", "version"})), f"venue {venue.name}")
    await write.audit("UPDATE", venue, site_path=site.path, before=before)
    return venue


@strawberry.type(description="Editing sites and venues.")
class SiteMutation:
    @strawberry.mutation(description="Create a site (needs EDITOR on the parent; a new CENTER needs EDITOR on a centre)")
    async def create_site(self, info: Info, input: CreateSiteInput) -> SitePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_site(w, input))
        return SitePayload(site=Site.from_optional(row), errors=errors)

    @strawberry.mutation(description="Edit a site, or move it with its subtree by giving parentId")
    async def update_site(self, info: Info, input: UpdateSiteInput) -> SitePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_site(w, input))
        return SitePayload(site=Site.from_optional(row), errors=errors)

    @strawberry.mutation(description="Create a venue at a site")
    async def create_venue(self, info: Info, input: CreateVenueInput) -> VenuePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_venue(w, input))
        return VenuePayload(venue=Venue.from_optional(row), errors=errors)

    @strawberry.mutation(description="Edit a venue")
    async def update_venue(self, info: Info, input: UpdateVenueInput) -> VenuePayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_venue(w, input))
        return VenuePayload(venue=Venue.from_optional(row), errors=errors)
