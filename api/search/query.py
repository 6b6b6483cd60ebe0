"""Finding and ranking: one SQL statement per page on either database.

A hit must carry every query token in its title and body together; a query of 2-8 letters
may instead match the pinyin initials of a title (xjt -> 宣讲团). Score, highest first: 8 the
title is the query itself (4+ characters); else title match 3, initials 2, body only 1, doubled, plus 1 unless
it is an event whose last occurrence has ended; so a title match beats a description match,
and among equals an upcoming event beats a past one. Ties: index order (the order rows were
indexed). (score, index row) is the keyset cursor, so a page costs the same however deep it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from api.domain import clock
from api.models.events import Occurrence
from api.models.search import SearchDoc, SearchKind
from api.search.tokens import Query


EXACT_MIN = 4  # characters: from here a title that is the query itself ranks first


@dataclass(frozen=True)
class Hit:
    kind: SearchKind
    object_id: int
    score: int
    doc_id: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.score, self.doc_id)


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

    def finish(self, text: str) -> tuple[str, list]:
        """The statement with only the parameters it uses, renumbered (parts built for one
        statement may go unused in another, and both drivers refuse unused parameters)."""
        pattern = re.compile(r"\$(\d+)" if self.postgres else r"\?(\d+)")
        used: dict[int, int] = {}

        def renumber(m: re.Match) -> str:
            n = used.setdefault(int(m[1]), len(used) + 1)
            return f"${n}" if self.postgres else f"?{n}"

        text = pattern.sub(renumber, text)
        return text, [self.params[old - 1] for old in used]

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


@dataclass(frozen=True)
class _Arm:
    """Where a score tier's rows come from, in the order an index hands them out."""

    source: str  # FROM
    where: list[str]  # what every row of the tier matched (the scope is added to it)
    order: str  # the column the index hands rows out in (FTS5: rowid; PostgreSQL: doc_id)
    upcoming: str  # not an event whose last occurrence is over


@dataclass(frozen=True)
class _Parts:
    scope: list[str]  # kinds, subtree, time window
    match: str  # every token in title and body together (or the initials)
    in_title: str  # every token in the title (a check of a row already found)
    exact: str | None  # ... and the title is no longer than the query: it is the query
    in_initials: str | None  # the initials matched (a letters-only query)
    any: _Arm  # rows matching anywhere (the full-text index)
    title: _Arm  # rows with every token in the title


def _parts(q: Query, scope: Scope, sql: _Sql) -> _Parts:
    in_initials = None
    now = sql(_db_time(clock.now()))
    upcoming = f"(d.kind <> 'EVENT' OR d.last_end IS NULL OR d.last_end >= {now})"
    if sql.postgres:
        match = f"d.tsv @@ ({sql(_tsquery(q.tokens))}::tsquery"
        in_title = f"string_to_array(d.title_tokens, ' ') @> {sql(list(q.tokens))}::text[]"
        if q.initials:
            match += f" || {sql(_tsquery([q.initials], '^'))}::tsquery"
            in_initials = f"d.tsv @@ {sql(_tsquery([q.initials], '^'))}::tsquery"
        match += ")"
        any_arm = _Arm("search_doc d", [match], "d.id", upcoming)
        # Title tiers from the title-token btree (migration 0016): one range scan per token,
        # joined on the entry, read in entry order, so a page of a common word stops at the page.
        joins = "".join(
            f" JOIN search_title_term t{i} ON t{i}.doc_id = t0.doc_id AND t{i}.term = {sql(t)}"
            for i, t in enumerate(q.tokens) if i
        )
        title_arm = _Arm(
            f"search_title_term t0{joins} JOIN search_doc d ON d.id = t0.doc_id",
            [f"t0.term = {sql(q.tokens[0])}"], "t0.doc_id", f"(t0.last_end IS NULL OR t0.last_end >= {now})",
        )
    else:
        text = "{title_tokens body_tokens} : " + f"({_fts(q.tokens)})"
        if q.initials:
            text = f'({text}) OR ({{initials_tokens}} : "{q.initials}")'
            in_initials = f"instr(' ' || d.initials_tokens || ' ', {sql(f' {q.initials} ')}) > 0"
        match = f"search_fts MATCH {sql(text)}"
        # Per matching row, from the stored tokens: cheaper than a second FTS lookup for common tokens.
        in_title = " AND ".join(f"instr(' ' || d.title_tokens || ' ', {sql(f' {t} ')}) > 0" for t in q.tokens)
        any_arm = _Arm("search_fts JOIN search_doc d ON d.id = search_fts.rowid", [match], "search_fts.rowid", upcoming)
        title_arm = _Arm(any_arm.source, [match, in_title], any_arm.order, upcoming)
    where = []
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
    # Only for four characters or more: a shorter query is in thousands of titles, and checking
    # them all for an exact one would cost what the tiers save (and no name is 讲座 alone).
    exact = f"{'t0' if sql.postgres else 'd'}.title_len = {sql(q.length)}" if q.length >= EXACT_MIN else None
    return _Parts(where, match, in_title, exact, in_initials, any_arm, title_arm)


def _matching(q: Query, scope: Scope, sql: _Sql) -> str:
    """SELECT of every matching document (for counting, and the calendar's event ids)."""
    p = _parts(q, scope, sql)
    return f"SELECT d.id AS doc_id, d.object_id AS object_id FROM {p.any.source} WHERE {' AND '.join([p.match, *p.scope])}"


def _tiers(p: _Parts) -> list[tuple[int, _Arm, list[str]]]:
    """(score, arm, conditions) from the best down: where it matched, then upcoming before past.
    Title tiers read the title index; the others every match, less those with it all in the title."""
    tiers: list[tuple[int, _Arm, list[str]]] = []
    if p.exact:
        tiers.append((8, p.title, [p.exact]))
    title = [f"NOT ({p.exact})"] if p.exact else []
    tiers += [(7, p.title, [*title, p.title.upcoming]), (6, p.title, [*title, f"NOT {p.title.upcoming}"])]
    rest = [("2", [f"NOT ({p.in_title})", p.in_initials]), ("1", [f"NOT ({p.in_title})", f"NOT ({p.in_initials})"])] \
        if p.in_initials else [("1", [f"NOT ({p.in_title})"])]
    for rank, cond in rest:
        tiers.append((int(rank) * 2 + 1, p.any, [*cond, p.any.upcoming]))
        tiers.append((int(rank) * 2, p.any, [*cond, f"NOT {p.any.upcoming}"]))
    return tiers


def _conn():
    return connections.get("default")


def _postgres(conn) -> bool:
    return conn.capabilities.dialect == "postgres"


async def search(q: Query, scope: Scope, *, first: int, after: tuple[int, int] | None = None) -> tuple[list[Hit], bool]:
    """One page of hits, best first, and whether there are more: one statement, a UNION ALL of
    the score tiers from the best down, each in index order and limited, so a common query
    (宣讲 in every other title) stops after a page instead of ranking every match."""
    conn = _conn()
    sql = _Sql(_postgres(conn))
    p = _parts(q, scope, sql)
    arms = []
    for score, arm, cond in _tiers(p):
        if after is not None and score > after[0]:
            continue  # a tier the cursor has left behind
        where = [*arm.where, *p.scope, *cond]
        if after is not None and score == after[0]:
            where.append(f"{arm.order} > {sql(after[1])}")
        arms.append(
            f"SELECT * FROM (SELECT d.id AS doc_id, d.kind AS kind, d.object_id AS object_id, {score} AS score "
            f"FROM {arm.source} WHERE {' AND '.join(where)} ORDER BY {arm.order} LIMIT {int(first) + 1}) AS tier{score}"
        )
    if not arms:
        return [], False
    rows = await conn.execute_query_dict(*sql.finish(f"{' UNION ALL '.join(arms)} LIMIT {int(first) + 1}"))
    hits = [Hit(SearchKind(r["kind"]), r["object_id"], r["score"], r["doc_id"]) for r in rows]
    return hits[:first], len(hits) > first


async def count(q: Query, scope: Scope) -> int:
    conn = _conn()
    sql = _Sql(_postgres(conn))
    inner = _matching(q, scope, sql)
    rows = await conn.execute_query_dict(*sql.finish(f"SELECT COUNT(*) AS n FROM ({inner}) hits"))
    return int(rows[0]["n"])


async def event_ids(q: Query, scope: Scope, limit: int) -> list[int]:
    """Ids of the events matching (for the calendar's `occurrences(query:)`), at most `limit`."""
    conn = _conn()
    sql = _Sql(_postgres(conn))
    inner = _matching(q, Scope(kinds=[SearchKind.EVENT], within_path=scope.within_path), sql)
    rows = await conn.execute_query_dict(*sql.finish(f"SELECT object_id FROM ({inner}) hits LIMIT {int(limit)}"))
    return [r["object_id"] for r in rows]
