"""iCal feeds of the calendars (rendering, routes, HTTP caching). See docs/feeds.md.

GET /feeds/sites/{id}.ics (?subtree=1), /feeds/teams/{id}.ics, /feeds/lecturers/{id}.ics,
/feeds/platforms/{code}.ics, /feeds/campaigns/{id}.ics and /feeds/events/{id}.ics, with
kind=, platform=, from=/to= or days_back=/days_ahead=; /feeds/holidays.ics (China's public
holidays and make-up working days, api/feeds/holidays.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.db import replica
from api.domain import availability, compression
from api.domain.errors import DomainError
from api.domain.freshness import reads_no_older_than
from api.feeds import params as feed_params
from api.feeds.errors import FeedError, bad_parameter, not_found
from api.feeds.fallback import LastGood, mark_stale
from api.feeds.holidays import HolidayFeed
from api.feeds.scopes import ScopeKind, resolve
from api.feeds.service import FeedService
from api.settings import Settings

MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "public, max-age=300"


def _not_modified(request: Request, etag: str, last_modified, weak_date: bool) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:  # RFC 9110: If-Modified-Since is ignored when If-None-Match is sent
        return compression.etag_matches(inm, etag)
    if weak_date:  # another body was served with the same Last-Modified: the date cannot tell them apart
        return False
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return last_modified <= since
    return False


def _no_cache(request: Request) -> bool:
    """The client asks the origin to revalidate (a browser's reload, a portal that must be fresh)."""
    directives = request.headers.get("cache-control", "").lower()
    pragma = request.headers.get("pragma", "").lower()
    return "no-cache" in directives or "max-age=0" in directives or pragma == "no-cache"


async def _state(service: FeedService, scope, parsed: feed_params.FeedParams, *, revalidate: bool):
    """The feed's state; a big scope asked with the default window gets the narrow default
    (api/feeds/params.py, BIG_FEED_COMPONENTS): the size a calendar app accepts."""
    try:
        state = await service.state(scope, parsed, (scope.kind, scope.key, parsed), revalidate=revalidate)
        if not parsed.default_window or state.components <= feed_params.BIG_FEED_COMPONENTS:
            return parsed, state
    except FeedError as exc:
        if not (parsed.default_window and exc.code == "FEED_TOO_LARGE"):
            raise
    narrow = feed_params.narrow_default(parsed)
    return narrow, await service.state(scope, narrow, (scope.kind, scope.key, narrow), revalidate=revalidate)


def reads_for(request: Request):
    """An anonymous feed may come from the read replica (api/db/replica.py): the state and the
    body, whose reads are checked against the primary's watermark. The scope's name and the
    parameters are read on the primary: they are part of the state's ETag. While the replica
    stands in for an unreachable primary, everything is read there, from a replica that holds
    the watermark this process last read from the primary (``_endpoint``)."""
    return replica.reads_of(request.headers)


def _endpoint(service: FeedService, kind: ScopeKind):
    async def feed(request: Request) -> Response:
        if replica.standing_in():  # the scope's name is read there too: only from a replica that is not behind
            async with reads_no_older_than(service.tracker.mark):
                return await answer(request)
        return await answer(request)

    async def answer(request: Request) -> Response:
        try:
            query = request.query_params
            subtree = feed_params.parse_subtree(query) if kind is ScopeKind.SITE else False
            scope = await resolve(kind, request.path_params["ident"], subtree=subtree)
            parsed = await feed_params.parse(query)
            if kind is not ScopeKind.SITE:
                parsed = replace(parsed, subtree=False)
            with reads_for(request):
                parsed, state = await _state(service, scope, parsed, revalidate=_no_cache(request))
        except FeedError as exc:
            return exc.response()
        except DomainError as exc:  # a rule of the occurrence query; the checks above should catch it first
            return bad_parameter(exc.field or "query", exc.message, exc.code).response()
        gzipped = compression.accepts_gzip(request.headers.get("accept-encoding"))
        headers = {
            "ETag": compression.gzip_etag(state.etag) if gzipped else state.etag,
            "Vary": compression.VARY,
            "Last-Modified": format_datetime(state.last_modified, usegmt=True),
            "Cache-Control": CACHE_CONTROL,
            "X-Feed-Window": f"{parsed.window.start.isoformat()}/{parsed.window.end.isoformat()}",
            # Public data: a portal's browser script may read the feed (e.g. a JS calendar widget).
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Expose-Headers": "ETag, Last-Modified, X-Feed-Window, X-Feed-Components, Content-Encoding, "
            "X-Wenming-Stale",
        }
        # Date from the clock Last-Modified was read from, after it (RFC 9110: never earlier);
        # uvicorn's own Date is off (api/limits/server.py), api/web/date.py adds it elsewhere.
        headers["Date"] = format_datetime(datetime.now(UTC).replace(microsecond=0), usegmt=True)
        if _not_modified(request, state.etag, state.last_modified, state.weak_date):
            return Response(status_code=304, headers=headers)
        with reads_for(request):
            if gzipped:  # every feed, even an empty one: its ETag must not depend on the body's size
                body = await service.gzipped_body(state)
                headers["Content-Encoding"] = "gzip"
            else:
                body = await service.body(state)
        safe_key = re.sub(r"[^A-Za-z0-9_-]", "_", scope.key)
        headers["Content-Disposition"] = f'inline; filename="wenming-{kind.value}-{safe_key}.ics"'
        headers["X-Feed-Components"] = str(state.components)
        return Response(body, media_type=MEDIA_TYPE, headers=headers)

    feed.__name__ = f"{kind.name.lower()}_feed"
    return feed


def served_when_down(endpoint, last_good: LastGood):
    """The feed as before; while the primary database is unreachable, an anonymous request is
    answered from the read replica (api/db/replica.py, marked stale), else this URL's last
    answer (api/feeds/fallback.py), or the exception (api/health.py answers 503)."""

    async def feed(request: Request) -> Response:
        stood_in = False
        try:
            if "authorization" in request.headers:  # a token holder reads the primary or nothing
                response = await endpoint(request)
            else:
                response, stood_in = await replica.stand_in_when_primary_down(lambda: endpoint(request))
        except Exception as exc:
            if availability.is_unavailable(exc) and (stale := last_good.answer(request)) is not None:
                return stale
            raise
        if stood_in:
            mark_stale(response)
        last_good.remember(request, response)
        return response

    feed.__name__ = endpoint.__name__
    return feed


def feed_routes(settings: Settings) -> list[BaseRoute]:
    service = FeedService(settings)
    last_good = LastGood()
    routes: list[BaseRoute] = [
        Route(f"/feeds/{kind.value}/{{ident}}.ics",
              served_when_down(_endpoint(service, kind), last_good), methods=["GET", "HEAD"])
        for kind in ScopeKind
    ]
    for route in routes:
        route.last_good = last_good  # type: ignore[attr-defined]
        route.feed_service = service  # type: ignore[attr-defined]  # tests and the benchmark look at its cache
    holidays = served_when_down(HolidayFeed(settings).respond, last_good)
    routes.append(Route("/feeds/holidays.ics", holidays, methods=["GET", "HEAD"]))
    routes[-1].last_good = last_good  # type: ignore[attr-defined]
    # Last: any other URL under /feeds/ (no .ics, an unknown scope) gets the same JSON 404.
    routes.append(Route("/feeds/{rest:path}", _no_such_feed, methods=["GET", "HEAD"]))
    return routes


async def _no_such_feed(request: Request) -> Response:
    scopes = ", ".join(kind.value for kind in ScopeKind)
    path = request.url.path if len(request.url.path) <= 80 else request.url.path[:80] + "…"
    return not_found("path", f"there is no feed at {path}; feed URLs are /feeds/<scope>/<id>.ics "
                             f"with <scope> one of {scopes}").response()
