"""A database that grew up under older releases, for tests/test_migration_upgrade.py.

Run as a separate process (`python -m tests.upgrade_support walk|check URL`), so Tortoise's
global state in the test session is never touched:

- ``walk`` applies the committed migrations in order, all but the last, and after each one
  writes a row into every table that is still empty, with the columns that table has at that
  step (read from the database itself, so a migration added tomorrow is covered with no change
  here). Every later migration therefore runs on tables that hold rows written before it. It
  prints what it wrote as JSON: per table, the row count and the columns the row was given.
- ``check``, after `wenming migrate` took the database to the head, reads every table through
  the models: the counts are unchanged (the search index excepted: it is rebuilt from the
  data), and every column added after a row was written holds the model's default there (what
  the migration's database default must give it).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

import asyncpg
from tortoise import Tortoise, fields
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance
from tortoise.migrations.recorder import MigrationRecorder

from api.db import APP_LABEL, connected, migrate
from api.domain.clock import SHANGHAI

MIGRATIONS = sorted(p.stem for p in (Path(__file__).parents[1] / "api" / "migrations").glob("[0-9]*.py"))
WHEN = datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
NOT_FILLED = {"tortoise_migrations"}  # Tortoise's own record of what ran
# Derived from the other tables, and rebuilt from them when a migration asks for it (0020: entries
# without a title key): their rows are replaced, not kept.
REBUILT = {"search_doc", "search_title_term"}


def head_fields() -> dict[tuple[str, str], fields.Field]:
    """(table, column) -> the head model's field, for values the code can read back."""
    found = {}
    for model in Tortoise.apps[APP_LABEL].values():
        for field in model._meta.fields_map.values():
            if not isinstance(field, fields.relational.RelationalField):
                found[model._meta.db_table, field.source_field or field.model_field_name] = field
    return found


def value_for(field: fields.Field | None, sql_type: str, column: str):
    """A value the head code reads back as valid: enums get a member, JSON its default shape."""
    sql_type = sql_type.lower()
    if field is not None:
        if isinstance(field, (CharEnumFieldInstance, IntEnumFieldInstance)):
            return next(iter(field.enum_type)).value
        if isinstance(field, fields.JSONField):
            default = field.default() if callable(field.default) else field.default
            return json.dumps(default if default is not None else {})
    if "bool" in sql_type:
        return True
    if "timestamp" in sql_type or "datetime" in sql_type:
        return WHEN
    if sql_type == "date":
        return WHEN.date()
    if "int" in sql_type or "serial" in sql_type:
        return 1
    if any(t in sql_type for t in ("numeric", "decimal", "real", "double", "float")):
        return Decimal(1)
    if "json" in sql_type:
        return "{}"
    if "uuid" in sql_type:
        return str(uuid.uuid4())
    if "bytea" in sql_type or "blob" in sql_type:
        return b"x"
    length = getattr(field, "max_length", None) or 200
    return f"旧{column}"[:length]


# Columns whose text the code parses: a value it can read, not just one the column holds.
MEANINGFUL = {("site", "path"): None}  # set from the row's id after the insert


class Database:
    """The few statements the walk needs, on SQLite (sqlite3) or PostgreSQL (asyncpg)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgres")

    async def __aenter__(self) -> Database:
        if self.postgres:
            self.pg = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
        else:
            self.lite = sqlite3.connect(self.url.removeprefix("sqlite://"))
        return self

    async def __aexit__(self, *exc) -> None:
        if self.postgres:
            await self.pg.close()
        else:
            self.lite.commit()
            self.lite.close()

    async def rows(self, sql: str, *args) -> list[tuple]:
        if self.postgres:
            return [tuple(r) for r in await self.pg.fetch(sql, *args)]
        converted = [v.isoformat(" ") if isinstance(v, datetime) else v.isoformat() if isinstance(v, date)
                     else int(v) if isinstance(v, Decimal) else v for v in args]
        return self.lite.execute(_qmarks(sql), converted).fetchall()

    async def tables(self) -> list[str]:
        if self.postgres:
            names = await self.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                                    "AND table_type = 'BASE TABLE'")
            return sorted(n for (n,) in names if n not in NOT_FILLED)
        listed = await self.rows("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        virtual = [n for n, sql in listed if (sql or "").upper().startswith("CREATE VIRTUAL")]
        return sorted(n for n, _ in listed if n not in NOT_FILLED and not n.startswith("sqlite_")
                      and not any(n.startswith(v) for v in virtual))

    async def columns(self, table: str) -> list[tuple[str, str, bool, bool, bool]]:
        """(name, type, required, has a default, is an identity/autoincrement key)."""
        if self.postgres:
            rows = await self.rows(
                "SELECT column_name, data_type, is_nullable = 'NO', column_default IS NOT NULL, "
                "COALESCE(column_default LIKE 'nextval(%%', false) OR is_identity = 'YES' "
                "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 "
                "ORDER BY ordinal_position", table)
            return [(n, t, bool(r), bool(d), bool(i)) for n, t, r, d, i in rows]
        rows = await self.rows(f'PRAGMA table_info("{table}")')
        keys = [r for r in rows if r[5]]
        return [(name, sql_type or "", bool(notnull), default is not None,
                 bool(pk) and len(keys) == 1 and (sql_type or "").upper() == "INTEGER")  # the rowid
                for _cid, name, sql_type, notnull, default, pk in rows]

    async def foreign_keys(self, table: str) -> dict[str, str]:
        """column -> the table it refers to."""
        if self.postgres:
            rows = await self.rows(
                "SELECT kcu.column_name, ccu.table_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name "
                "JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name "
                "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = $1", table)
            return dict(rows)
        return {r[3]: r[2] for r in await self.rows(f'PRAGMA foreign_key_list("{table}")')}

    async def count(self, table: str) -> int:
        return (await self.rows(f'SELECT COUNT(*) FROM "{table}"'))[0][0]

    async def insert(self, table: str, values: dict) -> None:
        names = ", ".join(f'"{c}"' for c in values)
        marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
        await self.rows(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', *values.values())


def _qmarks(sql: str) -> str:
    """$1, $2 ... (PostgreSQL's placeholders) as SQLite's ?."""
    out, i = [], 0
    while i < len(sql):
        if sql[i] == "$" and i + 1 < len(sql) and sql[i + 1].isdigit():
            i += 1
            while i < len(sql) and sql[i].isdigit():
                i += 1
            out.append("?")
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


async def fill_empty_tables(db: Database, known: dict[tuple[str, str], fields.Field]) -> dict[str, list[str]]:
    """One row in every empty table, referring to rows of the tables it points at; returns the
    columns given per table filled. Tables are filled once their references have rows."""
    waiting = {t for t in await db.tables() if await db.count(t) == 0}
    written: dict[str, list[str]] = {}
    while waiting:
        progress = False
        for table in sorted(waiting):
            references = await db.foreign_keys(table)
            columns = await db.columns(table)
            required_refs = {references[c] for c, _t, required, *_ in columns if c in references and required}
            if any(ref in waiting and ref != table for ref in required_refs):
                continue
            values = {}
            for column, sql_type, required, _has_default, identity in columns:
                if identity:
                    continue
                if column in references:
                    target = references[column]
                    if target == table or await db.count(target) == 0:
                        if required:
                            raise AssertionError(f"{table}.{column} needs a row of {target}")
                        continue
                    values[column] = (await db.rows(f'SELECT MIN(id) FROM "{target}"'))[0][0]
                elif required:
                    values[column] = value_for(known.get((table, column)), sql_type, column)
            await db.insert(table, values)
            if (table, "path") in MEANINGFUL:
                await db.rows(f"UPDATE \"{table}\" SET path = '/' || CAST(id AS VARCHAR(20)) || '/'")
            written[table] = [c for c, *_ in columns]
            waiting.discard(table)
            progress = True
        if not progress:
            raise AssertionError(f"tables whose references never get rows: {sorted(waiting)}")
    return written


async def walk(url: str) -> dict:
    written: dict[str, dict] = {}

    async def fill(name: str) -> None:
        known = head_fields()
        async with Database(url) as db:
            before = {t: info["rows"] for t, info in written.items()}
            for table, rows in before.items():
                now_rows = await db.count(table) if table in await db.tables() else rows
                assert now_rows >= rows, f"{name} lost rows of {table}: {rows} -> {now_rows}"
            for table, columns in (await fill_empty_tables(db, known)).items():
                written[table] = {"step": name, "columns": columns, "rows": 1}
            for table in written:
                written[table]["rows"] = await db.count(table)

    # One run of what `wenming migrate` runs, stopped before the last migration, with the tables
    # filled as each migration is recorded. (A run per step made Tortoise replay every earlier
    # migration's state each time: ~100 of the walk's ~125 s on SQLite.)
    record_applied = MigrationRecorder.record_applied

    async def record_and_fill(self, app: str, name: str) -> None:
        await record_applied(self, app, name)
        await fill(name)

    MigrationRecorder.record_applied = record_and_fill
    try:
        await migrate(url, target=MIGRATIONS[-2])
    finally:
        MigrationRecorder.record_applied = record_applied
    return written


async def check(url: str, written: dict) -> list[str]:
    """What is wrong at the head: lost rows, added columns without their default."""
    problems = []
    async with connected(url):
        for model in Tortoise.apps[APP_LABEL].values():
            table = model._meta.db_table
            if table not in written:
                continue
            rows = await model.all()  # every value read back through the head code
            if len(rows) != written[table]["rows"] and table not in REBUILT:
                problems.append(f"{table}: {written[table]['rows']} rows before, {len(rows)} after")
            for field in model._meta.fields_map.values():
                column = getattr(field, "source_field", None) or field.model_field_name
                if isinstance(field, fields.relational.RelationalField) or column in written[table]["columns"]:
                    continue
                if field.default is None and field.null:
                    continue
                expected = field.default() if callable(field.default) else field.default
                for row in rows:
                    actual = getattr(row, field.model_field_name)
                    if isinstance(actual, Enum):
                        actual = actual.value
                    if isinstance(expected, Enum):
                        expected = expected.value
                    if actual != expected:
                        problems.append(f"{table}.{column} (added after {written[table]['step']}): "
                                        f"{actual!r}, the model's default is {expected!r}")
    return problems


def main() -> None:
    command, url = sys.argv[1], sys.argv[2]
    if command == "walk":
        print(json.dumps(asyncio.run(walk(url))))
    else:
        problems = asyncio.run(check(url, json.loads(sys.stdin.read())))
        print("\n".join(problems))
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
