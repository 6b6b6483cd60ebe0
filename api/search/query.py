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
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple


from api.db import replica
from api.domain import clock
from api.domain.sites import range_sql, subtree_bounds
from api.models.events import Occurrence
from api.models.search import SearchDoc, SearchKind
from api.search.tokens import Query


EXACT_MIN = 4  # characters: from here a title that is the query itself ranks first


class Hit(NamedTuple):  # 21 per page: a named tuple is made in half the time of a frozen dataclass
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
        text, used = _renumbered(text, self.postgres)
        return text, [self.params[old - 1] for old in used]

    def __call__(self, value) -> str:
        self.params.append(value)
        return f"${len(self.params)}" if self.postgres else f"?{len(self.params)}"


@lru_cache(maxsize=256)
def _renumbered(text: str, postgres: bool) -> tuple[str, tuple[int, ...]]:
    """`_Sql.finish`'s text and the old numbers of the parameters it keeps, in their new order.
    The text depends only on the statement's shape (the values are parameters), so a few
    hundred shapes cover every query: the regular expression runs once per shape."""
    pattern = re.compile(r"\$(\d+)" if postgres else r"\?(\d+)")
    used: dict[int, int] = {}

    def renumber(m: re.Match) -> str:
        n = used.setdefault(int(m[1]), len(used) + 1)
        return f"${n}" if postgres else f"?{n}"

    return pattern.sub(renumber, text), tuple(used)


_KINDS = {kind.value: kind for kind in SearchKind}  # 0.03 µs a hit; SearchKind(value) takes 0.35 µs


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
    match: str  # every token in title and body together (or the initials): for counting
    exact: _Arm | None  # the title is the query (four characters or more): the title-key btree
    not_exact: list[str]  # ... and the condition that keeps those rows out of the title tiers
    title: _Arm  # every token in the title
    initials: _Arm | None  # the initials matched, not every token in the title (a letters-only query)
    body: _Arm  # every token in title and body together, not all in the title (nor the initials)


def _sqlite_parts(q: Query, sql: _Sql, upcoming: str) -> tuple[str, _Arm, _Arm | None, _Arm]:
    """SQLite: every tier is an FTS5 expression, column filters and NOT included, so each is read
    from the doclists in rowid order and stops at the page (no per-row check of the stored tokens)."""
    tokens = f"({_fts(q.tokens)})"
    anywhere, in_title = f"{{title_tokens body_tokens}} : {tokens}", f"{{title_tokens}} : {tokens}"
    initials = f'{{initials_tokens}} : "{q.initials}"' if q.initials else None
    source = "search_fts JOIN search_doc d ON d.id = search_fts.rowid"

    def arm(expression: str) -> _Arm:
        return _Arm(source, [f"search_fts MATCH {sql(expression)}"], "search_fts.rowid", upcoming)

    body = f"({anywhere}) NOT ({in_title})" + (f" NOT ({initials})" if initials else "")
    match = f"({anywhere}) OR ({initials})" if initials else anywhere
    by_initials = arm(f"({initials}) NOT ({in_title})") if initials else None
    return f"search_fts MATCH {sql(match)}", arm(in_title), by_initials, arm(body)


def _postgres_parts(q: Query, sql: _Sql, upcoming: str, now: str, driver: str) -> tuple[str, _Arm, _Arm | None, _Arm]:
    """PostgreSQL: the title tiers walk one token's title-token btree range (migration 0016;
    `driver`, the rarest token) in entry order, each entry probed for the rest of its tokens,
    and stop at the page, so a common word costs a page. One shape for any number of tokens
    (one range, one probe per row: LATERAL ... OFFSET 0, which the planner cannot turn into a
    merge join that reads search_doc from its first row), so planning it is cheap. The initials
    and body tiers read the GIN index: `d.id + 0` keeps the planner from walking search_doc in
    id order instead, which for a word its statistics do not know (a village's name) reads
    every entry to find none."""
    tokens = sql(_tsquery(q.tokens))
    initials = sql(_tsquery([q.initials], "^")) if q.initials else None
    match = f"d.tsv @@ ({tokens}::tsquery" + (f" || {initials}::tsquery" if initials else "") + ")"
    token_list = sql(list(q.tokens))
    in_title = f"string_to_array(d.title_tokens, ' ') @> {token_list}::text[]"
    probe = ("CROSS JOIN LATERAL (SELECT d.id, d.kind, d.object_id, d.site_path, d.title_key, d.title_tokens "
             "FROM search_doc d WHERE d.id = t0.doc_id OFFSET 0) d")
    title = _Arm(
        f"search_title_term t0 {probe}",
        [f"t0.term = {sql(driver)}", *([in_title] if len(q.tokens) > 1 else [])],
        "t0.doc_id", f"(t0.last_end IS NULL OR t0.last_end >= {now})",
    )
    by_initials = _Arm("search_doc d", [f"d.tsv @@ {initials}::tsquery", f"NOT ({in_title})"], "(d.id + 0)", upcoming) \
        if initials else None
    body = [f"d.tsv @@ {tokens}::tsquery", f"NOT ({in_title})"] + ([f"NOT (d.tsv @@ {initials}::tsquery)"] if initials else [])
    return match, title, by_initials, _Arm("search_doc d", body, "(d.id + 0)", upcoming)


def _parts(q: Query, scope: Scope, sql: _Sql, driver: str | None = None) -> _Parts:
    now = sql(_db_time(clock.now()))
    upcoming = f"(d.kind <> 'EVENT' OR d.last_end IS NULL OR d.last_end >= {now})"
    if sql.postgres:
        match, title, initials, body = _postgres_parts(q, sql, upcoming, now, driver or q.tokens[0])
    else:
        match, title, initials, body = _sqlite_parts(q, sql, upcoming)
    where = []
    if scope.kinds:
        where.append(f"d.kind IN ({', '.join(sql(k.value) for k in scope.kinds)})")
    if scope.within_path:
        where.append(range_sql("d.site_path", *(sql(bound) for bound in subtree_bounds(scope.within_path))))
    if scope.start is not None or scope.end is not None:
        window = ["o.event_id = d.object_id", "o.event_status <> 'DRAFT'"]
        if scope.end is not None:
            window.append(f"o.starts_at < {sql(_db_time(scope.end))}")
        if scope.start is not None:
            window.append(f"o.ends_at > {sql(_db_time(scope.start))}")
        where.append(f"(d.kind <> 'EVENT' OR EXISTS (SELECT 1 FROM occurrence o WHERE {' AND '.join(window)}))")
    # Only for four characters or more: a shorter query is a word in thousands of titles, not a
    # name (no title is 讲座 alone). A title with the query's key IS the query: one btree probe.
    exact, not_exact = None, []
    if len(q.key) >= EXACT_MIN:
        key = sql(q.key)
        exact = _Arm("search_doc d", [f"d.title_key = {key}"], "d.id", upcoming)
        not_exact = [f"d.title_key IS DISTINCT FROM {key}" if sql.postgres else f"d.title_key IS NOT {key}"]
    return _Parts(where, match, exact, not_exact, title, initials, body)


def _matching(q: Query, scope: Scope, sql: _Sql) -> str:
    """SELECT of every matching document (for counting, and the calendar's event ids)."""
    p = _parts(q, scope, sql)
    source = "search_doc d" if sql.postgres else "search_fts JOIN search_doc d ON d.id = search_fts.rowid"
    return f"SELECT d.id AS doc_id, d.object_id AS object_id FROM {source} WHERE {' AND '.join([p.match, *p.scope])}"


def _tiers(p: _Parts) -> list[tuple[int, _Arm, list[str]]]:
    """(score, arm, conditions) from the best down: where it matched, then upcoming before past."""
    tiers: list[tuple[int, _Arm, list[str]]] = [(8, p.exact, [])] if p.exact else []
    for score, arm, cond in ((7, p.title, p.not_exact), (5, p.initials, []), (3, p.body, [])):
        if arm is not None:
            tiers += [(score, arm, [*cond, arm.upcoming]), (score - 1, arm, [*cond, f"NOT {arm.upcoming}"])]
    return tiers


# PostgreSQL's statistics of the title terms (its most common ones and their shares), read again
# at most every STATS_SECONDS: a query of several tokens walks the title range of its rarest one
# (宣讲进机 walks 进机, a few entries, not 宣讲, in every third title, until 21 hold 进机 too).
# Which range is walked never changes the hits, only what finding them costs.
STATS_SECONDS = 600.0
_term_shares: tuple[float, dict[str, float]] = (float("-inf"), {})


async def _rarest(conn, tokens: Sequence[str]) -> str:
    """The token in the fewest titles as far as the statistics know (one not among the most
    common is rarer than all of them); the first on a tie, or when there are none."""
    global _term_shares
    read_at, shares = _term_shares
    if time.monotonic() - read_at >= STATS_SECONDS:
        rows = await conn.execute_query_dict(
            "SELECT most_common_vals::text::text[] AS terms, most_common_freqs AS shares FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'search_title_term' AND attname = 'term'")
        shares = dict(zip(rows[0]["terms"], rows[0]["shares"])) if rows and rows[0]["terms"] else {}
        _term_shares = (time.monotonic(), shares)
    return min(tokens, key=lambda t: shares.get(t, 0.0))


def _conn():
    return replica.reading()  # the primary, or the replica for a request that allows it


def _postgres(conn) -> bool:
    return conn.capabilities.dialect == "postgres"


async def search(q: Query, scope: Scope, *, first: int, after: tuple[int, int] | None = None) -> tuple[list[Hit], bool]:
    """One page of hits, best first, and whether there are more: one statement, a UNION ALL of
    the score tiers from the best down, each in index order and limited, so a common query
    (宣讲 in every other title) stops after a page instead of ranking every match."""
    conn = _conn()
    sql = _Sql(_postgres(conn))
    driver = await _rarest(conn, q.tokens) if sql.postgres and len(q.tokens) > 1 else None
    p = _parts(q, scope, sql, driver)
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
    hits = [Hit(_KINDS[r["kind"]], r["object_id"], r["score"], r["doc_id"]) for r in rows]
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
