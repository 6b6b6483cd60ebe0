"""The team hierarchy: corps > detachment > squad > team."""

from __future__ import annotations

from api.domain import validation
from api.domain.errors import DomainError
from api.models.sites import Site
from api.models.teams import Team, TeamCategory, TeamKind

RANK = {TeamKind.CORPS: 0, TeamKind.DETACHMENT: 1, TeamKind.SQUAD: 2, TeamKind.TEAM: 3}


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


async def create_team(
    *, kind: TeamKind, category: TeamCategory, name: str, home_site: Site, parent: Team | None = None, **fields
) -> Team:
    name = validation.text(name, "name", max_length=100)
    await check_parent(kind, parent)
    if category == TeamCategory.OTHER and not fields.get("category_label"):
        raise DomainError("an OTHER (the 'N' of 10+N) team needs a categoryLabel", field="categoryLabel", code="REQUIRED")
    return await Team.create(kind=kind, category=category, name=name, home_site=home_site, parent=parent, **fields)
