"""docs/operations.md's province deployment: the settings it shows do what it says."""

from __future__ import annotations

import re
from pathlib import Path

from api.db import replica_connection, tortoise_config

OPERATIONS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def test_the_pgbouncer_url_turns_asyncpg_statement_caching_off():
    text = OPERATIONS.read_text(encoding="utf-8")
    url = re.search(r"WENMING_DATABASE_URL='(postgres://[^']*pgbouncer[^']*)'", text).group(1)
    credentials = tortoise_config(url)["connections"]["default"]["credentials"]
    # An integer 0 (asyncpg refuses a string): no prepared statements kept per connection,
    # which PgBouncer's transaction mode would hand to other clients.
    assert credentials["statement_cache_size"] == 0 and credentials["port"] == 6432


def test_the_replica_url_is_a_read_only_connection_beside_the_primary():
    text = OPERATIONS.read_text(encoding="utf-8")
    primary = re.search(r"WENMING_DATABASE_URL='([^']*)'", text).group(1)
    url = re.search(r"WENMING_DATABASE_REPLICA_URL='([^']*)'", text).group(1)
    config = replica_connection(primary, url)
    assert config["engine"] == "api.db.replica" and config["credentials"]["host"] == "replica.internal"
    assert config["credentials"]["server_settings"]["default_transaction_read_only"] == "on"
