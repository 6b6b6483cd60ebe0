"""The team hierarchy: corps > detachment > squad > team; and who belongs to a team."""

from __future__ import annotations

from datetime import date
from typing import Any

from api.domain import validation
from api.domain.errors import DomainError
from api.domain.writes import check_version, save_versioned
from api.models.people import Person
from api.models.sites import Site
from api.models.teams import Membership, MemberRole, Team, TeamCategory, TeamKind

RANK = {TeamKind.CORPS: 0, TeamKind.DETACHMENT: 1, TeamKind.SQUAD: 2, TeamKind.TEAM: 3}
KEEP: Any = ...  # "not given": leave the parent or home site as it is


async def check_parent(kind: TeamKind, parent: Team | None, team: Team | None = None) -> None:
    if parent is None:
        return
    if RANK[parent.kind] >= RANK[kind]:
        raise DomainError(
            f"a {kind.value} cannot be placed under a {parent.kind.value} ({parent.name}); "
            "the order is CORPS > DETACHMENT > SQUAD > TEAM",
            field="parentId",
            code="BAD_PARENT",
        )
    if team is not None:
        node: Team | None = parent
        while node is not None:  # at most four levels deep
            if node.id == team.id:
                raise DomainError(f"{parent.name} is inside {team.name}'s own subtree", field="parentId", code="CYCLE")
            node = await Team.get_or_none(id=node.parent_id) if node.parent_id else None


async def check_home(home: Site, parent: Team | None, *, field: str) -> None:
    """A team is based at its parent team's site or below it: a county corps holds township
    detachments, never another county's."""
    if parent is None:
        return
    parent_home = await Site.get(id=parent.home_site_id)
    if not home.path.startswith(parent_home.path):
        raise DomainError(
            f"{home.name} is not in the area of {parent.name} (based at {parent_home.name}): "
            "a team sits at its parent team's site or below it",
            field=field,
            code="BAD_PARENT",
        )


async def _check_children(team: Team, kind: TeamKind, home: Site) -> None:
    """A change of level or home must keep the teams already below it valid."""
    for child in await Team.filter(parent_id=team.id, deleted_at__isnull=True):
        if RANK[child.kind] <= RANK[kind]:
            raise DomainError(
                f"{team.name} cannot become a {kind.value}: {child.name} ({child.kind.value}) sits under it",
                field="kind",
                code="BAD_PARENT",
            )
        child_home = await Site.get(id=child.home_site_id)
        if not child_home.path.startswith(home.path):
            raise DomainError(
                f"{team.name} cannot move to {home.name}: {child.name}, below it, is based at {child_home.name}",
                field="homeSiteId",
                code="BAD_PARENT",
            )


def check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "name" in fields:
        fields["name"] = validation.text(fields["name"], "name", max_length=100)
    if "category_label" in fields:
        fields["category_label"] = validation.text(fields["category_label"], "categoryLabel", max_length=50, required=False)
    if "description" in fields:
        fields["description"] = validation.text(fields["description"], "description", max_length=5000, required=False)
    return fields


def check_category(category: TeamCategory, label: str) -> None:
    if category == TeamCategory.OTHER and not label:
        raise DomainError("an OTHER (the 'N' of 10+N) team needs a categoryLabel", field="categoryLabel", code="REQUIRED")


async def create_team(
    *, kind: TeamKind, category: TeamCategory, name: str, home_site: Site, parent: Team | None = None, **fields
) -> Team:
    fields = check_fields({"name": name, **fields})
    await check_parent(kind, parent)
    await check_home(home_site, parent, field="homeSiteId")
    check_category(category, fields.get("category_label", ""))
    return await Team.create(kind=kind, category=category, home_site=home_site, parent=parent, **fields)


async def update_team(
    team: Team, version: int, changes: dict[str, Any], *, parent: Team | None = KEEP, home_site: Site = KEEP
) -> Team:
    """Edit a team; `parent` and `home_site` move it when given (None parent: to the top)."""
    what = f"team {team.name}"
    check_version(team, version, what)
    changes = check_fields(changes)
    if parent is not KEEP:
        changes["parent_id"] = parent.id if parent else None
    else:
        parent = await Team.get_or_none(id=team.parent_id) if team.parent_id else None
    if home_site is not KEEP:
        changes["home_site_id"] = home_site.id
    else:
        home_site = await Site.get(id=team.home_site_id)
    kind = TeamKind(changes.get("kind", team.kind))
    await check_parent(kind, parent, team)
    await check_home(home_site, parent, field="homeSiteId" if "home_site_id" in changes else "parentId")
    await _check_children(team, kind, home_site)
    check_category(TeamCategory(changes.get("category", team.category)), changes.get("category_label", team.category_label))
    return await save_versioned(team, version, changes, what)


async def add_member(team: Team, person: Person, *, role: MemberRole = MemberRole.MEMBER, joined_on: date | None = None) -> Membership:
    existing = await Membership.get_or_none(team_id=team.id, person_id=person.id)
    if existing is not None:
        hint = " (it was deleted: restoreRecord brings it back)" if existing.deleted_at else ""
        raise DomainError(f"{person.name} is already a member of {team.name}{hint}", field="personId", code="DUPLICATE")
    return await Membership.create(team=team, person=person, role=role, joined_on=joined_on)
