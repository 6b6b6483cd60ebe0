"""Subscription links for a feed: https, webcal:// and Google Calendar's "add by URL".

For the GraphQL types that have a feed (Site, Team, Lecturer, Platform, Campaign, Event):

    from api.domain.feed_urls import feed_links
    links = feed_links("site", site.id, settings=info.context.settings, subtree=True)
    links.https, links.webcal, links.google
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from api.settings import Settings, get_settings

SEGMENT = {
    "site": "sites",
    "team": "teams",
    "lecturer": "lecturers",
    "platform": "platforms",
    "campaign": "campaigns",
    "event": "events",
}
GOOGLE_ADD_BY_URL = "https://calendar.google.com/calendar/r?cid="


@dataclass(frozen=True)
class FeedLinks:
    https: str  # the feed itself (http:// when public_url is http)
    webcal: str  # the same with webcal://: a tap opens the calendar app's subscribe dialog
    google: str  # Google Calendar's "add by URL" link for the webcal URL


def feed_links(
    scope: str,
    ident: int | str,
    *,
    settings: Settings | None = None,
    subtree: bool = False,
    kind: str | None = None,
    platforms: Sequence[str] = (),
) -> FeedLinks:
    """Links to the feed of one site, team, lecturer, platform (by code), campaign or event.

    ``scope`` is "site", "team", "lecturer", "platform", "campaign" or "event"; ``ident``
    the numeric id (the platform's code for "platform"). ``subtree`` (sites only) covers
    everything below the site; ``kind`` (LECTURE or ACTIVITY) and ``platforms`` (codes)
    narrow the feed. The default window (90 days back, 365 ahead) is left to the server, so
    the link stays the same day after day.
    """
    try:
        segment = SEGMENT[scope]
    except KeyError:
        raise ValueError(f"scope must be one of {', '.join(SEGMENT)}, got {scope!r}") from None
    if subtree and scope != "site":
        raise ValueError("subtree applies to site feeds only")
    settings = settings or get_settings()
    base = settings.links_base
    query: list[tuple[str, str]] = []
    if subtree:
        query.append(("subtree", "1"))
    if kind:
        query.append(("kind", kind.upper()))
    if platforms:
        query.append(("platform", ",".join(platforms)))
    url = f"{base}/feeds/{segment}/{quote(str(ident), safe='')}.ics"
    if query:
        url += "?" + urlencode(query, safe=",")
    scheme, _, rest = url.partition("://")
    webcal = f"webcal://{rest}"
    return FeedLinks(https=url, webcal=webcal, google=GOOGLE_ADD_BY_URL + quote(webcal, safe=""))
