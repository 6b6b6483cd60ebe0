"""The composition root: builds the Starlette app (GraphQL, iCal feeds, health and readiness)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from api import db
from api.china_calendar import holidays
from api.content.atom import report_feed_routes
from api.content.routes import image_routes
from api.domain import freshness, idempotency, occurrences
from api.feeds import feed_routes
from api.health import Unavailable, health, ready
from api.limits import create_counter, limit_middleware
from api.live import create_bus
from api.settings import Settings, get_settings
from api.volunteering import checkin
from api.volunteering.http import export_routes
from api.sheets.jobs import ImportJobs
from api.sheets.routes import sheet_routes
from api.web import graphiql_page, landing, static_assets
from api.web.date import DateHeader
from schema.http import GraphQLApp

log = logging.getLogger("wenming")
HORIZON_REFRESH_SECONDS = 24 * 3600


async def _keep_horizon_rolling() -> None:
    """Re-materialise open-ended series daily so the occurrences table always reaches ahead."""
    while True:
        try:
            count = await occurrences.extend_horizon()
            log.info("occurrence horizon extended: %d occurrences of recurring series", count)
        except Exception:  # keep the loop alive; the next day tries again
            log.exception("extending the occurrence horizon failed")
        await asyncio.sleep(HORIZON_REFRESH_SECONDS)


# What grows with every write and is needed only for a while: each trim deletes what no
# answer can depend on any more, and returns how many rows.
DAILY_TRIMS = {
    "idempotency keys older than %d hours" % idempotency.KEEP_HOURS: idempotency.forget_expired,
    "deletion marks older than their table's newest": freshness.trim_deletion_marks,
    "uses of check-in codes that can no longer be read": checkin.forget_spent_codes,
}


async def run_daily_trims() -> dict[str, int]:
    """Each trim once; one that fails (the database away) is logged and the others still run."""
    done: dict[str, int] = {}
    for what, trim in DAILY_TRIMS.items():
        try:
            done[what] = await trim()
            log.info("trimmed %d %s", done[what], what)
        except Exception:  # tomorrow again
            log.exception("trimming %s failed", what)
    return done


async def _trim_daily() -> None:
    while True:
        await run_daily_trims()
        await asyncio.sleep(HORIZON_REFRESH_SECONDS)


def _cors(settings: Settings) -> list[Middleware]:
    """Pages on the allowed origins (a kiosk page on a centre's web server) may call the API;
    the same list lets them open GraphQL WebSockets (GraphQLApp)."""
    if not settings.allowed_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "accept", "authorization", "if-none-match", "idempotency-key"],
            # Date: the kiosk sets its clock by it; Retry-After and Idempotent-Replayed: docs/operations.md
            expose_headers=["etag", "last-modified", "date", "idempotent-replayed", "retry-after", "x-wenming-stale"],
            max_age=3600,
        )
    ]


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """``manage_db=False`` leaves the ORM to the caller (tests open it once per session)."""
    settings = settings or get_settings()
    # One bus per app instance: writes announce on it, subscriptions listen to it.
    bus = create_bus(settings)
    graphql = GraphQLApp(settings, ide_page=graphiql_page())
    graphql.bus = bus
    # Background imports (api/sheets/jobs.py), run by a task of this lifespan, not of a request.
    import_jobs = ImportJobs(bus)
    graphql.import_jobs = import_jobs
    counter = create_counter(settings)  # requests per client (api/limits/rate.py)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            if not manage_db:
                async with import_jobs.running():
                    yield
                return
            await db.migrate(settings.database_url)
            async with db.connected(settings.database_url, timeouts=settings.db_timeouts,
                                    replica_url=settings.database_replica_url,
                                    replica_max_lag=settings.replica_max_lag_seconds):
                if await holidays.ensure_filled():  # a fresh database: the holiday table's default years
                    log.info("holiday table filled for %d-%d", holidays.DEFAULT_YEARS[0], holidays.DEFAULT_YEARS[-1])
                task = asyncio.create_task(_keep_horizon_rolling())
                trims = asyncio.create_task(_trim_daily())
                try:
                    async with import_jobs.running():
                        yield
                finally:
                    task.cancel()
                    trims.cancel()
        finally:
            await bus.close()
            await counter.close()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/health", health),
        Route("/ready", ready),
        *report_feed_routes(settings),  # before the feeds' catch-all 404 for /feeds/...
        *feed_routes(settings),
        *image_routes(settings),
        *export_routes(),
        *sheet_routes(settings),
        Route("/", landing),
        static_assets(),
    ]
    middleware = [Middleware(DateHeader), *limit_middleware(settings, counter), *_cors(settings), Middleware(Unavailable)]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.bus = bus
    app.state.import_jobs = import_jobs
    app.state.graphiql = settings.graphiql
    return app
