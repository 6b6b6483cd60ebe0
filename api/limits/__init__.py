"""What one request, one connection and one client may cost at the HTTP level, before any
GraphQL or feed code runs: body size and arrival time, request rate, open WebSockets, and the
server's own connection and header limits. (Limits on GraphQL documents live in schema/.)"""

from __future__ import annotations

from starlette.middleware import Middleware

from api.limits.body import BodyLimit
from api.limits.rate import Counter, RateLimit, create_counter

__all__ = ["create_counter", "limit_middleware"]
from api.limits.websockets import WebSocketCap
from api.settings import Settings


# Where a file may be uploaded as multipart/form-data: images (api/content/routes.py, GraphQL's
# uploadImage, and importSheet's sheet) and sheets (api/sheets/routes.py; a path ending in / is a prefix).
UPLOAD_PATHS = ("/uploads/images", "/graphql", "/sheets/import/")


def limit_middleware(settings: Settings, counter: Counter) -> list[Middleware]:
    """Outermost first: a refused client costs one counter increment and nothing else."""
    return [
        Middleware(RateLimit, settings=settings, counter=counter),
        Middleware(WebSocketCap, settings=settings),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds,
                   upload_paths=UPLOAD_PATHS, max_upload_bytes=settings.max_upload_bytes,
                   upload_timeout=settings.upload_timeout_seconds),
    ]
