"""Test fixtures: every storage test runs on a real SQLite file, and on PostgreSQL when
WENMING_TEST_POSTGRES_URL names a server (`.ci/run` sets it when one answers)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api import db as api_db
from api.app import create_app
from api.settings import Settings
from tests.demo_support import demo_database, demo_server  # noqa: F401 (one of each per run, for every module)

POSTGRES_URL = os.environ.get("WENMING_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
# One database per test process, so two runs on one server never share tables.
TEST_DATABASE = f"wenming_test_{os.getpid()}"


@dataclass(frozen=True)
class Backend:
    name: str
    url: str


async def recreate_database(server_url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``server_url`` (dropped first if left
    over): its URL."""
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return urlunsplit(urlsplit(server_url)._replace(scheme="postgres", path=f"/{name}"))


async def _fresh_postgres(server_url: str) -> str:
    """A new, empty database beside the one named in the URL."""
    return await recreate_database(server_url, TEST_DATABASE)


async def _drop_postgres(server_url: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(request, tmp_path_factory) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('sqlite') / 'wenming.sqlite3'}"
    else:
        url = await _fresh_postgres(POSTGRES_URL)
    await api_db.migrate(url)  # the committed migrations, as production runs them
    # Tortoise caches INSERT statements per connection name, not per dialect: one session
    # that switches from SQLite to PostgreSQL must start from an empty cache.
    EXECUTOR_CACHE.clear()
    async with api_db.connected(url):
        yield Backend(request.param, url)
    if request.param == "postgres":
        await _drop_postgres(POSTGRES_URL)


def _tables() -> list[str]:
    return [m._meta.db_table for m in Tortoise.apps[api_db.APP_LABEL].values()]


def _written(tables: list[str]) -> str:
    """A query naming those of ``tables`` that hold a row."""
    return " UNION ALL ".join(f"SELECT '{t}' AS name WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)


# Every table but the migration log; the tables' id sequences that have handed out a value.
_PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'tortoise_migrations'"
_PG_USED_SEQUENCES = """SELECT q.oid::regclass::text AS name FROM pg_sequences s
    JOIN pg_class q ON q.relname = s.sequencename AND q.relnamespace = s.schemaname::regnamespace
    WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL AND s.sequencename <> 'tortoise_migrations_id_seq'
    AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = q.oid AND d.deptype IN ('a', 'i'))"""


async def _empty_postgres(raw) -> None:
    """Every table empty and every id sequence restarted, as TRUNCATE ... RESTART IDENTITY does
    (no row trigger fires), but only the tables a test wrote, and by DELETE: a TRUNCATE cost a
    second a test at load 7, 0.02 s this way. session_replication_role = replica (the tests
    connect as the server's superuser) skips the triggers, foreign keys included, so the order
    of the deletes does not matter. Tests that read plans want truncate_every_table."""
    tables = [r["tablename"] for r in await raw.fetch(_PG_TABLES)]
    written = [r["name"] for r in await raw.fetch(_written(tables))]
    sequences = [r["name"] for r in await raw.fetch(_PG_USED_SEQUENCES)]
    if written or sequences:
        await raw.execute("SET statement_timeout = 0; SET session_replication_role = replica;"
                          + "".join(f"DELETE FROM {t};" for t in written)
                          + "".join(f"SELECT setval('{q}', 1, false);" for q in sequences)
                          + "RESET session_replication_role; RESET statement_timeout", timeout=300)


async def truncate_every_table(backend: Backend) -> None:
    """Every table as a new database has it: on PostgreSQL, TRUNCATE leaves a table uncounted,
    which the planner takes for ten pages, where after a DELETE it counts the pages left (one
    page: a sequential scan is cheapest)."""
    if backend.name == "postgres":
        async with connections.get("default").acquire_connection() as raw:
            # Without the statement timeout: on a loaded machine emptying every table took over 10 s.
            await raw.execute("SET statement_timeout = 0;"
                              f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE;"
                              "RESET statement_timeout", timeout=300)


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Backend]:
    """An empty, migrated database for one test."""
    conn = connections.get("default")
    if backend.name == "postgres":
        async with conn.acquire_connection() as raw:
            await _empty_postgres(raw)
    else:
        # The models' tables only: their triggers empty the search index's FTS5 tables with them.
        _, rows = await conn.execute_query(_written(_tables()))
        await conn.execute_script(
            "PRAGMA foreign_keys = OFF; BEGIN;"
            + "".join(f"DELETE FROM {name};" for name, in rows)
            + "DELETE FROM sqlite_sequence; COMMIT; PRAGMA foreign_keys = ON;"
        )
    yield backend


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> str:
    """Image files written by the tests' uploads (never the working directory)."""
    return str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def settings(backend: Backend, media_dir: str) -> Settings:
    return Settings(database_url=backend.url, public_url="https://wenming.example.org", graphiql=False,
                    storage_dir=media_dir)


@pytest.fixture
async def client(db, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP requests through the ASGI app (the ORM is the session's)."""
    app = create_app(settings, manage_db=False)
    transport = httpx.ASGITransport(app=app)  # runs no lifespan: background imports are started here
    async with app.state.import_jobs.running(), httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, **variables) -> dict:
        """Run a query that must succeed; return its data."""
        body = await self.raw(query, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def raw(self, query: str, **variables) -> dict:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()

    async def errors(self, query: str, **variables) -> list[dict]:
        body = await self.raw(query, **variables)
        assert body.get("errors"), f"expected errors, got {body}"
        return body["errors"]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


class _SQLCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if SQL.match(message):
            self.statements.append(message)


@contextmanager
def count_sql() -> Iterator[list[str]]:
    """Collect every SQL statement Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    handler, level = _SQLCounter(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
