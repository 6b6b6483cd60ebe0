"""Runtime settings, read from the environment (prefix ``WENMING_``) and from a ``.env`` file
in the current directory (the environment wins)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

ENV_PREFIX = "WENMING_"
MIN_HORIZON_DAYS = 400  # a year ahead, plus room for the feeds' 366-day window
ORIGIN = re.compile(r"^https?://[^/\s]+$")


class ConfigError(Exception):
    """A setting or a command-line value that cannot work; the message is one sentence for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite://wenming.sqlite3",
        description="Tortoise database URL: sqlite://path.sqlite3 or postgres://user@host:5432/db",
    )
    database_replica_url: str | None = Field(
        None,
        description="A PostgreSQL streaming replica of WENMING_DATABASE_URL: anonymous reads of feeds, boards and "
        "GraphQL queries go there while it is at most WENMING_REPLICA_MAX_LAG_SECONDS behind; unset: one database",
    )
    replica_max_lag_seconds: float = Field(
        5, ge=0, description="How far behind the primary the read replica may be and still answer reads; "
        "further behind or down, every read goes to the primary",
    )
    public_url: str | None = Field(
        None,
        description="Base URL clients reach this service at, used in feed links, UIDs and URLs "
        "(default: http://HOST:PORT that `wenming serve` listens on)",
    )
    redis_url: str | None = Field(
        None, description="Redis for pub/sub between workers (live updates) and shared caches; optional"
    )
    redis_prefix: str = Field(
        "wenming",
        description="Prefix of this deployment's Redis channels and keys (pub/sub ignores the database number)",
    )
    occurrence_horizon_days: int = Field(
        730, ge=MIN_HORIZON_DAYS, description="How far ahead recurring series are materialised as occurrences"
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS) and open GraphQL WebSockets, as a JSON "
        'list: ["https://screens.example.org", "http://192.168.1.20:8080"]; ["*"] allows any',
    )
    graphiql: bool = Field(True, description="Serve the GraphiQL IDE on GET /graphql from a browser")
    checkin_secret: str | None = Field(
        None, description="Key that signs the volunteers' check-in codes (HMAC-SHA256); set it when several workers "
        "serve, or codes shown before a restart should still work (default: a random key per process)",
    )

    # Limits on what one request or one client may cost (docs/graphql.md, "Limits"). The defaults
    # are far above what a portal, a kiosk or a mini-program asks for.
    max_body_bytes: int = Field(262_144, ge=1024, description="Largest request body accepted; a bigger one answers 413")
    body_timeout_seconds: float = Field(
        10, gt=0, description="Time a request body may take to arrive in full; a slower one answers 408"
    )
    header_timeout_seconds: float = Field(
        10, gt=0, description="Time a connection may take to send a request's headers before it is closed"
    )
    query_timeout_seconds: float = Field(
        10, gt=0, description="Time a GraphQL query may run; a longer one is stopped and answers code TIMEOUT"
    )
    max_query_cost: int = Field(
        5000, ge=100, description="Highest cost (see docs/graphql.md) a GraphQL operation may have: QUERY_TOO_COSTLY"
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests a minute per client (per IP address, or per token when one is sent) to "
        "/graphql, /health and WebSocket connects; 0 turns rate limiting off"
    )
    feed_rate_limit_per_minute: int = Field(
        1200, ge=0, description="Requests a minute per client to the iCal feeds (their own bucket); 0 turns it off"
    )
    trusted_proxy_header: str | None = Field(
        None, description="Header a trusted reverse proxy sets to the client's address (X-Forwarded-For: the "
        "last entry counts; X-Real-IP); unset: the connection's address is the client"
    )
    max_websockets: int = Field(1000, ge=1, description="Open GraphQL WebSockets at once, all clients together")
    max_websockets_per_client: int = Field(20, ge=1, description="Open GraphQL WebSockets at once per client")
    max_connections: int = Field(
        2000, ge=10, description="Connections and requests a server process handles at once; more answer 503"
    )

    # How long PostgreSQL may take before a request gives up on it and answers 503
    # (docs/operations.md): a frozen or overloaded database must not hold requests for as long
    # as it lasts. SQLite waits for another process's write lock up to its busy timeout (5 s).
    db_connect_timeout_seconds: float = Field(
        5, gt=0, description="Time to open a new PostgreSQL connection before the request answers 503"
    )
    db_pool_timeout_seconds: float = Field(
        10, gt=0, description="Time a request waits for a free pooled PostgreSQL connection before it answers 503"
    )
    db_statement_timeout_seconds: float = Field(
        10, gt=0, description="Time one SQL statement may run (PostgreSQL statement_timeout, and as long for an "
        "answer from a server that does not respond) before the request answers 503"
    )
    # Images of reports (docs/reports.md, "Images"): where the files live, and what an upload may be.
    storage_dir: str = Field("wenming-media", description="Folder for image files when no S3 bucket is set")
    storage_s3_bucket: str | None = Field(
        None, description="An S3-compatible bucket for image files (MinIO, Aliyun OSS, COS, S3) instead of the folder")
    storage_s3_endpoint: str | None = Field(
        None, description="The S3-compatible server, e.g. https://oss-cn-hangzhou.aliyuncs.com or http://minio:9000")
    storage_s3_region: str = Field("us-east-1", description="The bucket's region (MinIO accepts any)")
    storage_s3_access_key_id: str | None = Field(None, description="Access key id for the bucket")
    storage_s3_secret_access_key: str | None = Field(None, description="Secret access key for the bucket")
    max_upload_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest image file accepted by an upload (multipart/form-data); "
        "bigger ones answer FILE_TOO_LARGE")
    upload_timeout_seconds: float = Field(
        120, gt=0, description="Time an image upload's body may take to arrive (a phone on a slow network)")
    max_image_pixels: int = Field(
        50_000_000, ge=10_000, description="Most pixels an uploaded image may have (width x height): a decompression "
        "bomb is refused from its header, TOO_MANY_PIXELS")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else []
            except ValueError:
                raise ValueError(f"must be a JSON list of origins such as '[\"{value}\"]', got {value!r}") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"must be a JSON list of origins such as '[\"https://screens.example.org\"]', got {value!r}")
        for origin in value:
            if origin != "*" and not ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin: write scheme://host[:port] with no path or trailing slash")
        return value

    @property
    def db_timeouts(self):
        from api.db import Timeouts  # api.db imports Tortoise; settings stay light

        return Timeouts(self.db_connect_timeout_seconds, self.db_pool_timeout_seconds,
                        self.db_statement_timeout_seconds)

    @property
    def links_base(self) -> str:
        """The base of every link the service hands out (feeds, their UIDs and URLs)."""
        return (self.public_url or "http://127.0.0.1:8000").rstrip("/")


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings() -> Settings:
    """The settings, or a ConfigError naming the setting at fault in one sentence."""
    try:
        return Settings()
    except SettingsError as exc:  # a value pydantic-settings could not even decode
        field = re.search(r'field "(\w+)"', str(exc))
        name = env_name(field.group(1)) if field else "a WENMING_ setting"
        raise ConfigError(f"{name} cannot be read: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        raw = error.get("input")
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "greater_than_equal":
            reason = f"must be at least {error['ctx']['ge']}, got {raw}"
        elif error["type"].startswith(("int_", "bool_")):
            reason = f"{reason.lower()}, got {raw!r}"
        raise ConfigError(f"{env_name(field)} {reason}") from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
