"""Runtime settings, read from the environment (prefix ``WENMING_``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WENMING_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite://wenming.sqlite3",
        description="Tortoise database URL: sqlite://path.sqlite3 or postgres://user@host:5432/db",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL clients reach this service at (used in links)"
    )
    redis_url: str | None = Field(
        None, description="Redis for pub/sub between workers (live updates) and shared caches; optional"
    )
    redis_prefix: str = Field(
        "wenming",
        description="Prefix of this deployment's Redis channels and keys (pub/sub ignores the database number)",
    )
    occurrence_horizon_days: int = Field(
        730, ge=400, description="How far ahead recurring series are materialised as occurrences"
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS) and open GraphQL WebSockets, as a JSON "
        'list: ["https://screens.example.org", "http://192.168.1.20:8080"]; ["*"] allows any',
    )
    graphiql: bool = Field(True, description="Serve the GraphiQL IDE on GET /graphql from a browser")


@lru_cache
def get_settings() -> Settings:
    return Settings()
