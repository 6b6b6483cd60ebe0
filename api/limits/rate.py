"""Requests per client per minute: a fixed window counted in Redis when it is configured
(every worker shares the count; one round trip: INCR and EXPIRE in one pipeline), in this
process otherwise.

Anonymous callers are counted by address, token callers by token. A token is not checked
here (that needs the database), so a client could send made-up tokens to get fresh counts:
each 401 is therefore counted against its address too, and an address that has failed
`limit` times this minute sends no more token requests.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits.clients import bearer_token, client_address
from api.limits.refusals import close_websocket, refuse
from api.settings import Settings

log = logging.getLogger("wenming.limits")
WINDOW_SECONDS = 60


class Counter(Protocol):
    async def hit(self, key: str, also_read: str | None = None) -> tuple[int, int]:
        """Count one request on `key` in the current window; return its count and that of
        `also_read` (0 when None) in the same window."""

    async def add(self, key: str) -> None:
        """Count one more on `key` (an address's failed authentication)."""

    async def close(self) -> None: ...


def window() -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    now = time.time()
    number = int(now // WINDOW_SECONDS)
    return number, max(1, math.ceil((number + 1) * WINDOW_SECONDS - now))


class MemoryCounter:
    """One process's counts. Old windows are dropped as the window moves on."""

    MAX_KEYS = 200_000

    def __init__(self) -> None:
        self.window = -1
        self.counts: dict[str, int] = {}

    def _current(self) -> dict[str, int]:
        number, _ = window()
        if number != self.window or len(self.counts) > self.MAX_KEYS:
            self.window, self.counts = number, {}
        return self.counts

    async def hit(self, key: str, also_read: str | None = None) -> tuple[int, int]:
        counts = self._current()
        counts[key] = counts.get(key, 0) + 1
        return counts[key], counts.get(also_read, 0) if also_read else 0

    async def add(self, key: str) -> None:
        counts = self._current()
        counts[key] = counts.get(key, 0) + 1

    async def close(self) -> None:
        pass


class RedisCounter:
    """Counts shared by every worker. If Redis does not answer, requests pass (and it is
    logged): an outage of the counter must not become an outage of the API."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis  # imported here: only Redis deployments need it

        self.redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.prefix = prefix
        self.warned_at = 0.0

    def _key(self, key: str, number: int) -> str:
        return f"{self.prefix}:rate:{number}:{key}"

    async def hit(self, key: str, also_read: str | None = None) -> tuple[int, int]:
        from redis.exceptions import RedisError

        number, _ = window()
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.incr(self._key(key, number))
            pipe.expire(self._key(key, number), WINDOW_SECONDS + 5)
            if also_read:
                pipe.get(self._key(also_read, number))
            replies = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return 0, 0
        return int(replies[0]), int(replies[2] or 0) if also_read else 0

    async def add(self, key: str) -> None:
        await self.hit(key)

    async def close(self) -> None:
        await self.redis.aclose()

    def _warn(self, exc: Exception) -> None:
        if time.monotonic() - self.warned_at > 60:
            self.warned_at = time.monotonic()
            log.warning("rate limiting is off while Redis does not answer: %s", exc)


def create_counter(settings: Settings) -> Counter:
    if settings.redis_url:
        return RedisCounter(settings.redis_url, settings.redis_prefix)
    return MemoryCounter()


class RateLimit:
    """429 with Retry-After once a client has used its requests of the minute. Feeds have their
    own, larger bucket (calendar servers poll many feeds from few addresses)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, counter: Counter) -> None:
        self.app, self.settings, self.counter = app, settings, counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        feeds = scope["path"].startswith("/feeds")
        limit = self.settings.feed_rate_limit_per_minute if feeds else self.settings.rate_limit_per_minute
        if not limit:
            await self.app(scope, receive, send)
            return
        bucket = "feeds" if feeds else "api"
        address = client_address(scope, self.settings.trusted_proxy_header)
        token = bearer_token(scope)
        failures = f"{bucket}:failed:{address}"
        if token:
            used, failed = await self.counter.hit(f"{bucket}:token:{token}", also_read=failures)
        else:
            used, failed = await self.counter.hit(f"{bucket}:ip:{address}")
        if used > limit or failed >= limit:
            await self._refuse(scope, receive, send, limit)
            return

        async def counting_send(message: Message) -> None:
            if token and message["type"] == "http.response.start" and message["status"] == 401:
                await self.counter.add(failures)  # a made-up token counts against its address
            await send(message)

        await self.app(scope, receive, counting_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        _, retry_after = window()
        message = f"Too many requests from this client: at most {limit} a minute. Retry after {retry_after} s"
        if scope["type"] == "websocket":
            await close_websocket(scope, receive, send, message)
            return
        await refuse(send, 429, message, "RATE_LIMITED", headers={"Retry-After": str(retry_after)},
                     retryAfter=retry_after, limit=limit)
