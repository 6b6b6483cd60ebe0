"""A kiosk's board (触屏一体机): what is on now, what is next, the rest of today, the week ahead.

Everything is computed in Asia/Shanghai from ONE read of the occurrences table through
``OccurrenceFilter.queryset()`` (so drafts never show and cancelled occurrences stay, marked),
then arranged in Python. ``now`` is a parameter: callers pass the clock, tests pick the time.

The rules, in one place:
- ``now``: running at ``now`` (started at or before it, ending after it), all-day ones included.
- ``next``: the next timed start after ``now`` that takes place (not cancelled), with every
  occurrence starting at that same time, and the cancelled ones starting before it (a kiosk
  says 已取消 rather than skipping silently). All-day occurrences are never "next": they show
  in ``now`` on their day and in the day lists.
- ``rest_of_today``: what starts later today (after ``now``, before midnight).
- ``week_ahead``: the seven days after today; a day lists what starts on it, and an all-day
  occurrence on every day it covers. An occurrence crossing midnight is listed on the day it
  starts (and is in ``now`` while it runs, after midnight too).
- ``changes_at``: the board changes with no write only when an occurrence starts or ends, or
  at midnight: the earliest of those after ``now``. Caches keep a board until then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from api.domain.clock import day_start, local
from api.domain.errors import DomainError
from api.domain.occurrences import OccurrenceFilter
from api.models.events import EventStatus, Occurrence

WEEK_AHEAD_DAYS = 7
# A board is for one site or one county, not a province: past this many occurrences in the
# eight days it covers, it is refused with a message rather than cut short.
MAX_BOARD_OCCURRENCES = 5000


@dataclass(frozen=True)
class BoardDay:
    day: date
    occurrences: list[Occurrence]


@dataclass(frozen=True)
class Board:
    server_time: datetime
    today: date
    now: list[Occurrence]
    next: list[Occurrence]
    rest_of_today: list[Occurrence]
    week_ahead: list[BoardDay]
    changes_at: datetime


def is_cancelled(occurrence: Occurrence) -> bool:
    return occurrence.cancelled or occurrence.event_status == EventStatus.CANCELLED


def board_filter(*, now: datetime, site_id: int | None = None, within_path: str | None = None) -> OccurrenceFilter:
    """Everything not yet over, up to the end of the week ahead: one indexed range query."""
    if (site_id is None) == (within_path is None):
        raise ValueError("a board is for one site (site_id) or one subtree (within_path)")
    today = local(now).date()
    end = day_start(today + timedelta(days=WEEK_AHEAD_DAYS + 1))
    return OccurrenceFilter(start=now, end=end, site_id=site_id, within_path=within_path)


async def board(*, now: datetime, site_id: int | None = None, within_path: str | None = None) -> Board:
    """The board of one site (``site_id``) or of a site and its subtree (``within_path``)."""
    rows = await board_filter(now=now, site_id=site_id, within_path=within_path).queryset().limit(MAX_BOARD_OCCURRENCES + 1)
    if len(rows) > MAX_BOARD_OCCURRENCES:
        raise DomainError(
            f"this board would list more than {MAX_BOARD_OCCURRENCES} occurrences in {WEEK_AHEAD_DAYS + 1} days; "
            "ask for a smaller site, or within: false",
            field="within",
            code="BOARD_TOO_LARGE",
        )
    return arrange(rows, now)


def arrange(rows: Sequence[Occurrence], now: datetime) -> Board:
    """Sort occurrences not yet over (in time order) into the board's parts at ``now``."""
    now = local(now)
    today = now.date()
    midnight = day_start(today + timedelta(days=1))
    running = [o for o in rows if local(o.starts_at) <= now < local(o.ends_at)]
    later = [o for o in rows if local(o.starts_at) > now]
    return Board(
        server_time=now,
        today=today,
        now=running,
        next=_next(later),
        rest_of_today=[o for o in later if local(o.starts_at) < midnight],
        week_ahead=[
            BoardDay(day, [o for o in rows if _on_day(o, day)])
            for day in (today + timedelta(days=i) for i in range(1, WEEK_AHEAD_DAYS + 1))
        ],
        changes_at=min(
            [midnight, *(local(o.ends_at) for o in rows), *(local(o.starts_at) for o in later)]
        ),
    )


def _next(later: Sequence[Occurrence]) -> list[Occurrence]:
    timed = [o for o in later if not o.all_day]
    first = next((local(o.starts_at) for o in timed if not is_cancelled(o)), None)
    if first is None:
        return []
    return [o for o in timed if local(o.starts_at) == first or (local(o.starts_at) < first and is_cancelled(o))]


def _on_day(occurrence: Occurrence, day: date) -> bool:
    start = local(occurrence.starts_at)
    if occurrence.all_day:
        return start <= day_start(day) < local(occurrence.ends_at)
    return start.date() == day
