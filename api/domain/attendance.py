"""When what happened at an event may be recorded: THE rule shared by `recordAttendance` and
`completeOrder(attendance:)` (an order's activity is an event like any other)."""

from __future__ import annotations

from api.domain.clock import local, now
from api.domain.errors import DomainError
from api.models.events import Event


def require_held(event: Event, *, field: str = "id") -> None:
    """Attendance is a fact about the past: refused (NOT_YET_HELD) until the event has started."""
    if local(event.starts_at) > now():
        raise DomainError(
            f"{event.title} has not taken place yet (it starts {local(event.starts_at):%Y-%m-%d %H:%M}); "
            "record attendance once it has",
            field=field, code="NOT_YET_HELD",
        )
