"""Creating and editing platforms and campaigns (the whole network's) and teams (a site's)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry import relay
from strawberry.utils.str_converters import to_camel_case

from api.domain import audit
from api.domain import campaigns as campaign_rules
from api.domain import platforms as platform_rules
from api.domain import teams as team_rules
from api.domain.errors import DomainError
from api.domain.permissions import NETWORK
from api.domain.writes import Write
from api.models.accounts import Role
from api.models.events import Campaign as CampaignRow
from api.models.events import CampaignKind
from api.models.platforms import Platform as PlatformRow
from api.models.sites import Site as SiteRow
from api.models.teams import Team as TeamRow
from api.models.teams import TeamCategory, TeamKind
from schema.core.context import Info
from schema.core.enums import CampaignKindEnum, TeamCategoryEnum, TeamKindEnum
from schema.core.inputs import load, load_optional, provided
from schema.core.mutation import payload, perform
from schema.network.types import Campaign, Platform, Team

UNSET = strawberry.UNSET
PlatformPayload = payload("PlatformPayload", "platform", Platform, "platform")
CampaignPayload = payload("CampaignPayload", "campaign", Campaign, "campaign")
TeamPayload = payload("TeamPayload", "team", Team, "team")


def not_null(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    """An update may leave these out, but not set them to null (the columns have no 'none')."""
    for name in names:
        if name in fields and fields[name] is None:
            camel = to_camel_case(name)
            raise DomainError(f"{camel} cannot be null; leave it out to keep its value", field=camel, code="REQUIRED")
    return fields


# Platforms ---------------------------------------------------------------------------------


@strawberry.input(description="A new service platform (平台). Platforms are the whole network's: needs EDITOR on a centre.")
class CreatePlatformInput:
    code: str = strawberry.field(description="Stable code for feed URLs: capital letters, digits and _, unique (e.g. THEORY)")
    name: str = strawberry.field(description="Name, up to 50 characters")
    lead_unit: str | None = strawberry.field(default=UNSET, description="The leading department (牵头单位), up to 100 characters")
    description: str | None = strawberry.field(default=UNSET, description="Description")
    sort_order: int | None = strawberry.field(default=UNSET, description="Position in the list (0-32767)")


@strawberry.input(description="Changes to a platform; fields left out keep their value.")
class UpdatePlatformInput:
    id: relay.GlobalID = strawberry.field(description="The platform")
    version: int = strawberry.field(description="The version you read; a newer one means a colleague changed it")
    code: str | None = strawberry.field(default=UNSET, description="A new code (feed URLs with the old code stop working)")
    name: str | None = strawberry.field(default=UNSET, description="Name, up to 50 characters")
    lead_unit: str | None = strawberry.field(default=UNSET, description="The leading department (牵头单位)")
    description: str | None = strawberry.field(default=UNSET, description="Description")
    sort_order: int | None = strawberry.field(default=UNSET, description="Position in the list (0-32767)")


async def _create_platform(write: Write, input: CreatePlatformInput) -> PlatformRow:
    write.actor.require(Role.EDITOR, NETWORK, where="a platform (network-wide)")
    fields = not_null(provided(input), "sort_order", "lead_unit", "description")
    platform = await platform_rules.create_platform(**fields)
    await write.audit("CREATE", platform, site_path=NETWORK)
    return platform


async def _update_platform(write: Write, input: UpdatePlatformInput) -> PlatformRow:
    platform = await load(PlatformRow, input.id, "Platform", "id")
    write.actor.require(Role.EDITOR, NETWORK, where=f"platform {platform.name} (network-wide)", field="id")
    before = audit.snapshot(platform)
    changes = not_null(provided(input, exclude={"id", "version"}), "code", "sort_order", "lead_unit", "description")
    platform = await platform_rules.update_platform(platform, input.version, changes)
    await write.audit("UPDATE", platform, site_path=NETWORK, before=before)
    return platform


# Campaigns ---------------------------------------------------------------------------------


@strawberry.input(description="A new campaign. Campaigns are the whole network's: needs EDITOR on a centre.")
class CreateCampaignInput:
    kind: CampaignKindEnum = strawberry.field(description="Festival, monthly theme or activity day")
    name: str = strawberry.field(description="Name, up to 100 characters")
    starts_on: date = strawberry.field(description="First day")
    ends_on: date = strawberry.field(description="Last day (inclusive), not before startsOn")
    description: str | None = strawberry.field(default=UNSET, description="Description")


@strawberry.input(description="Changes to a campaign; fields left out keep their value.")
class UpdateCampaignInput:
    id: relay.GlobalID = strawberry.field(description="The campaign")
    version: int = strawberry.field(description="The version you read; a newer one means a colleague changed it")
    kind: CampaignKindEnum | None = strawberry.field(default=UNSET, description="Festival, monthly theme or activity day")
    name: str | None = strawberry.field(default=UNSET, description="Name, up to 100 characters")
    starts_on: date | None = strawberry.field(default=UNSET, description="First day")
    ends_on: date | None = strawberry.field(default=UNSET, description="Last day (inclusive)")
    description: str | None = strawberry.field(default=UNSET, description="Description")


async def _create_campaign(write: Write, input: CreateCampaignInput) -> CampaignRow:
    write.actor.require(Role.EDITOR, NETWORK, where="a campaign (network-wide)")
    fields = not_null(provided(input, exclude={"kind"}), "description")
    campaign = await campaign_rules.create_campaign(kind=CampaignKind(input.kind.value), **fields)
    await write.audit("CREATE", campaign, site_path=NETWORK)
    return campaign


async def _update_campaign(write: Write, input: UpdateCampaignInput) -> CampaignRow:
    campaign = await load(CampaignRow, input.id, "Campaign", "id")
    write.actor.require(Role.EDITOR, NETWORK, where=f"campaign {campaign.name} (network-wide)", field="id")
    before = audit.snapshot(campaign)
    changes = not_null(provided(input, exclude={"id", "version"}), "kind", "starts_on", "ends_on", "description")
    campaign = await campaign_rules.update_campaign(campaign, input.version, changes)
    await write.audit("UPDATE", campaign, site_path=NETWORK, before=before)
    return campaign


# Teams -------------------------------------------------------------------------------------


@strawberry.input(description="The editable fields of a team; on update, fields left out keep their value.")
class TeamFields:
    name: str | None = strawberry.field(default=UNSET, description="Name, up to 100 characters")
    category_label: str | None = strawberry.field(default=UNSET, description='The "N" label, required for category OTHER (up to 50)')
    is_lecture_team: bool | None = strawberry.field(default=UNSET, description="A lecture team (宣讲团 / 宣讲队)")
    founded_on: date | None = strawberry.field(default=UNSET, description="When it was founded")
    description: str | None = strawberry.field(default=UNSET, description="Description")


@strawberry.input(description="A new team at a site (needs EDITOR there), optionally under a parent team.")
class CreateTeamInput(TeamFields):
    name: str = strawberry.field(description="Name, up to 100 characters")
    kind: TeamKindEnum = strawberry.field(description="Level: CORPS > DETACHMENT > SQUAD > TEAM")
    category: TeamCategoryEnum = strawberry.field(description='Category in the "10+N" scheme')
    home_site_id: relay.GlobalID = strawberry.field(description="The site the team is based at")
    parent_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The team above: of a higher level, based at this site or above it"
    )


@strawberry.input(description="Changes to a team. homeSiteId moves it (needs EDITOR on both sites); parentId re-attaches it.")
class UpdateTeamInput(TeamFields):
    id: relay.GlobalID = strawberry.field(description="The team")
    version: int = strawberry.field(description="The version you read; a newer one means a colleague changed it")
    kind: TeamKindEnum | None = strawberry.field(default=UNSET, description="Level: CORPS > DETACHMENT > SQUAD > TEAM")
    category: TeamCategoryEnum | None = strawberry.field(default=UNSET, description='Category in the "10+N" scheme')
    home_site_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="Another site to base the team at")
    parent_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="Another team above (null: none)")


async def _create_team(write: Write, input: CreateTeamInput) -> TeamRow:
    home = await load(SiteRow, input.home_site_id, "Site", "homeSiteId")
    write.actor.require(Role.EDITOR, home.path, where=f"site {home.name}", field="homeSiteId")
    parent = await load_optional(TeamRow, input.parent_id, "Team", "parentId")
    fields = not_null(provided(input, exclude={"kind", "category", "home_site_id", "parent_id"}),
                      "is_lecture_team", "category_label", "description")
    team = await team_rules.create_team(
        kind=TeamKind(input.kind.value), category=TeamCategory(input.category.value), home_site=home, parent=parent, **fields
    )
    await write.audit("CREATE", team, site_path=home.path)
    return team


async def _update_team(write: Write, input: UpdateTeamInput) -> TeamRow:
    team = await load(TeamRow, input.id, "Team", "id")
    home = await SiteRow.get(id=team.home_site_id)
    write.actor.require(Role.EDITOR, home.path, where=f"team {team.name}", field="id")
    moves: dict[str, Any] = {}
    if input.home_site_id is not UNSET:
        if input.home_site_id is None:
            raise DomainError("homeSiteId cannot be null: every team is based at a site", field="homeSiteId", code="REQUIRED")
        home = await load(SiteRow, input.home_site_id, "Site", "homeSiteId")
        write.actor.require(Role.EDITOR, home.path, where=f"moving {team.name} to {home.name}", field="homeSiteId")
        moves["home_site"] = home
    if input.parent_id is not UNSET:
        moves["parent"] = await load_optional(TeamRow, input.parent_id, "Team", "parentId")
    before = audit.snapshot(team)
    changes = not_null(provided(input, exclude={"id", "version", "home_site_id", "parent_id"}),
                       "kind", "category", "is_lecture_team", "category_label", "description")
    team = await team_rules.update_team(team, input.version, changes, **moves)
    await write.audit("UPDATE", team, site_path=home.path, before=before)
    return team


@strawberry.type(description="Editing platforms, campaigns and teams.")
class NetworkMutation:
    @strawberry.mutation(description="Create a service platform (needs EDITOR on a centre: platforms are network-wide)")
    async def create_platform(self, info: Info, input: CreatePlatformInput) -> PlatformPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_platform(w, input))
        return PlatformPayload(platform=Platform.from_optional(row), errors=errors)

    @strawberry.mutation(description="Edit a service platform (needs EDITOR on a centre)")
    async def update_platform(self, info: Info, input: UpdatePlatformInput) -> PlatformPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_platform(w, input))
        return PlatformPayload(platform=Platform.from_optional(row), errors=errors)

    @strawberry.mutation(description="Create a campaign (needs EDITOR on a centre: campaigns are network-wide)")
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CampaignPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_campaign(w, input))
        return CampaignPayload(campaign=Campaign.from_optional(row), errors=errors)

    @strawberry.mutation(description="Edit a campaign (needs EDITOR on a centre)")
    async def update_campaign(self, info: Info, input: UpdateCampaignInput) -> CampaignPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_campaign(w, input))
        return CampaignPayload(campaign=Campaign.from_optional(row), errors=errors)

    @strawberry.mutation(description="Create a team at a site (needs EDITOR on that site)")
    async def create_team(self, info: Info, input: CreateTeamInput) -> TeamPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_team(w, input))
        return TeamPayload(team=Team.from_optional(row), errors=errors)

    @strawberry.mutation(description="Edit a team, re-attach it (parentId) or move it to another site (homeSiteId)")
    async def update_team(self, info: Info, input: UpdateTeamInput) -> TeamPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_team(w, input))
        return TeamPayload(team=Team.from_optional(row), errors=errors)
