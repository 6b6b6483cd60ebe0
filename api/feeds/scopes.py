"""What a feed is about (a site, team, lecturer, platform, campaign or one event), resolved
from the URL into OccurrenceFilter arguments and the calendar's name."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from api.domain import occurrences
from api.domain.validation import record_id
from api.feeds.errors import not_found
from api.models.events import Campaign, Event
from api.models.people import Person
from api.models.platforms import Platform
from api.models.sites import Site
from api.models.teams import Team


class ScopeKind(StrEnum):
    """A feed's scope; the value is the URL segment (``/feeds/<value>/<id>.ics``)."""

    SITE = "sites"
    TEAM = "teams"
    LECTURER = "lecturers"
    PLATFORM = "platforms"
    CAMPAIGN = "campaigns"
    EVENT = "events"


# The GraphQL type whose global id may stand for the numeric id in a URL.
GRAPHQL_TYPE = {
    ScopeKind.SITE: "Site",
    ScopeKind.TEAM: "Team",
    ScopeKind.LECTURER: "Lecturer",
    ScopeKind.PLATFORM: "Platform",
    ScopeKind.CAMPAIGN: "Campaign",
    ScopeKind.EVENT: "Event",
}
NOUN = {
    ScopeKind.SITE: "site",
    ScopeKind.TEAM: "team",
    ScopeKind.LECTURER: "lecturer",
    ScopeKind.PLATFORM: "platform",
    ScopeKind.CAMPAIGN: "campaign",
    ScopeKind.EVENT: "event",
}


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    key: str  # canonical: the numeric id, or the platform's code
    name: str  # the Chinese name the calendar carries (NAME / X-WR-CALNAME)
    filter_args: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    event_id: int | None = None  # a one-event feed: the event asked for
    # ... and every part of its series (a split series stays one lineage), whatever the window
    event_ids: tuple[int, ...] = field(default=(), compare=False)


def _pk(kind: ScopeKind, ident: str) -> int | None:
    """A numeric id, or a GraphQL global id ("Site:12" in base64) of the right type; None when
    no row can have it (record_id: ASCII digits within the id column's range)."""
    if (pk := record_id(ident)) is not None:
        return pk
    try:
        raw = base64.b64decode(ident + "=" * (-len(ident) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, _, pk_text = raw.partition(":")
    return record_id(pk_text) if type_name == GRAPHQL_TYPE[kind] else None


def _unknown(kind: ScopeKind, ident: str):
    noun = NOUN[kind]
    hint = "code" if kind is ScopeKind.PLATFORM else "id"
    return not_found(noun, f"{noun} {ident!r} does not exist (give the {noun}'s {hint})")


async def resolve(kind: ScopeKind, ident: str, *, subtree: bool = False) -> Scope:
    """The scope named in the URL, or FeedError 404 naming what is unknown."""
    live = {"deleted_at__isnull": True}
    if kind is ScopeKind.PLATFORM:
        platform = await Platform.get_or_none(code=ident, **live)
        if platform is None and (pk := _pk(kind, ident)) is not None:
            platform = await Platform.get_or_none(id=pk, **live)
        if platform is None:
            raise _unknown(kind, ident)
        return Scope(kind, platform.code, platform.name, {"platform_ids": (platform.id,)})

    pk = _pk(kind, ident)
    if pk is None:
        raise _unknown(kind, ident)
    if kind is ScopeKind.SITE:
        site = await Site.get_or_none(id=pk, **live)
        if site is None:
            raise _unknown(kind, ident)
        if subtree:
            return Scope(kind, str(pk), f"{site.name}（含下属阵地）", {"within_path": site.path})
        return Scope(kind, str(pk), site.name, {"site_id": site.id})
    if kind is ScopeKind.TEAM:
        team = await Team.get_or_none(id=pk, **live)
        if team is None:
            raise _unknown(kind, ident)
        return Scope(kind, str(pk), team.name, {"team_id": team.id})
    if kind is ScopeKind.LECTURER:
        # Only people with a public lecturer profile have a feed; anyone else is unknown.
        person = await Person.get_or_none(id=pk, is_lecturer=True, **live)
        if person is None:
            raise _unknown(kind, ident)
        name = f"{person.name}（{person.title}）" if person.title else person.name
        return Scope(kind, str(pk), f"{name}的宣讲", {"lecturer_id": person.id})
    if kind is ScopeKind.CAMPAIGN:
        campaign = await Campaign.get_or_none(id=pk, **live)
        if campaign is None:
            raise _unknown(kind, ident)
        return Scope(kind, str(pk), campaign.name, {"campaign_id": campaign.id})
    if kind is ScopeKind.EVENT:
        event = await Event.get_or_none(id=pk, **live)
        if event is None or event.status == "DRAFT":
            raise _unknown(kind, ident)
        return Scope(kind, str(pk), event.title, {"site_id": event.site_id}, event_id=event.id,
                     event_ids=tuple(await occurrences.lineage(event)))
    raise _unknown(kind, ident)  # pragma: no cover - every kind is handled above
