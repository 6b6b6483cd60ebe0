"""A byte cache shared by every worker through Redis (``WENMING_REDIS_URL``), behind the
in-process caches: what one worker rendered, the others serve without rendering it again.

Only content-addressed entries go here: their key is a digest of everything the value was
made from (an event's stamps, a feed's ETag, a document's variables and the freshness
watermark), so an entry is never wrong, only unused once the data moved on; entries expire
after ``TTL_SECONDS`` and Redis may evict them (``maxmemory-policy allkeys-lru``).

If Redis does not answer, the cache is simply empty (and it is logged once a minute): an
outage of the cache must not become an outage of feeds or screens.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence

from api.settings import Settings

log = logging.getLogger(__name__)
TTL_SECONDS = 24 * 3600


def digest(*parts: object) -> str:
    """A stable key for these parts (their repr: the same in every worker of one release)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


class SharedCache:
    def __init__(self, url: str, prefix: str, namespace: str) -> None:
        from redis.asyncio import Redis  # imported here: only Redis deployments need it

        self.redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.prefix = f"{prefix}:cache:{namespace}:"
        self.hits = self.misses = self.stores = 0
        self._warned_at = 0.0

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        from redis.exceptions import RedisError

        try:
            values = await self.redis.mget([self.prefix + k for k in keys])
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return [None] * len(keys)
        found = sum(v is not None for v in values)
        self.hits += found
        self.misses += len(keys) - found
        return list(values)

    async def get(self, key: str) -> bytes | None:
        return (await self.get_many([key]))[0]

    async def put_many(self, items: dict[str, bytes]) -> None:
        if not items:
            return
        from redis.exceptions import RedisError

        try:
            pipe = self.redis.pipeline(transaction=False)
            for key, value in items.items():
                pipe.set(self.prefix + key, value, ex=TTL_SECONDS)
            await pipe.execute()
            self.stores += len(items)
        except (RedisError, OSError) as exc:
            self._warn(exc)

    async def put(self, key: str, value: bytes) -> None:
        await self.put_many({key: value})

    async def close(self) -> None:
        await self.redis.aclose()

    def _warn(self, exc: Exception) -> None:
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            log.warning("the shared cache is off while Redis does not answer: %s", exc)


def shared_cache(settings: Settings, namespace: str) -> SharedCache | None:
    """The shared cache for this namespace, or None without Redis (one process: its own caches suffice)."""
    return SharedCache(settings.redis_url, settings.redis_prefix, namespace) if settings.redis_url else None
