"""Database configuration, migrations and connection lifetime (Tortoise ORM)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

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
]
APP_LABEL = "wenming"
TIMEZONE = "Asia/Shanghai"


def tortoise_config(database_url: str) -> dict:
    url = database_url
    if url.startswith("sqlite://") and "busy_timeout" not in url:
        # WAL is Tortoise's default; several writers (serve + a CLI import) need a busy timeout.
        url += ("&" if "?" in url else "?") + "busy_timeout=5000"
    return {
        "connections": {"default": url},
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


async def migrate(database_url: str, progress: Callable[[str, str, str], object] | None = None) -> None:
    """Apply every committed migration that has not run yet (idempotent)."""
    await tortoise_migrate(config=tortoise_config(database_url), progress=progress)
    await Tortoise.close_connections()


@asynccontextmanager
async def connected(database_url: str, *, global_fallback: bool = True) -> AsyncIterator[None]:
    """Open the ORM for the duration of the block (the app's lifespan, a CLI command)."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=global_fallback)
    try:
        yield
    finally:
        await Tortoise.close_connections()


# For Tortoise's own CLI (`tortoise makemigrations`), which developers run when a model changes.
TORTOISE_ORM = tortoise_config("sqlite://wenming-dev.sqlite3")
