"""Subscription links of the iCal feeds, as GraphQL: the `feed` field of Site, Team, Lecturer,
Platform, Campaign and Event.

The links are built from ids and codes already on the row (no SQL), with the request's
``public_url``, by ``api.domain.feed_urls.feed_links``: the one place feed URLs are made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry
from strawberry import relay

from api.domain.errors import NotFound
from api.domain import feed_urls
from schema.core.context import Info, node_pks
from schema.core.enums import EventKindEnum


@strawberry.type(
    description="Links to subscribe to an iCal feed (日历订阅): paste, tap or click one in a calendar app. "
    "See docs/feeds.md."
)
class FeedLinks:
    https: str = strawberry.field(
        description="The feed itself (text/calendar): paste it into any calendar app, or poll it from a program"
    )
    webcal: str = strawberry.field(
        description="The same feed as webcal://: one tap on a phone or Mac opens the calendar app's subscribe dialog"
    )
    google: str = strawberry.field(
        description='Google Calendar\'s "add by URL" link for this feed (the webcal URL, encoded)'
    )


# The arguments the `feed` fields share.
FeedKind = Annotated[
    EventKindEnum | None,
    strawberry.argument(description="Only lectures or only activities (default: both)"),
]
FeedPlatforms = Annotated[
    list[relay.GlobalID] | None,
    strawberry.argument(description="Only events of these service platforms (平台), by their global IDs"),
]
FeedSubtree = Annotated[
    bool,
    strawberry.argument(
        description="Include every site below this one (a centre's feed covers its institutes and stations)"
    ),
]


def links(
    info: Info,
    scope: str,
    ident: int | str,
    *,
    subtree: bool = False,
    kind: EventKindEnum | None = None,
    platform_codes: Sequence[str] = (),
) -> FeedLinks:
    made = feed_urls.feed_links(
        scope, ident, settings=info.context.settings, subtree=subtree,
        kind=kind.value if kind is not None else None, platforms=platform_codes,
    )
    return FeedLinks(https=made.https, webcal=made.webcal, google=made.google)


async def platform_codes(info: Info, platforms: list[relay.GlobalID] | None) -> list[str]:
    """The codes of these platforms (feed URLs name platforms by code). Through the request's
    platform DataLoader: one query per request, however many items ask."""
    pks = node_pks(platforms, "Platform", "platforms")
    if not pks:
        return []
    rows = await info.context.loaders.platform.load_many(pks)
    for gid, row in zip(platforms or [], rows, strict=True):
        if row is None:
            raise NotFound("platform", gid, field="platforms")
    return [row.code for row in rows]
