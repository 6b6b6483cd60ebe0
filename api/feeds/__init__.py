"""iCal feeds of the calendars (rendering, routes, HTTP caching)."""

from starlette.routing import BaseRoute

from api.settings import Settings


def feed_routes(settings: Settings) -> list[BaseRoute]:
    return []
