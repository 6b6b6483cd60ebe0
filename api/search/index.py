"""What each kind of object puts in the index, and keeping the index in step with the rows.

`follow(row)` runs inside the write's transaction (api/domain/writes.py calls it for every
audited write), so an edit is found at once and a refused write, rolled back, leaves the
index as it was. Only public things are indexed: live (not soft-deleted) sites and teams,
lecturers (never other people), events that are not drafts, reports while published (a draft,
one in review or unpublished has no entry: search has no reviewer's view). Anything else has no row, so no
query can find it.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from tortoise.functions import Max
from tortoise.models import Model
from tortoise.transactions import in_transaction

from api.models.content import Report, ReportStatus
from api.models.events import Event, EventStatus, Occurrence
from api.models.people import Person
from api.models.search import SearchDoc, SearchKind
from api.models.sites import Site
from api.models.teams import Team
from api.search.tokens import fold, initials_tokens, text_tokens, title_key

BATCH = 500
KEY_CHARS = SearchDoc._meta.fields_map["title_key"].max_length


@dataclass(frozen=True)
class Fields:
    """An object's public text: the title (name) ranks above the rest."""

    title: str
    body: tuple[str, ...]


def fields_of(kind: SearchKind, row: Any) -> Fields:
    """The public text of a row, title first. Contact names and phones are never here."""
    if kind is SearchKind.SITE:
        return Fields(row.name, (row.address, row.description))
    if kind is SearchKind.TEAM:
        return Fields(row.name, (row.category_label, row.description))
    if kind is SearchKind.LECTURER:
        return Fields(row.name, (row.title, " ".join(row.topics or []), row.bio))
    if kind is SearchKind.REPORT:
        return Fields(row.title, (row.summary, row.body_text))  # the text, not the HTML
    return Fields(row.title, (row.summary, row.topic, row.audience, row.description))


MODELS: dict[SearchKind, type[Model]] = {
    SearchKind.SITE: Site, SearchKind.TEAM: Team, SearchKind.LECTURER: Person, SearchKind.EVENT: Event,
    SearchKind.REPORT: Report,
}
# Rows that may be indexed at all (is_public checks the same for one row).
PUBLIC: dict[SearchKind, dict[str, Any]] = {
    SearchKind.LECTURER: {"is_lecturer": True},
    SearchKind.EVENT: {"status__not": EventStatus.DRAFT},
    SearchKind.REPORT: {"status": ReportStatus.PUBLISHED},
}


def kind_of(row: Model) -> SearchKind | None:
    if isinstance(row, Site):
        return SearchKind.SITE
    if isinstance(row, Team):
        return SearchKind.TEAM
    if isinstance(row, Person):
        return SearchKind.LECTURER
    if isinstance(row, Event):
        return SearchKind.EVENT
    if isinstance(row, Report):
        return SearchKind.REPORT
    return None


def is_public(kind: SearchKind, row: Any) -> bool:
    if row is None or row.deleted_at is not None:
        return False
    if kind is SearchKind.LECTURER:
        return row.is_lecturer
    if kind is SearchKind.EVENT:
        return row.status != EventStatus.DRAFT
    if kind is SearchKind.REPORT:
        return row.status == ReportStatus.PUBLISHED
    return True


def _site_id(kind: SearchKind, row: Any) -> int | None:
    if kind is SearchKind.SITE:
        return row.id
    if kind in (SearchKind.EVENT, SearchKind.REPORT):
        return row.site_id
    return row.home_site_id  # teams, lecturers (may be none)


def _open_ended(row: Event) -> bool:
    rule = (row.rrule or "").upper()
    return bool(rule) and "UNTIL=" not in rule and "COUNT=" not in rule


def _title_columns(title: str) -> tuple[int, str, str, str]:
    # A key longer than the column is longer than any query: cut, it still never matches.
    return len(fold(title)), title_key(title)[:KEY_CHARS], " ".join(text_tokens(title)), " ".join(initials_tokens(title))


def _body_column(body: str) -> str:
    return " ".join(text_tokens(body))


def columns_of(titles: Sequence[str], bodies: Sequence[str]) -> tuple[list[tuple[int, str, str, str]], list[str]]:
    """The token columns of many titles and bodies (what a worker process of
    ``api.search.parallel`` computes)."""
    return [_title_columns(t) for t in titles], [_body_column(b) for b in bodies]


class Memo:
    """Tokens of the texts a batch has seen, so each distinct title and body is tokenised once
    (in a province demo an event title recurs about three times; its pinyin initials cost
    ~0.2 ms). Bounded: a batch of any size holds at most ``size`` texts of each, besides the
    columns it is given already made (``titles``, ``bodies``: by ``api.search.parallel``)."""

    def __init__(self, size: int = 50_000, *, titles: Mapping[str, tuple[int, str, str, str]] | None = None,
                 bodies: Mapping[str, str] | None = None) -> None:
        title, body = lru_cache(maxsize=size)(_title_columns), lru_cache(maxsize=size)(_body_column)
        known_titles, known_bodies = titles or {}, bodies or {}
        self.title = lambda text: known_titles[text] if text in known_titles else title(text)
        self.body = lambda text: known_bodies[text] if text in known_bodies else body(text)


def texts(kind: SearchKind, row: Any) -> tuple[str, str]:
    """The title and the body text an entry's columns are made from."""
    f = fields_of(kind, row)
    return f.title, " ".join(t for t in f.body if t)


def entry(kind: SearchKind, row: Any, site_path: str | None, last_end: datetime | None,
          memo: Memo | None = None) -> dict[str, Any]:
    """The index row of one object (its SearchDoc fields): the one place it is made."""
    title, body = texts(kind, row)
    title_len, key, title_tokens, initials = memo.title(title) if memo else _title_columns(title)
    return {
        "kind": kind,
        "object_id": row.id,
        "site_path": site_path,
        "title_len": title_len,
        "title_key": key,
        "last_end": None if kind is not SearchKind.EVENT or _open_ended(row) else last_end,
        "title_tokens": title_tokens,
        "body_tokens": memo.body(body) if memo else _body_column(body),
        "initials_tokens": initials,
    }


def entries(kind: SearchKind, rows: Iterable[Any], paths: Mapping[int, str], last_ends: Mapping[int, datetime],
            memo: Memo | None = None) -> Iterator[dict[str, Any]]:
    """The index rows of many objects of one kind (a reindex, a bulk load): what ``entry``
    makes for each public one, given their sites' paths and events' last ends by id."""
    for row in rows:
        if is_public(kind, row):
            yield entry(kind, row, paths.get(_site_id(kind, row)), last_ends.get(row.id), memo)


async def _last_ends(event_ids: Sequence[int]) -> dict[int, datetime]:
    """End of each event's last occurrence still held (cancelled or not: it is past either way)."""
    if not event_ids:
        return {}
    rows = (
        await Occurrence.filter(event_id__in=list(event_ids))
        .annotate(last=Max("ends_at"))
        .group_by("event_id")
        .values("event_id", "last")
    )
    return {r["event_id"]: r["last"] for r in rows}


async def _paths(site_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({i for i in site_ids if i is not None})
    return dict(await Site.filter(id__in=ids).values_list("id", "path")) if ids else {}


async def _documents(kind: SearchKind, rows: Sequence[Any], memo: Memo | None = None) -> list[SearchDoc]:
    rows = [r for r in rows if is_public(kind, r)]
    paths = await _paths(_site_id(kind, r) for r in rows)
    ends = await _last_ends([r.id for r in rows]) if kind is SearchKind.EVENT else {}
    return [SearchDoc(**e) for e in entries(kind, rows, paths, ends, memo)]


async def follow(row: Model) -> None:
    """Bring the index in step with one row after a write (in the write's transaction)."""
    kind = kind_of(row)
    if kind is None:
        return
    fresh = await type(row).get_or_none(pk=row.pk)  # the row as written, whatever the caller holds
    await SearchDoc.filter(kind=kind, object_id=row.pk).delete()
    docs = await _documents(kind, [fresh] if fresh is not None else [])
    if docs:
        await docs[0].save()


# SQLite's FTS5 triggers (migration 0005) that bulk_indexing sets aside; PostgreSQL's title terms
# (migration 0016): the trigger of inserts, and the rows it writes for each entry.
FTS_TRIGGERS = ("search_doc_ai", "search_doc_ad")
PG_TERMS_TRIGGER = "search_doc_title_terms_ai"
PG_TERMS_KEY = "search_title_term_pkey"  # PRIMARY KEY (term, doc_id) INCLUDE (last_end, title_len), as 0016 made it
PG_TERMS = importlib.import_module("api.migrations.0016_search_title_terms").TERMS


@asynccontextmanager
async def bulk_indexing(*, new_network: bool = False) -> AsyncIterator[None]:
    """Around many inserts and deletes of index entries in one transaction (a reindex, a bulk
    load): on SQLite the FTS5 index is built once at the end from search_doc ('rebuild')
    instead of row by row by its triggers (28,000 entries: 1.3 s of CPU instead of 7.1 s).
    The triggers are dropped and made again from their stored definitions in the same
    transaction, so a failure leaves them as they were. PostgreSQL: the title-term trigger of
    inserts is disabled for the block, and the terms are written after it from every entry in one
    INSERT ... SELECT (sorted, so the btree fills in order; 28,000 entries' 600,000 terms
    statement by statement were most of the index's writing time).

    ``new_network`` (a bulk load, nobody reading yet): the terms' primary key is made after its
    rows, with memory enough for the sorts (1.8 million terms at ``demo --scale 30``: 12.6 s
    instead of 23.7 s). Not for a reindex beside a served network: dropping the key locks
    searches out until the commit."""
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query(f"ALTER TABLE search_doc DISABLE TRIGGER {PG_TERMS_TRIGGER}")
            yield
            await conn.execute_query("DELETE FROM search_title_term")
            insert = f"INSERT INTO search_title_term (term, doc_id, last_end, title_len) {PG_TERMS.format(rows='search_doc')}"
            if new_network:
                await conn.execute_query("SET LOCAL work_mem = '256MB'")
                await conn.execute_query("SET LOCAL maintenance_work_mem = '512MB'")
                await conn.execute_query(f"ALTER TABLE search_title_term DROP CONSTRAINT {PG_TERMS_KEY}")
                await conn.execute_query(insert)
                await conn.execute_query(
                    f"ALTER TABLE search_title_term ADD CONSTRAINT {PG_TERMS_KEY} PRIMARY KEY (term, doc_id) INCLUDE (last_end, title_len)")
            else:
                await conn.execute_query(f"{insert} ORDER BY 1, 2")
            await conn.execute_query(f"ALTER TABLE search_doc ENABLE TRIGGER {PG_TERMS_TRIGGER}")
            return
        if conn.capabilities.dialect != "sqlite":
            yield
            return
        marks = ", ".join("?" for _ in FTS_TRIGGERS)
        _, rows = await conn.execute_query(
            f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})", list(FTS_TRIGGERS))
        for name in FTS_TRIGGERS:  # execute_query: execute_script would commit on SQLite
            await conn.execute_query(f"DROP TRIGGER IF EXISTS {name}")
        yield
        await conn.execute_query("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        for row in rows:
            await conn.execute_query(row["sql"])


async def reindex(progress: Callable[[str, int, int], object] | None = None) -> dict[str, int]:
    """Rebuild the whole index from the rows (after the migration, an import, or a restore)."""
    async with bulk_indexing():  # one transaction: readers see the old index until the new one is complete
        # In batches: each statement stays well inside the statement timeout (on PostgreSQL each
        # entry's title tokens are deleted by a trigger, ~1 ms an entry on a loaded machine).
        while ids := await SearchDoc.all().order_by("id").limit(BATCH).values_list("id", flat=True):
            await SearchDoc.filter(id__in=list(ids)).delete()
        counts: dict[str, int] = {}
        memo = Memo()
        for kind, model in MODELS.items():
            qs = model.filter(deleted_at__isnull=True, **PUBLIC.get(kind, {}))
            total, done, last_id, indexed = await qs.count(), 0, 0, 0
            while True:
                rows = await qs.filter(id__gt=last_id).order_by("id").limit(BATCH)
                if not rows:
                    break
                docs = await _documents(kind, rows, memo)
                await SearchDoc.bulk_create(docs)
                done, last_id, indexed = done + len(rows), rows[-1].id, indexed + len(docs)
                if progress:
                    progress(kind.value, done, total)
            counts[kind.value] = indexed
        return counts


async def index_is_missing() -> bool:
    """Data but no index (a database from before the search migration, or a bulk load), or an
    index from before the exact-title key (migration 0020): entries without one."""
    if await SearchDoc.filter(title_key__isnull=True).exists():
        return True
    return not await SearchDoc.all().exists() and await Site.filter(deleted_at__isnull=True).exists()
