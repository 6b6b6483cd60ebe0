"""Secondary indexes built once after a bulk write instead of row by row during it.

A bulk load into empty tables (``wenming demo --scale``/``--province``) inserts hundreds of
thousands of rows; keeping every secondary index in step costs a random btree insert per index
per row (and on PostgreSQL a GIN update per search entry), where building an index over the
finished table is one sort. ``deferred_indexes`` drops the tables' indexes that no constraint
owns and makes them again from their stored definitions at the end of the block, in the caller's
transaction: a failure rolls the drop back with everything else, and the indexes are after it
exactly as before (the same names, columns, methods and operator classes). Primary keys and
unique constraints stay (foreign keys and the load's own checks need them).

The tables are locked for the transaction (PostgreSQL takes the drop's exclusive lock): use it
only for loads into a new network, not beside a served one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from tortoise.transactions import in_transaction

# PostgreSQL: indexes no constraint owns (a primary key or a UNIQUE constraint owns its index).
_POSTGRES = """
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS sql
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = ANY($1::text[]::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""
# SQLite: the indexes made by CREATE INDEX (a constraint's automatic index has no SQL).
_SQLITE = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({}) ORDER BY name"


@asynccontextmanager
async def deferred_indexes(tables: Sequence[str], progress: Callable[[str, int, int], None] | None = None,
                           stage: str = "indexes") -> AsyncIterator[None]:
    """Drop these tables' secondary indexes for the block, then make them again (reporting
    ``stage`` as they are made)."""
    async with in_transaction() as conn:
        postgres = conn.capabilities.dialect == "postgres"
        if postgres:
            _, rows = await conn.execute_query(_POSTGRES, [list(tables)])
        else:
            _, rows = await conn.execute_query(_SQLITE.format(", ".join("?" for _ in tables)), list(tables))
        indexes = [(row["name"], row["sql"]) for row in rows]
        for name, _ in indexes:
            await conn.execute_query(f'DROP INDEX "{name}"')
        yield
        for done, (_, sql) in enumerate(indexes, start=1):
            await conn.execute_query(sql)
            if progress:
                progress(stage, done, len(indexes))

