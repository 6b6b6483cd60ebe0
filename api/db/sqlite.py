"""Tortoise's SQLite client, with write transactions started by BEGIN IMMEDIATE (engine
``api.db.sqlite``, see api/db/__init__.py).

A deferred BEGIN takes the write lock only at the first write; if another process (a CLI
import beside ``wenming serve``) holds it then, SQLite cannot wait for it (the transaction
has already read: waiting could deadlock) and fails at once with "database is locked",
whatever the busy timeout. BEGIN IMMEDIATE takes the lock first, so the busy timeout
applies and the two writers take turns.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections


class _ImmediateTransaction(SqliteTransactionWrapper):
    @translate_exceptions
    async def _begin(self, query: str) -> None:  # translate_exceptions wants the statement
        await self._connection.commit()  # what Tortoise does first: end any implicit transaction
        await self._connection.execute(query)

    async def begin(self) -> None:
        # Errors are Tortoise's OperationalError: "database is locked" after the busy timeout
        # is read as "unavailable" (api/domain/availability.py).
        await self._begin("BEGIN IMMEDIATE")


class _Transaction(SqliteTransactionContext):
    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            # Tortoise keeps the connection's lock when BEGIN fails: every later statement
            # of this process would then wait for it forever.
            self._trxlock.release()
            raise
        return self.connection


class SqliteImmediateClient(SqliteClient):
    def _in_transaction(self) -> Any:
        return _Transaction(_ImmediateTransaction(self), self._lock)


client_class = SqliteImmediateClient
