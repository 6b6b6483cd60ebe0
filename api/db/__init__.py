"""Database configuration, migrations and connection lifetime (Tortoise ORM).

Tortoise's own clients, with two changes each (api/db/postgres.py, api/db/sqlite.py):
PostgreSQL has connect, pool-acquire and statement timeouts and never reports a committed
transaction as failed because its connection could not go back to the pool; SQLite starts
write transactions with BEGIN IMMEDIATE so its busy timeout applies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import get_connections
from tortoise.migrations.api import migrate as tortoise_migrate

from api.settings import ConfigError

MODEL_MODULES = [
    "api.models.sites",
    "api.models.platforms",
    "api.models.people",
    "api.models.teams",
    "api.models.events",
    "api.models.accounts",
    "api.models.audit",
    "api.models.orders",
    "api.models.search",
    "api.models.volunteering",
    "api.models.idempotency",
    "api.models.content",
    "api.models.china_calendar",
    "api.models.freshness",
]
APP_LABEL = "wenming"
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Timeouts:
    """How long PostgreSQL may take (settings WENMING_DB_*_TIMEOUT_SECONDS; docs/operations.md).
    ``statement`` None: no limit (migrations, which may build an index on a big table)."""

    connect: float = 5.0
    pool: float = 10.0
    statement: float | None = 10.0


def _connection(database_url: str, timeouts: Timeouts) -> dict:
    url = database_url
    if url.startswith("sqlite://") and "busy_timeout" not in url:
        # WAL is Tortoise's default; several writers (serve + a CLI import) need a busy timeout.
        url += ("&" if "?" in url else "?") + "busy_timeout=5000"
    config = expand_db_url(url)
    if config["engine"] == "tortoise.backends.sqlite":
        config["engine"] = "api.db.sqlite"
    elif config["engine"] == "tortoise.backends.asyncpg":
        config["engine"] = "api.db.postgres"
        credentials = config["credentials"]
        credentials.setdefault("timeout", timeouts.connect)  # asyncpg: establishing a connection
        credentials["acquire_timeout"] = timeouts.pool
        if timeouts.statement is not None:
            # Client side: a frozen server (no answer at all) is noticed; server side: a slow
            # statement is cancelled, so it stops holding locks.
            credentials.setdefault("command_timeout", timeouts.statement)
            server = dict(credentials.get("server_settings") or {})
            server.setdefault("statement_timeout", str(int(timeouts.statement * 1000)))
            credentials["server_settings"] = server
    return config


def replica_connection(database_url: str, replica_url: str, timeouts: Timeouts | None = None) -> dict:
    """The read replica's connection (api/db/replica.py): PostgreSQL beside a PostgreSQL primary,
    read-only in every session, so a write sent there by mistake fails at once, as on a standby."""
    for name, url in (("WENMING_DATABASE_URL", database_url), ("WENMING_DATABASE_REPLICA_URL", replica_url)):
        if not url.startswith(("postgres://", "postgresql://")):
            raise ConfigError(f"WENMING_DATABASE_REPLICA_URL needs PostgreSQL for both databases, but {name} is "
                              f"{url.split(':', 1)[0]}: a read replica is a PostgreSQL standby of the primary")
    config = _connection(replica_url, timeouts or Timeouts())
    config["engine"] = "api.db.replica"
    config["credentials"]["server_settings"] = {
        **(config["credentials"].get("server_settings") or {}), "default_transaction_read_only": "on"}
    return config


def tortoise_config(database_url: str, timeouts: Timeouts | None = None) -> dict:
    return {
        "connections": {"default": _connection(database_url, timeouts or Timeouts())},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "api.migrations",
            }
        },
        "use_tz": True,
        "timezone": TIMEZONE,
    }


async def migrate(database_url: str, progress: Callable[[str, str, str], object] | None = None,
                  target: str | None = None) -> None:
    """Apply every committed migration that has not run yet (idempotent); ``target``: only up to
    that migration ("0012_external_keys"), as tests/test_migration_upgrade.py walks them."""
    config = tortoise_config(database_url, Timeouts(statement=None))
    sqlite = config["connections"]["default"]["engine"] == "api.db.sqlite"
    if sqlite:
        # Changing a column on SQLite rebuilds its table (copy, DROP, rename); with foreign keys
        # enforced, dropping a table that other tables' rows point at fails, so a database that
        # holds rows could not be upgraded. They are checked once every migration has run.
        config["connections"]["default"]["credentials"]["foreign_keys"] = "OFF"
    applied = []

    def noting(event: str, app: str, name: str) -> object:
        if event == "apply_done":
            applied.append(name)
        return progress(event, app, name) if progress else None

    try:
        await tortoise_migrate(config=config, progress=noting, target=target and f"{APP_LABEL}.{target}")
        if sqlite and applied:  # a scan of every reference: only after a change
            _, dangling = await Tortoise.get_connection("default").execute_query("PRAGMA foreign_key_check")
            if dangling:
                raise RuntimeError(f"after migrating, {len(dangling)} rows point at rows that do not exist, "
                                   f"first in table {dangling[0][0]}")
    finally:
        # Also after a failure: an open SQLite connection's thread would keep the process alive.
        await Tortoise.close_connections()


@asynccontextmanager
async def connected(database_url: str, *, global_fallback: bool = True, timeouts: Timeouts | None = None,
                    replica_url: str | None = None, replica_max_lag: float = 5.0) -> AsyncIterator[None]:
    """Open the ORM for the duration of the block (the app's lifespan, a CLI command); with
    ``replica_url``, reads that may be stale go there (api/db/replica.py)."""
    from api.db import replica

    await Tortoise.init(config=tortoise_config(database_url, timeouts), _enable_global_fallback=global_fallback)
    try:
        if replica_url:
            replica.attach(replica_connection(database_url, replica_url, timeouts), replica_max_lag)
        yield
    finally:
        await replica.detach()
        await Tortoise.close_connections()


@asynccontextmanager
async def own_sqlite_connection(alias: str = "default") -> AsyncIterator[None]:
    """On SQLite, the current task's statements go through a connection of their own for the
    block. Tortoise sends every statement of a process through one SQLite connection and holds
    it for a whole transaction, so a long import would stop every other request of the server
    until it commits; on its own connection (WAL) the others read on, seeing the last commit,
    and their writes wait for it as a second process's would (the busy timeout). PostgreSQL
    has a pool: nothing changes."""
    handler = get_connections()
    if not isinstance(handler.get(alias), SqliteClient):
        yield
        return
    own = handler._create_connection(alias)  # the alias's configuration, a new connection
    token = handler.set(alias, own)
    try:
        yield
    finally:
        handler.reset(token)
        await own.close()


# For Tortoise's own CLI (`tortoise makemigrations`), which developers run when a model changes.
TORTOISE_ORM = tortoise_config("sqlite://wenming-dev.sqlite3")
