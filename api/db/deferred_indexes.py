"""Secondary indexes built once after a bulk write instead of row by row during it.

A bulk load into empty tables (``wenming demo --scale``/``--province``) inserts hundreds of
thousands of rows; keeping every secondary index in step costs a random btree insert per index
per row (and on PostgreSQL a GIN update per search entry), where building an index over the
finished table is one sort. ``deferred_indexes`` drops the tables' indexes that no constraint
owns and makes them again from their stored definitions at the end of the block, in the caller's
transaction: a failure rolls the drop back with everything else, and the indexes are after it
exactly as before (the same names, columns, methods and operator classes). Primary keys and
unique constraints stay (foreign keys and the load's own checks need them).

On PostgreSQL the tables' foreign keys are set aside the same way and made again last, from
their stored definitions: adding one checks the whole table in one join, where COPY checks
every row by an index lookup per key (128,000 occurrences with their two keys: 5.9 s, without
them 1.8 s). A row breaking one fails the load there, so nothing is written.

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
# PostgreSQL: the tables' foreign keys, made again by ALTER TABLE ... ADD CONSTRAINT name definition.
_POSTGRES_KEYS = """
SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS sql
FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[])
ORDER BY conname
"""
# SQLite: the indexes made by CREATE INDEX (a constraint's automatic index has no SQL).
_SQLITE = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({}) ORDER BY name"


@asynccontextmanager
async def deferred_indexes(tables: Sequence[str], progress: Callable[[str, int, int], None] | None = None,
                           stage: str = "indexes") -> AsyncIterator[None]:
    """Drop these tables' secondary indexes (and on PostgreSQL their foreign keys) for the
    block, then make them again (reporting ``stage`` as they are made)."""
    async with in_transaction() as conn:
        keys = []
        if conn.capabilities.dialect == "postgres":
            _, rows = await conn.execute_query(_POSTGRES, [list(tables)])
            _, key_rows = await conn.execute_query(_POSTGRES_KEYS, [list(tables)])
            keys = [(row["tbl"], row["name"], row["sql"]) for row in key_rows]
        else:
            _, rows = await conn.execute_query(_SQLITE.format(", ".join("?" for _ in tables)), list(tables))
        indexes = [(row["name"], row["sql"]) for row in rows]
        for table, name, _ in keys:
            await conn.execute_query(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            await conn.execute_query(f'DROP INDEX "{name}"')
        yield
        remake = [sql for _, sql in indexes] + [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}' for table, name, sql in keys]
        for done, sql in enumerate(remake, start=1):
            await conn.execute_query(sql)
            if progress:
                progress(stage, done, len(remake))

