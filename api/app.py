"""The composition root: builds the Starlette app (GraphQL, iCal feeds, health)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from api import db
from api.domain import occurrences
from api.feeds import feed_routes
from api.settings import Settings, get_settings
from schema.http import GraphQLApp

log = logging.getLogger("wenming")
HORIZON_REFRESH_SECONDS = 24 * 3600


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _keep_horizon_rolling() -> None:
    """Re-materialise open-ended series daily so the occurrences table always reaches ahead."""
    while True:
        try:
            count = await occurrences.extend_horizon()
            log.info("occurrence horizon extended: %d occurrences of recurring series", count)
        except Exception:  # keep the loop alive; the next day tries again
            log.exception("extending the occurrence horizon failed")
        await asyncio.sleep(HORIZON_REFRESH_SECONDS)


def create_app(settings: Settings | None = None, *, manage_db: bool = True) -> Starlette:
    """``manage_db=False`` leaves the ORM to the caller (tests open it once per session)."""
    settings = settings or get_settings()
    graphql = GraphQLApp(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_db:
            yield
            return
        await db.migrate(settings.database_url)
        async with db.connected(settings.database_url):
            task = asyncio.create_task(_keep_horizon_rolling())
            try:
                yield
            finally:
                task.cancel()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/health", health),
        *feed_routes(settings),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
