"""GraphiQL from local files: strawberry's page with its seven CDN assets replaced by pinned
copies in static/graphiql/ (fetched and checked by scripts/fetch_graphiql.py)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_PREFIX = "/static"


@cache
def graphiql_page() -> str:
    return files(__package__).joinpath("graphiql.html").read_text(encoding="utf-8")


def static_assets() -> Mount:
    """/static/graphiql/... (the page asks for them relative to /graphql)."""
    return Mount(STATIC_PREFIX, StaticFiles(packages=[(__package__, "static")]), name="static")
