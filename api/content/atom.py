"""Atom feeds (RFC 4287) of published reports, for news readers: one per site subtree and one
per campaign, at /feeds/sites/<id>/reports.atom and /feeds/campaigns/<id>/reports.atom.

Like the calendar feeds they answer with an ETag and a real 304. The feed is small (the
newest 50 reports) and built with ElementTree, which escapes every text and attribute. A feed
is kept per URL while the primary's watermark of the tables it reads (REPORT_TABLES) stays the
same, and read again on the read replica for an anonymous request when the replica has that
watermark (api/feeds/marked.py). While the primary is unreachable the replica answers, else
the URL's last answer, as for the calendar feeds (api/feeds/__init__.py ``served_when_down``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.content.html import excerpt
from api.db import replica
from api.domain.clock import local, now
from api.domain.freshness import COMMITTED
from api.domain.sites import subtree
from api.domain.validation import record_id
from api.feeds import served_when_down
from api.feeds.fallback import LastGood
from api.feeds.marked import MarkedAnswers
from api.models.content import Image, Report, ReportStatus
from api.models.events import Campaign
from api.models.sites import Site
from api.settings import Settings

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ENTRIES = 50
CACHE_CONTROL = "public, max-age=300"
ET.register_namespace("", ATOM)
# What a report feed shows: reports, their sites' names and paths, campaigns' names, their covers
# (images are never changed, only added: COUNT(*)). Every write of the others moves updated_at and
# their version; COMMITTED catches one that committed after a newer write (found by review:
# MAX(updated_at) alone did not).
REPORT_TABLES = {"report": ("MAX(updated_at)", *COMMITTED), "site": ("MAX(updated_at)", *COMMITTED),
                 "campaign": ("MAX(updated_at)", *COMMITTED), "image": ("COUNT(*)",)}
Feed = tuple[bytes, str]  # the body and its ETag


def _tag(settings: Settings, what: str) -> str:
    """A stable tag: URI (RFC 4151) as the id of a feed or an entry."""
    host = urlsplit(settings.links_base).hostname or "localhost"
    return f"tag:{host},2026:{what}"


def _stamp(value: datetime) -> str:
    return local(value).isoformat(timespec="seconds")


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def render(settings: Settings, *, title: str, feed_id: str, self_url: str, author: str, reports: list[Report],
           covers: dict[int, Image], site_names: dict[int, str]) -> bytes:
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh-CN"})
    _sub(feed, "id", _tag(settings, feed_id))
    _sub(feed, "title", title)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(feed, "updated", _stamp(max((r.updated_at for r in reports), default=None) or now()))
    _sub(_sub(feed, "author"), "name", author)
    _sub(feed, "generator", "Wenming")
    for report in reports:
        entry = _sub(feed, "entry")
        _sub(entry, "id", _tag(settings, f"report:{report.id}"))
        _sub(entry, "title", report.title)
        _sub(entry, "published", _stamp(report.published_at or report.listed_at))
        _sub(entry, "updated", _stamp(report.updated_at))
        # The publishing site is the author: who typed it is not public.
        _sub(_sub(entry, "author"), "name", site_names.get(report.site_id, author))
        _sub(entry, "summary", report.summary or excerpt(report.body_text))
        _sub(entry, "content", report.body, type="html")  # sanitised on write (api/content/html.py)
        if (cover := covers.get(report.cover_id or 0)) is not None:
            _sub(entry, "link", rel="enclosure", type="image/jpeg",
                 href=f"{settings.links_base}/images/{cover.digest}/1080.jpg")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def _not_found(message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "NOT_FOUND", "field": "path"}}]}
    return Response(json.dumps(body, ensure_ascii=False), status_code=404, media_type="application/json")


async def _feed(request: Request, settings: Settings, *, title: str, feed_id: str, author: str, query) -> Feed:
    reports = list(await query.filter(status=ReportStatus.PUBLISHED, deleted_at__isnull=True)
                   .order_by("-listed_at", "-id").limit(ENTRIES))
    cover_ids = {r.cover_id for r in reports if r.cover_id}
    covers = {i.id: i for i in await Image.filter(id__in=cover_ids)} if cover_ids else {}
    site_ids = {r.site_id for r in reports}
    names = dict(await Site.filter(id__in=site_ids).values_list("id", "name")) if site_ids else {}
    self_url = f"{settings.links_base}{request.url.path}"
    body = render(settings, title=title, feed_id=feed_id, self_url=self_url, author=author, reports=reports,
                  covers=covers, site_names=names)
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def _answer(request: Request, feeds: MarkedAnswers[Feed | None], compute, missing: str) -> Response:
    """The feed kept for this URL while the tables it reads did not change (api/feeds/marked.py)."""
    with replica.reads_of(request.headers):
        feed = await feeds.get(request.url.path, compute, weight=lambda f: 512 + (len(f[0]) if f else 0))
    if feed is None:
        return _not_found(missing)
    body, etag = feed
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(b"" if request.method == "HEAD" else body, media_type=MEDIA_TYPE, headers=headers)


def report_feed_routes(settings: Settings) -> list[BaseRoute]:
    feeds: MarkedAnswers[Feed | None] = MarkedAnswers(REPORT_TABLES, max_weight=16 * 1024 * 1024)
    last_good = LastGood(8 * 1024 * 1024)

    async def site_feed(request: Request) -> Response:
        pk = record_id(request.path_params["ident"])

        async def compute() -> Feed | None:
            site = await Site.get_or_none(id=pk, deleted_at__isnull=True) if pk else None
            if site is None:
                return None
            return await _feed(request, settings, title=f"{site.name} 活动报道", feed_id=f"site:{site.id}:reports",
                               author=site.name, query=Report.filter(subtree(site.path, "site_path")))

        return await _answer(request, feeds, compute, f"there is no site {request.path_params['ident'][:20]!r}")

    async def campaign_feed(request: Request) -> Response:
        pk = record_id(request.path_params["ident"])

        async def compute() -> Feed | None:
            campaign = await Campaign.get_or_none(id=pk, deleted_at__isnull=True) if pk else None
            if campaign is None:
                return None
            return await _feed(request, settings, title=f"{campaign.name} 活动报道",
                               feed_id=f"campaign:{campaign.id}:reports", author=campaign.name,
                               query=Report.filter(campaign_id=campaign.id))

        return await _answer(request, feeds, compute, f"there is no campaign {request.path_params['ident'][:20]!r}")

    routes = [
        Route("/feeds/sites/{ident}/reports.atom", served_when_down(site_feed, last_good), methods=["GET", "HEAD"]),
        Route("/feeds/campaigns/{ident}/reports.atom", served_when_down(campaign_feed, last_good),
              methods=["GET", "HEAD"]),
    ]
    for route in routes:
        route.report_feeds = feeds  # type: ignore[attr-defined]  # tests look at what was read
    return routes
