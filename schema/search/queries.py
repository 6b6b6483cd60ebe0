"""The root field `search`: one query over sites, teams, lecturers, events and published reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.domain import validation
from api.domain.errors import DomainError
from api.models.search import SearchKind
from api.search import query as search_query
from api.search.index import fields_of
from api.search.snippets import snippet
from api.search.tokens import MAX_QUERY_CHARS, Query
from schema.calendar.queries import parsed
from schema.calendar.types import Event
from schema.core.context import Info
from schema.core.pagination import Connection, Edge, decode_cursor, encode_cursor, page_size
from schema.network.queries import After, First, WithinArg, _site_path
from schema.network.types import Lecturer, Site, Team
from schema.reports.types import Report
from schema.search.types import SearchHit, SearchSnippet, SearchTypeEnum

NODE = {SearchKind.SITE: Site, SearchKind.TEAM: Team, SearchKind.LECTURER: Lecturer, SearchKind.EVENT: Event,
        SearchKind.REPORT: Report}
LOADER = {SearchKind.SITE: "site", SearchKind.TEAM: "team", SearchKind.LECTURER: "lecturer", SearchKind.EVENT: "event",
          SearchKind.REPORT: "published_report"}

QueryArg = Annotated[
    str,
    strawberry.argument(
        description=f"What to look for (搜索词), 1-{MAX_QUERY_CHARS} characters: Chinese (one character or more), "
        "Latin words and digits, or pinyin initials such as xjt for 宣讲团; full-width forms and traditional "
        "characters are folded"
    ),
]


def _after(cursor: str | None) -> tuple[int, int] | None:
    if cursor is None:
        return None
    key = decode_cursor(cursor, 2)
    if not all(isinstance(k, int) and 0 <= k <= validation.MAX_ID for k in key):
        raise DomainError("after is not a cursor for this list", field="after", code="BAD_CURSOR")
    return key[0], key[1]


class _Count:
    """totalCount for a search: one COUNT over the same match, only when asked for."""

    def __init__(self, q: Query, scope: search_query.Scope) -> None:
        self.q, self.scope = q, scope

    async def count(self) -> int:
        return await search_query.count(self.q, self.scope)


@strawberry.type(description="Search (搜索).")
class SearchQuery:
    @strawberry.field(
        description="Find sites, teams, lecturers, events and published reports by their public text, best first: title or name matches "
        "above description matches, upcoming events above past ones. Personal data is never searched."
    )
    async def search(
        self,
        info: Info,
        query: QueryArg,
        within: WithinArg = None,
        types: Annotated[list[SearchTypeEnum] | None, strawberry.argument(description="Only these kinds of object")] = None,  # type: ignore[valid-type]
        start: Annotated[
            datetime | None,
            strawberry.argument(name="from", description="Events: only those with an occurrence ending after this (with offset)"),
        ] = None,
        end: Annotated[
            datetime | None,
            strawberry.argument(name="to", description="Events: only those with an occurrence starting before this (with offset)"),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[SearchHit]:
        q = parsed(query)
        for value, name in ((start, "from"), (end, "to")):
            if value is not None:
                validation.calendar_date(value, name)
                if value.tzinfo is None:
                    raise DomainError(f"{name} must carry a UTC offset, e.g. +08:00", field=name, code="NO_OFFSET")
        if start is not None and end is not None and end <= start:
            raise DomainError("to must be after from", field="to", code="BAD_WINDOW")
        scope = search_query.Scope(
            kinds=[SearchKind(t.value) for t in types or []],
            within_path=await _site_path(info, within, "within"),
            start=start,
            end=end,
        )
        size = page_size(first)
        hits, has_next = await search_query.search(q, scope, first=size, after=_after(after)) if size else ([], False)
        edges = await _edges(info, q, hits)
        return Connection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=has_next,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _count=_Count(q, scope),  # type: ignore[arg-type]
        )


async def _edges(info: Info, q: Query, hits: list[search_query.Hit]) -> list[Edge[SearchHit]]:
    """Rows through the request's DataLoaders: one query per kind of object on the page."""
    loaders = info.context.loaders
    rows: dict[tuple[SearchKind, int], Any] = {}
    for kind in {h.kind for h in hits}:
        ids = [h.object_id for h in hits if h.kind is kind]
        for pk, row in zip(ids, await getattr(loaders, LOADER[kind]).load_many(ids)):
            rows[(kind, pk)] = row
    edges = []
    for h in hits:
        row = rows.get((h.kind, h.object_id))
        if row is None:  # written away since the index was read: left out rather than shown stale
            continue
        hit = SearchHit(
            type=SearchTypeEnum[h.kind.value],
            node=NODE[h.kind].from_row(row),
            snippet=SearchSnippet.of(snippet(fields_of(h.kind, row), q)),
            score=h.score,
        )
        edges.append(Edge(cursor=encode_cursor(h.key), node=hit))
    return edges
