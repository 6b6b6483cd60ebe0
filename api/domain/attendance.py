"""When what happened at an event may be recorded: THE rule shared by `recordAttendance` and
`completeOrder(attendance:)` (an order's activity is an event like any other)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from api.domain import day_stats
from api.domain.clock import local, now
from api.domain.errors import DomainError
from api.domain.writes import save_versioned
from api.models.events import Event


def require_held(event: Event, *, field: str = "id") -> None:
    """Attendance is a fact about the past: refused (NOT_YET_HELD) until the event has started."""
    if local(event.starts_at) > now():
        raise DomainError(
            f"{event.title} has not taken place yet (it starts {local(event.starts_at):%Y-%m-%d %H:%M}); "
            "record attendance once it has",
            field=field, code="NOT_YET_HELD",
        )


async def save(event: Event, version: int, fields: dict, what: str) -> Event:
    """Store what happened (attendance, beneficiaries) and the held figures that sum it."""
    async with in_transaction():
        saved = await save_versioned(event, version, fields, what)
        await day_stats.recompute_events([event.id])
    return saved
