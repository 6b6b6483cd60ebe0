"""Tortoise's asyncpg client, with two changes (engine ``api.db.postgres``, see api/db/__init__.py).

- Waiting for a pooled connection is bounded (``acquire_timeout``): when PostgreSQL is
  frozen or every connection is stuck, a request fails after that long instead of queueing
  for the whole outage; api/domain/availability.py reads the TimeoutError as "unavailable".
- A connection that cannot go back to the pool (the server went away just after COMMIT, so
  asyncpg's reset fails) is logged and dropped, never raised: the transaction's outcome is
  what its COMMIT said. Tortoise raised it, so a committed write answered "Internal error"
  and a client that retried made a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import NestedTransactionContext, PoolConnectionWrapper, TransactionContextPooled
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from api.db import at_commit
from api.domain import availability

log = logging.getLogger("wenming.db")


class _OneLineWhenUnavailable(logging.Filter):
    """asyncpg's pool logs every failed attempt to reconnect with a full traceback; during an
    outage that buries the log. Keep the line and the reason, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and availability.is_unavailable(record.exc_info[1]):
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


logging.getLogger("asyncpg.pool").addFilter(_OneLineWhenUnavailable())


async def _release(pool: Any, connection: Any, timeout: float | None, after: str) -> None:
    """Give the connection back; if the server is gone, log it and drop the connection."""
    if pool is None or connection is None:
        return
    try:
        await pool.release(connection, timeout=timeout)
    except Exception as exc:  # the work is done (or already failed): nothing to report to the caller
        log.warning("a PostgreSQL connection could not be returned to the pool after %s (%s: %s); dropped it",
                    after, type(exc).__name__, exc)
        try:
            connection.terminate()
        except Exception:  # already closed
            pass


async def _acquire(pool: Any, timeout: float | None) -> Any:
    return await pool.acquire(timeout=timeout)


class _Connection(PoolConnectionWrapper):
    """One statement outside a transaction: bounded acquire, quiet release."""

    __slots__ = ("timeout",)

    def __init__(self, client: PostgresClient, lock: asyncio.Lock) -> None:
        super().__init__(client, lock)
        self.timeout = client.acquire_timeout

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        self.connection = await _acquire(self.client._pool, self.timeout)
        return self.connection

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        await _release(self.client._pool, self.connection, self.timeout, "a statement")


class _Transaction(TransactionContextPooled):
    """``in_transaction()``: bounded acquire; after COMMIT or ROLLBACK, a quiet release."""

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        parent = self.client._parent
        self.client._connection = await _acquire(parent._pool, parent.acquire_timeout)
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            await _release(parent._pool, self.client._connection, parent.acquire_timeout, "a failed BEGIN")
            raise
        at_commit.opened(self.client._connection)
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        parent = self.client._parent
        outcome = "ROLLBACK" if exc_type else "COMMIT"
        gathered = at_commit.closed(self.client._connection)
        try:
            if not self.client._finalized and not exc_type and gathered:
                try:
                    await at_commit.run(self.client, gathered)  # the work kept for the end (api/db/at_commit.py)
                except BaseException as exc:
                    exc_type, outcome = type(exc), "ROLLBACK"
                    await self._rollback_quietly()
                    raise
            if not self.client._finalized:
                if exc_type:
                    if exc_type is not TransactionManagementError:
                        await self._rollback_quietly()
                else:
                    await self.client.commit()  # if this raises, the outcome is unknown: it propagates
        finally:
            try:
                await _release(parent._pool, self.client._connection, parent.acquire_timeout, outcome)
            finally:
                get_connections().reset(self.token)

    async def _rollback_quietly(self) -> None:
        try:
            await self.client.rollback()
        except Exception as exc:  # the original error is the one to report
            log.warning("ROLLBACK failed (%s: %s)", type(exc).__name__, exc)


class _Savepoint(NestedTransactionContext):
    """A nested ``in_transaction()``: what the transaction gathered for its end
    (api/db/at_commit.py) is put back as it was when the savepoint rolls back."""

    async def __aenter__(self) -> Any:
        self.gathered = at_commit.kept(self.client._connection)
        return await super().__aenter__()

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        await super().__aexit__(exc_type, exc_val, exc_tb)
        if exc_type:
            at_commit.restore(self.client._connection, self.gathered)


class _TransactionClient(TransactionWrapper):
    def _in_transaction(self) -> Any:
        return _Savepoint(_TransactionClient(self))


class PostgresClient(AsyncpgDBClient):
    def __init__(self, *args: Any, acquire_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    def acquire_connection(self) -> Any:
        return _Connection(self, self._pool_init_lock)

    def _in_transaction(self) -> Any:
        return _Transaction(_TransactionClient(self), self._pool_init_lock)


client_class = PostgresClient
