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


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Backend]:
    """An empty, migrated database for one test."""
    conn = connections.get("default")
    if backend.name == "postgres":
        # Without the statement timeout: on a loaded machine emptying every table took over 10 s.
        async with conn.acquire_connection() as raw:
            await raw.execute("SET statement_timeout = 0;"
                              f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE;"
                              "RESET statement_timeout", timeout=300)
    else:
        await conn.execute_script(
            "PRAGMA foreign_keys = OFF;"
            + "".join(f"DELETE FROM {t};" for t in _tables())
            + "DELETE FROM sqlite_sequence; PRAGMA foreign_keys = ON;"
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
