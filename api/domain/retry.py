"""A write transaction that PostgreSQL aborted to break a lock cycle (deadlock_detected, 40P01)
or for a serialization failure (40001) changed nothing, and may simply run again: this is
the one place that runs it again, a bounded number of times, then refuses with TRY_AGAIN.

A move takes its row locks in one order (api/domain/sites.py, lock_sites), but imports lock
row by row, so a cycle can form (two imports writing the same sites in opposite orders, an
import and a move); PostgreSQL rolls one back after its deadlock_timeout, and that one runs
again here instead of failing as a fault of the server. Only the outermost transaction can run
again: inside another one (a mutation under an Idempotency-Key) the write is TRY_AGAIN at once,
and the owner of that transaction decides (schema/core/idempotency.py answers the whole request
409 TRY_AGAIN and keeps nothing under the key, so the same key may be retried).
SQLite has one writer at a time and never aborts a transaction this way.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from api.domain.errors import DomainError

T = TypeVar("T")
ATTEMPTS = 4  # the first run and three more
PAUSE_SECONDS = 0.05  # before the second run; doubled each time, with jitter so two victims part
CODE = "TRY_AGAIN"
RETRYABLE = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def is_retryable(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it: Tortoise wraps asyncpg's error) is PostgreSQL
    aborting the transaction for a lock cycle or a serialization failure."""
    seen = 0
    while exc is not None and seen < 12:
        if getattr(exc, "sqlstate", None) in RETRYABLE:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def refusal(what: str, runs: int = 1) -> DomainError:
    """TRY_AGAIN: ``what`` was rolled back ``runs`` times to break a lock cycle."""
    return DomainError(
        f"{what} met other writes to the same records and the database rolled it back to break a "
        f"lock cycle{f', {runs} times' if runs > 1 else ''}; nothing was written: send it again",
        code=CODE,
    )


def in_transaction_now() -> bool:
    return isinstance(connections.get("default"), TransactionalDBClient)


async def retrying(work: Callable[[], Awaitable[T]], what: str = "this write") -> T:
    """``work()`` (which opens its transaction and builds everything it keeps afresh on each run),
    run again when PostgreSQL aborted it for a lock cycle; a DomainError TRY_AGAIN when that
    happened every time (nothing was written)."""
    attempts = 1 if in_transaction_now() else ATTEMPTS  # inside: its owner's transaction is what failed
    for attempt in range(attempts):
        try:
            return await work()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            if attempt == attempts - 1:
                raise refusal(what, attempts) from exc
            await asyncio.sleep(PAUSE_SECONDS * 2**attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
