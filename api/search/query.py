"""Finding and ranking: one SQL statement per page on either database.

A hit must carry every query token in its title and body together; a query of 2-8 letters
may instead match the pinyin initials of a title (xjt -> 宣讲团). Score, highest first:
title match 3, initials 2, body only 1, doubled, plus 1 unless it is an event whose last
occurrence has ended; so a title match beats a description match, and among equals an
upcoming event beats a past one. Ties: shorter title first, then index order. Those three
integers are the keyset cursor, so a page costs the same however deep it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from api.domain import clock
from api.models.events import Occurrence
from api.models.search import SearchDoc, SearchKind
from api.search.tokens import Query


@dataclass(frozen=True)
class Hit:
    kind: SearchKind
    object_id: int
    score: int
    title_len: int
    doc_id: int

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.score, self.title_len, self.doc_id)


@dataclass(frozen=True)
class Scope:
    kinds: Sequence[SearchKind] = ()
    within_path: str | None = None
    start: datetime | None = None  # events: only those with an occurrence overlapping [start, end)
    end: datetime | None = None


class _Sql:
    """Numbered placeholders ($n on PostgreSQL, ?n on SQLite): parameters may be added in any order."""

    def __init__(self, postgres: bool) -> None:
        self.postgres, self.params = postgres, []

    def __call__(self, value) -> str:
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else f"?{len(self.params)}"


def _fts(tokens: Sequence[str]) -> str:
    return " AND ".join(f'"{t}"' for t in tokens)  # tokens are letters, digits, CJK: no quotes


def _tsquery(tokens: Sequence[str], prefix: str = "") -> str:
    return " & ".join(f"'{prefix}{t}'" for t in tokens)


def _db_time(value: datetime) -> object:
    # As Tortoise writes datetimes (SQLite compares them as text: same offset, same format).
    return Occurrence._meta.fields_map["starts_at"].to_db_value(clock.local(value), Occurrence)


def _matching(q: Query, scope: Scope, sql: _Sql) -> str:
    """SELECT of every matching document with its score (no order, no page)."""
    if sql.postgres:
        match = f"d.tsv @@ ({sql(_tsquery(q.tokens))}::tsquery"
        in_title = f"string_to_array(d.title_tokens, ' ') @> {sql(list(q.tokens))}::text[]"
        if q.initials:
            match += f" || {sql(_tsquery([q.initials], '^'))}::tsquery"
            in_initials = f"d.tsv @@ {sql(_tsquery([q.initials], '^'))}::tsquery"
        match += ")"
        source = "search_doc d"
    else:
        text = "{title_tokens body_tokens} : " + f"({_fts(q.tokens)})"
        if q.initials:
            text = f'({text}) OR ({{initials_tokens}} : "{q.initials}")'
            in_initials = f"instr(' ' || d.initials_tokens || ' ', {sql(f' {q.initials} ')}) > 0"
        match = f"search_fts MATCH {sql(text)}"
        # Per matching row, from the stored tokens: cheaper than a second FTS lookup for common tokens.
        in_title = " AND ".join(f"instr(' ' || d.title_tokens || ' ', {sql(f' {t} ')}) > 0" for t in q.tokens)
        source = "search_fts JOIN search_doc d ON d.id = search_fts.rowid"
    tier = f"CASE WHEN {in_title} THEN 3 " + (f"WHEN {in_initials} THEN 2 " if q.initials else "") + "ELSE 1 END"
    upcoming = (
        f"CASE WHEN d.kind = 'EVENT' AND d.last_end IS NOT NULL AND d.last_end < {sql(_db_time(clock.now()))} "
        "THEN 0 ELSE 1 END"
    )
    where = [match]
    if scope.kinds:
        where.append(f"d.kind IN ({', '.join(sql(k.value) for k in scope.kinds)})")
    if scope.within_path:
        escaped = scope.within_path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(f"d.site_path LIKE {sql(escaped + '%')} ESCAPE '\\'")
    if scope.start is not None or scope.end is not None:
        window = ["o.event_id = d.object_id", "o.event_status <> 'DRAFT'"]
        if scope.end is not None:
            window.append(f"o.starts_at < {sql(_db_time(scope.end))}")
        if scope.start is not None:
            window.append(f"o.ends_at > {sql(_db_time(scope.start))}")
        where.append(f"(d.kind <> 'EVENT' OR EXISTS (SELECT 1 FROM occurrence o WHERE {' AND '.join(window)}))")
    return (
        f"SELECT d.id AS doc_id, d.kind AS kind, d.object_id AS object_id, d.title_len AS title_len, "
        f"({tier}) * 2 + ({upcoming}) AS score FROM {source} WHERE {' AND '.join(where)}"
    )


def _conn():
    return connections.get("default")


def _postgres(conn) -> bool:
    return conn.capabilities.dialect == "postgres"


async def search(q: Query, scope: Scope, *, first: int, after: tuple[int, int, int] | None = None) -> tuple[list[Hit], bool]:
    """One page of hits, best first, and whether there are more."""
    conn = _conn()
    sql = _Sql(_postgres(conn))
    inner = _matching(q, scope, sql)
    page = ""
    if after is not None:
        s, n, i = (sql(v) for v in after)
        page = f"WHERE score < {s} OR (score = {s} AND (title_len > {n} OR (title_len = {n} AND doc_id > {i})))"
    rows = await conn.execute_query_dict(
        f"SELECT * FROM ({inner}) hits {page} ORDER BY score DESC, title_len, doc_id LIMIT {int(first) + 1}",
        sql.params,
    )
    hits = [Hit(SearchKind(r["kind"]), r["object_id"], r["score"], r["title_len"], r["doc_id"]) for r in rows]
    return hits[:first], len(hits) > first


async def count(q: Query, scope: Scope) -> int:
    conn = _conn()
    sql = _Sql(_postgres(conn))
    inner = _matching(q, scope, sql)
    rows = await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM ({inner}) hits", sql.params)
    return int(rows[0]["n"])


async def event_ids(q: Query, scope: Scope, limit: int) -> list[int]:
    """Ids of the events matching (for the calendar's `occurrences(query:)`), at most `limit`."""
    conn = _conn()
    sql = _Sql(_postgres(conn))
    inner = _matching(q, Scope(kinds=[SearchKind.EVENT], within_path=scope.within_path), sql)
    rows = await conn.execute_query_dict(f"SELECT object_id FROM ({inner}) hits LIMIT {int(limit)}", sql.params)
    return [r["object_id"] for r in rows]
