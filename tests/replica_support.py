"""A read replica attached to the tests' running ORM (api/db/replica.py), for tests/test_replica.py.

The tests' "replicas" are PostgreSQL databases that are not standbys: the test database itself
(a replica that is never behind), an empty migrated database (one that is far behind: what
it answers shows which requests read it), or an address that refuses connections. A primary
that is down is the same refusing address put in place of the ORM's connection."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from tortoise import connections
from tortoise.connection import get_connections

from api import db as api_db
from api.db import replica
from tests.conftest import recreate_database


REFUSED = "postgres://postgres@127.0.0.1:9/wenming"  # the discard port: nothing listens there
TIMEOUTS = api_db.Timeouts(connect=1, pool=1, statement=5)


@asynccontextmanager
async def primary_refused() -> AsyncIterator[None]:
    """For the block (this task and what it starts), the ORM's primary is an address that
    refuses connections: the primary is down, the attached replica is not."""
    config = api_db.tortoise_config(REFUSED, TIMEOUTS)["connections"]["default"]
    handler = get_connections()
    client = handler._discover_client_class(config)(**config["credentials"], connection_name="default")
    token = connections.set("default", client)
    try:
        yield
    finally:
        connections.reset(token)
        await client.close()


@asynccontextmanager
async def attached(primary_url: str, replica_url: str, *, max_lag: float = 5.0) -> AsyncIterator[None]:
    """The replica as `wenming serve` attaches it (api.db.connected), on the open ORM."""
    replica.attach(api_db.replica_connection(primary_url, replica_url, TIMEOUTS), max_lag)
    try:
        yield
    finally:
        await replica.detach()


@asynccontextmanager
async def empty_database(primary_url: str, suffix: str = "replica") -> AsyncIterator[str]:
    """A migrated database with no rows beside the test database: a replica far behind."""
    parts = urlsplit(primary_url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    server = urlunsplit(parts._replace(path="/postgres"))
    url = await recreate_database(server, name)
    # Migrated by another process: api.db.migrate closes the ORM it opened, this one's included.
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-c", f"import asyncio; from api import db; asyncio.run(db.migrate({url!r}))")
    assert await migrate.wait() == 0, "migrating the empty replica database failed"
    try:
        yield url
    finally:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()
