"""In-process caches for feeds: rendered VEVENT blocks, and when each feed last changed.

Used from the event loop only (rendering threads hand their bytes back to it), so no locks.
With several worker processes each keeps its own, and with Redis (``WENMING_REDIS_URL``)
rendered events and assembled feeds are also shared between them (api/shared_cache.py).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import UTC, datetime


class BlockCache:
    """LRU of rendered event text, bounded by total bytes."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> bytes | None:
        value = self._items.get(key)
        if value is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Hashable, value: bytes) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        if len(value) > self.max_bytes:
            return
        self._items[key] = value
        self.bytes += len(value)
        while self.bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.bytes -= len(evicted)

    def clear(self) -> None:
        self._items.clear()
        self.bytes = self.hits = self.misses = 0


class WeightedLRU:
    """LRU of arbitrary values, bounded by the sum of the weights given with them."""

    def __init__(self, max_weight: int) -> None:
        self.max_weight = max_weight
        self.weight = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()

    def get(self, key: Hashable):
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Hashable, value: object, weight: int = 1) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.weight -= old[1]
        if weight > self.max_weight:
            return
        self._items[key] = (value, weight)
        self.weight += weight
        while self.weight > self.max_weight:
            _, (_, evicted) = self._items.popitem(last=False)
            self.weight -= evicted

    def clear(self) -> None:
        self._items.clear()
        self.weight = 0


class ChangeClock:
    """When did this feed (URL and parameters) last change, as seen by this process?

    Last-Modified must move whenever the body changes, including when an event leaves the
    feed (deleted, unpublished, moved elsewhere) or enters it as the window slides: the
    newest updated_at of what is left does not move then. So the feed's Last-Modified is the
    time this process first served its current ETag, in whole seconds (HTTP dates), and never
    later than now: RFC 9110 forbids a Last-Modified later than the response's Date, which is
    read from the same clock after it. When the body changed twice within one second, the two
    share a Last-Modified: that date is then weak (RFC 9110 8.8.2.2) and `weak()` says so, so
    If-Modified-Since never answers 304 on it (If-None-Match still does).
    """

    def __init__(self, max_feeds: int = 20_000) -> None:
        self.max_feeds = max_feeds
        self._seen: OrderedDict[Hashable, tuple[str, datetime, bool]] = OrderedDict()

    def since(self, feed_key: Hashable, etag: str, now: datetime | None = None) -> datetime:
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        seen = self._seen.get(feed_key)
        if seen is not None and seen[0] == etag:
            self._seen.move_to_end(feed_key)
            return seen[1]
        weak = seen is not None and seen[1] >= now  # the previous body was first served this second
        since = now
        self._seen[feed_key] = (etag, since, weak)
        self._seen.move_to_end(feed_key)
        while len(self._seen) > self.max_feeds:
            self._seen.popitem(last=False)
        return since

    def weak(self, feed_key: Hashable, etag: str) -> bool:
        """True when this ETag's Last-Modified is shared with an earlier body of the feed."""
        seen = self._seen.get(feed_key)
        return seen is None or seen[0] != etag or seen[2]
