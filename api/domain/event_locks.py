"""One writer per event: whoever rewrites an event's occurrences holds the event's row lock.

Editors take it with their conditional UPDATE of the event; the horizon job and site moves
take it with SELECT ... FOR UPDATE. Locks are always taken in id order, so two writers that
need several events never wait on each other in a circle. SQLite has no row locks: its write
transaction already excludes every other writer, and the lock is a plain read there.
"""

from __future__ import annotations

from collections.abc import Iterable

from api.models.events import Event


async def lock_events(ids: Iterable[int], *, skip_locked: bool = False) -> list[Event]:
    """Lock these events until the transaction ends (call inside one) and return them as they
    are stored now, in id order. ``skip_locked`` leaves out events another transaction holds."""
    ids = sorted(set(ids))
    if not ids:
        return []
    return await Event.filter(id__in=ids).order_by("id").select_for_update(skip_locked=skip_locked)
