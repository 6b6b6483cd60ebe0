"""Where an object sits in the site tree, for the permission rule and the audit log."""

from __future__ import annotations

from tortoise.models import Model

from api.domain.permissions import NETWORK, Actor
from api.models.accounts import Role
from api.models.content import Report
from api.models.events import Campaign, Event
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site, Venue
from api.models.teams import Membership, Team


async def _site_path(site_id: int | None) -> str | None:
    if site_id is None:
        return NETWORK
    return (await Site.get(id=site_id)).path


async def path_of(obj: Model) -> str | None:
    """The path of the site whose subtree owns `obj`; NETWORK for network-wide objects."""
    match obj:
        case Site():
            return obj.path
        case Venue() | Event():
            return await _site_path(obj.site_id)
        case Team():
            return await _site_path(obj.home_site_id)
        case Membership():
            return await _site_path((await Team.get(id=obj.team_id)).home_site_id)
        case Person():
            return await _site_path(obj.home_site_id)
        case Report():
            return obj.site_path
        case Platform() | Campaign():
            return NETWORK
    raise TypeError(f"no scope rule for {type(obj).__name__}")


async def require_team_link(actor: Actor, team: Team, *, field: str, what: str = "linking") -> None:
    """THE rule for naming a team in an input (an event's team, a menu item's teams, an order's
    dispatch): the work then appears under that team's name, in its public feed. So the caller
    needs EDITOR on the team's home site, wherever the event or item itself is."""
    home = await Site.get(id=team.home_site_id)
    actor.require(Role.EDITOR, home.path, where=f"{what} team {team.name} (based at {home.name})", field=field)
