"""The calendar's root field: occurrences in a window, filtered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from api.domain.errors import DomainError
from api.domain.occurrences import MAX_WINDOW_DAYS, OccurrenceFilter, after_cursor
from api.models import events as em
from api.search import query as search_query
from api.search.tokens import QueryError, parse_query
from schema.calendar.types import Occurrence
from schema.core.context import Info, node_pk, node_pks
from schema.core.enums import EventKindEnum
from schema.core.pagination import Connection, cursor_id, paginate
from schema.network.queries import After, First, WithinArg, _site_path


MAX_SEARCHED_EVENTS = 5000  # occurrences(query:) narrows to at most this many matching events


def parsed(text: str):
    try:
        return parse_query(text)
    except QueryError as error:
        raise DomainError(str(error), field="query", code=error.code) from error


@strawberry.type(description="Public read access to the calendars.")
class CalendarQuery:
    @strawberry.field(
        description="Occurrences of published lectures and activities overlapping [from, to), in time order. "
        f"Cancelled ones are included with status CANCELLED. The window may be at most {MAX_WINDOW_DAYS} days."
    )
    async def occurrences(
        self,
        info: Info,
        start: Annotated[datetime, strawberry.argument(name="from", description="Window start (with offset)")],
        end: Annotated[datetime, strawberry.argument(name="to", description="Window end, exclusive (with offset)")],
        within: WithinArg = None,
        site: Annotated[relay.GlobalID | None, strawberry.argument(description="Only this site (not its subtree)")] = None,
        kind: Annotated[list[EventKindEnum] | None, strawberry.argument(description="Only lectures or only activities")] = None,
        platform: Annotated[list[relay.GlobalID] | None, strawberry.argument(description="Only these platforms")] = None,
        team: Annotated[relay.GlobalID | None, strawberry.argument(description="Only this organising team")] = None,
        lecturer: Annotated[relay.GlobalID | None, strawberry.argument(description="Only lectures by this lecturer")] = None,
        campaign: Annotated[relay.GlobalID | None, strawberry.argument(description="Only this campaign")] = None,
        query: Annotated[
            str | None,
            strawberry.argument(
                description=f"Only events whose public text matches this search (搜索), as `search` reads it; "
                f"the first {MAX_SEARCHED_EVENTS} matching events count"
            ),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Occurrence]:
        within_path = await _site_path(info, within, "within")
        event_ids = None
        if query is not None:
            event_ids = await search_query.event_ids(parsed(query), search_query.Scope(within_path=within_path), MAX_SEARCHED_EVENTS)
        flt = OccurrenceFilter(
            start=start,
            end=end,
            within_path=within_path,
            event_ids=event_ids,
            site_id=node_pk(site, "Site", "site"),
            kinds=[em.EventKind(k.value) for k in kind or []],
            platform_ids=node_pks(platform, "Platform", "platform"),
            team_id=node_pk(team, "Team", "team"),
            lecturer_id=node_pk(lecturer, "Lecturer", "lecturer"),
            campaign_id=node_pk(campaign, "Campaign", "campaign"),
        )
        return await paginate(
            flt.queryset(),
            first=first,
            after=after,
            key=lambda r: (r.starts_at.timestamp(), r.id),
            after_key=lambda k: after_cursor(_from_timestamp(k[0]), cursor_id(k[1])),
            key_size=2,
            to_node=Occurrence.from_row,
        )


def _from_timestamp(value: float) -> datetime:
    from datetime import UTC

    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise DomainError("after is not a cursor from this list", field="after", code="BAD_CURSOR") from exc
