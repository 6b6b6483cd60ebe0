"""Where an object sits in the site tree, for the permission rule and the audit log."""

from __future__ import annotations

from tortoise.models import Model

from api.domain.permissions import NETWORK
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
        case Platform() | Campaign():
            return NETWORK
    raise TypeError(f"no scope rule for {type(obj).__name__}")
