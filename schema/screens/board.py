"""The kiosk board (触屏一体机) as GraphQL: ``board(site, within)``. Rules in api/domain/board.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry import relay

from api.china_calendar.days import calendar_days
from api.domain import board as rules
from api.domain import clock
from api.domain.freshness import HOLIDAY_TABLE, Dependencies, occurrence_dependencies
from api.domain.errors import NotFound
from schema.calendar.types import Occurrence
from schema.china_calendar.types import CalendarDay
from schema.core.context import Info, node_pk
from schema.core.persisted import answer_changes_at, answer_depends_on
from schema.network.types import Site


def _occurrences(rows) -> list[Occurrence]:
    return [Occurrence.from_row(r) for r in rows]


@strawberry.type(description="One day of a board's week ahead.")
class BoardDay:
    day: date = strawberry.field(name="date", description="The day (Asia/Shanghai)")
    weekday: int = strawberry.field(description="ISO day of the week: 1 Monday (星期一) to 7 Sunday (星期日)")
    occurrences: list[Occurrence] = strawberry.field(
        description="What starts that day, in time order, and all-day occurrences covering it; "
        "cancelled ones included with status CANCELLED"
    )


@strawberry.type(
    description="A kiosk's board (触屏一体机): what is on now, what is next, the rest of today and the week "
    "ahead at a site, in Asia/Shanghai. Cancelled occurrences stay listed with status CANCELLED (show 已取消); "
    "drafts never appear."
)
class Board:
    site: Site = strawberry.field(description="The site the board is for")
    within: bool = strawberry.field(description="Whether the board covers the site's whole subtree")
    server_time: datetime = strawberry.field(
        description="The server's clock when this board was computed (+08:00): set a drifting kiosk clock by "
        "it. A cached answer (persisted documents) would carry an old time, so the trusted `board` "
        "document leaves it out: read the HTTP Date header there, which every response, 304 included, carries"
    )
    today: date = strawberry.field(description="Today in Asia/Shanghai: the day restOfToday is about")
    changes_at: datetime = strawberry.field(
        description="When this board next changes by the clock alone (an occurrence starts or ends, or "
        "midnight); a write or a live update may change it sooner"
    )
    now: list[Occurrence] = strawberry.field(
        description="Running now (started, not yet ended), all-day occurrences of today included"
    )
    next: list[Occurrence] = strawberry.field(
        description="The next timed start that takes place: every occurrence starting at that time, and any "
        f"cancelled ones before it. Empty when nothing starts in the next {rules.WEEK_AHEAD_DAYS + 1} days"
    )
    rest_of_today: list[Occurrence] = strawberry.field(description="What starts later today, in time order")
    week_ahead: list[BoardDay] = strawberry.field(description="The seven days after today, each listed even when empty")

    @strawberry.field(description="Today in China's calendar (日历): the lunar date (农历), festivals, the holiday or "
                      "make-up working day, as a kiosk's header shows them (docs/calendar.md)")
    async def calendar_day(self, info: Info) -> CalendarDay:
        answer_depends_on(info, Dependencies(shows=frozenset({HOLIDAY_TABLE})))  # a correction shows at once
        return CalendarDay.of((await calendar_days(self.today, self.today))[0])


@strawberry.type(description="Boards for kiosks (触屏一体机).")
class BoardQuery:
    @strawberry.field(
        description="A kiosk's board for a site: now, next, the rest of today and the week ahead, in "
        "Asia/Shanghai. For a screen that polls, ask for the trusted document `board` over GET (docs/screens.md)"
    )
    async def board(
        self,
        info: Info,
        site: Annotated[relay.GlobalID, strawberry.argument(description="Global ID of the Site the kiosk stands at")],
        within: Annotated[
            bool, strawberry.argument(description="true: the site and its whole subtree (a centre's big screen)")
        ] = False,
    ) -> Board:
        pk = node_pk(site, "Site", "site")
        row = await info.context.loaders.site.load(pk)
        if row is None:
            raise NotFound("site", site, field="site")
        now = clock.now()
        found = await rules.board(
            now=now, site_id=None if within else row.id, within_path=row.path if within else None
        )
        answer_changes_at(info, found.changes_at)
        listed = [*found.now, *found.next, *found.rest_of_today, *(o for d in found.week_ahead for o in d.occurrences)]
        answer_depends_on(info, occurrence_dependencies(
            listed, site_id=None if within else row.id, within_path=row.path if within else None))
        return Board(
            site=Site.from_row(row),
            within=within,
            server_time=found.server_time,
            today=found.today,
            changes_at=found.changes_at,
            now=_occurrences(found.now),
            next=_occurrences(found.next),
            rest_of_today=_occurrences(found.rest_of_today),
            week_ahead=[
                BoardDay(day=d.day, weekday=d.day.isoweekday(), occurrences=_occurrences(d.occurrences))
                for d in found.week_ahead
            ],
        )
