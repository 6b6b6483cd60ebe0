"""What a browser gets besides GraphQL and the feeds: the landing page at /, and GraphiQL with
its assets served from this package (api/web/static/graphiql/), so it works offline."""

from api.web.graphiql import graphiql_page, static_assets
from api.web.landing import landing

__all__ = ["graphiql_page", "landing", "static_assets"]
