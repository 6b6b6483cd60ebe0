"""Answers kept under the primary's watermark of the few tables they read (the holiday feed, the
report feeds): a repeated request costs one small statement on the primary, and an answer is
read again only when that watermark moved, on the read replica when the request allows it and
the replica has that very watermark (api/domain/freshness.py ``reads_no_older_than``), so an
ETag made from it never goes back to an older one.

While the replica stands in for an unreachable primary (api/db/replica.py) there is no
primary's watermark to read: the last one this process read stands, an answer kept under it is
served as it is, and a missing one is read on the replica if the replica has that watermark or
more (kept then under the replica's own, which the primary's next watermark replaces)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from api.db import replica
from api.domain.freshness import reads_no_older_than, watermark, watermark_sql
from api.feeds.cache import WeightedLRU

T = TypeVar("T")


class MarkedAnswers(Generic[T]):
    def __init__(self, tables: dict[str, tuple[str, ...]], max_weight: int = 4 * 1024 * 1024) -> None:
        self.sql = watermark_sql(tables)
        self._items = WeightedLRU(max_weight)
        self._mark: tuple | None = None  # the primary's, at the last read
        self.computes = 0  # answers read from the database, for tests

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]], weight: Callable[[T], int]) -> T:
        """The answer for ``key``: kept while the watermark is the one it was read at."""
        if not replica.standing_in():
            self._mark = await watermark(self.sql)
        mark = self._mark
        kept = self._items.get(key)
        if kept is not None and kept[0] == mark:
            return kept[1]
        async with reads_no_older_than(mark, self.sql) as read_at:
            value = await compute()
        self.computes += 1
        # Kept under what it was read as of: a replica standing in ahead of `mark` holds newer rows.
        self._items.put(key, (read_at, value), weight=weight(value))
        return value
