"""Keyset (cursor) connections: a page costs the same however deep it is.

Relay's ListConnection pages by OFFSET; these cursors carry the sort key instead.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from api.domain.errors import DomainError
from api.domain.validation import MAX_ID, record_id

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

NodeT = TypeVar("NodeT")


@strawberry.type(description="One item of a page, with the cursor that points just after it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque cursor: pass it as `after` to continue after this item")
    node: NodeT = strawberry.field(description="The item")


@strawberry.type(description="A page of items in a stable order (keyset pagination, at most 100 per page).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page")
    page_info: relay.PageInfo = strawberry.field(description="Whether there is more, and the cursors to get it")
    _count: strawberry.Private[QuerySet]

    @strawberry.field(description="How many items match in all (one COUNT query; ask only when you show it)")
    async def total_count(self) -> int:
        return await self._count.count()


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode()


def _bad_cursor(cursor: str, why: str) -> DomainError:
    shown = cursor if len(cursor) <= 40 else cursor[:40] + "…"
    return DomainError(f"after: {shown!r} is not a cursor {why}", field="after", code="BAD_CURSOR")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The sort key inside a cursor: ``size`` finite numbers or short strings, else BAD_CURSOR (a cursor is
    opaque to clients, but anyone can forge one)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, RecursionError) as exc:
        raise _bad_cursor(cursor, "from this API") from exc
    if not isinstance(key, list) or len(key) != size:
        raise _bad_cursor(cursor, "for this list")
    for part in key:  # numbers, or short text (an ISO date); the list's after_key checks the rest
        if isinstance(part, str):
            if len(part) > 40:
                raise _bad_cursor(cursor, "for this list")
        elif isinstance(part, bool) or not isinstance(part, int | float) or not math.isfinite(part):
            raise _bad_cursor(cursor, "for this list")
    return key


def cursor_id(value: Any, max_id: int = MAX_ID) -> int:
    """The row id part of a cursor's key (for after_key), within the id column's range."""
    pk = record_id(value, max_id) if isinstance(value, int) else None
    if pk is None:
        raise DomainError("after is not a cursor for this list", field="after", code="BAD_CURSOR")
    return pk


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise DomainError(f"first must be between 0 and {MAX_PAGE_SIZE}, got {first}", field="first", code="BAD_PAGE_SIZE")
    return first


async def paginate(
    qs: QuerySet,
    *,
    first: int | None,
    after: str | None,
    key: Callable[[Any], Sequence[Any]],
    after_key: Callable[[list[Any]], Q],
    key_size: int,
    to_node: Callable[[Any], NodeT] | Callable[[Any], Awaitable[NodeT]],
) -> Connection[NodeT]:
    """One SELECT for the page (limit n+1 tells whether there is more), COUNT only on demand."""
    size = page_size(first)
    page_qs = qs.filter(after_key(decode_cursor(after, key_size))) if after else qs
    rows = list(await page_qs.limit(size + 1)) if size else []
    has_next = len(rows) > size
    rows = rows[:size]
    edges = [Edge(cursor=encode_cursor(key(r)), node=to_node(r)) for r in rows]
    return Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=qs,
    )


def by_id() -> dict:
    """Keyword arguments for paginate() when a list is ordered by id alone."""
    return dict(key=lambda r: (r.id,), after_key=lambda k: Q(id__gt=cursor_id(k[0])), key_size=1)


def by_date_then_id(field: str, cursor_field: str = "after") -> dict:
    """Keyword arguments for paginate() when a list is ordered by a date column, then id."""

    def after_key(key: list[Any]) -> Q:
        try:
            day, pk = date.fromisoformat(key[0]), cursor_id(key[1])
        except (TypeError, ValueError) as exc:
            raise DomainError(f"{cursor_field}: not a cursor for this list", field=cursor_field, code="BAD_CURSOR") from exc
        return Q(**{f"{field}__gt": day}) | Q(**{field: day, "id__gt": pk})

    return dict(key=lambda r: (getattr(r, field).isoformat(), r.id), after_key=after_key, key_size=2)
