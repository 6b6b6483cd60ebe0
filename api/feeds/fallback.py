"""The last answer of each feed URL, served when the database is unavailable.

A calendar app polls a feed every hour or so; while PostgreSQL restarts, the feed it had is
the best answer (an error would make some apps drop every event). Such an answer carries
``X-Wenming-Stale: database-unavailable`` and ``Cache-Control: no-cache``; a URL never
served before answers 503 with Retry-After (api/health.py). Bounded by the bytes held.
With a read replica that answers while the primary is unreachable, the replica's answer comes
first (api/db/replica.py), marked the same way; this cache answers when it cannot.
"""

from __future__ import annotations

from collections.abc import Hashable

from starlette.requests import Request
from starlette.responses import Response

from api.domain import availability, compression
from api.feeds.cache import WeightedLRU

def mark_stale(response: Response) -> None:
    """Given while the database is unavailable (availability.STALE_HEADERS)."""
    response.headers.update(availability.STALE_HEADERS)


class LastGood:
    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._items = WeightedLRU(max_bytes)
        self.served = 0  # stale answers given, for tests

    @staticmethod
    def key(request: Request) -> Hashable:
        gzipped = compression.accepts_gzip(request.headers.get("accept-encoding"))
        return request.url.path, tuple(sorted(request.query_params.multi_items())), gzipped

    def remember(self, request: Request, response: Response) -> None:
        if response.status_code == 200:
            body = bytes(response.body)
            self._items.put(self.key(request), (body, dict(response.headers)), weight=len(body) + 512)

    def answer(self, request: Request) -> Response | None:
        item = self._items.get(self.key(request))
        if item is None:
            return None
        body, headers = item
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        headers.update(availability.STALE_HEADERS)
        self.served += 1
        etag = headers.get("etag", "")
        if etag and compression.etag_matches(request.headers.get("if-none-match"), etag.replace("-gzip", "")):
            return Response(status_code=304, headers={k: v for k, v in headers.items() if k.lower() != "content-type"})
        return Response(body, headers=headers)
