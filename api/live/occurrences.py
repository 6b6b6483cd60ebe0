"""Announcing occurrence changes on the bus, for subscriptions (``occurrenceChanges``).

The contract for every write that touches events (mutations, imports, order dispatch):

    async with in_transaction():
        ...                                    # the write
        refreshed = await occurrences.refresh([event])
    await announce(info.context.bus, refreshed.changes)   # AFTER the commit

- Announce only after the transaction has committed: a listener that hears a change reads
  the occurrence fresh from the database, and must find the committed row (a rolled-back
  write announces nothing).
- Pass the ``changes`` of every ``refresh`` the write made; an empty list costs nothing.
- ``announce`` never raises because the bus is down (the write has succeeded; screens also
  poll), so it needs no try/except around it.

Each change is one message on the ``"occurrences"`` channel, a JSON object:

    {"change": "CREATED" | "CHANGED" | "CANCELLED" | "DELETED",
     "occurrence_id": "12@1772674200",          # the GraphQL Occurrence id
     "event_id": 12, "event_kind": "LECTURE" | "ACTIVITY",
     "site_path": "/1/5/12/", "previous_site_path": null | "/1/5/9/",
     "starts_at": "2026-03-05T09:30:00+08:00"}
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from api.domain.occurrences import OccurrenceChange
from api.live.bus import Bus

CHANNEL = "occurrences"
log = logging.getLogger("wenming.live")


async def announce(bus: Bus | None, changes: Iterable[OccurrenceChange]) -> int:
    """Publish each change on the "occurrences" channel; returns how many were published."""
    if bus is None:
        return 0
    published = 0
    for change in changes:
        try:
            await bus.publish(CHANNEL, change.to_message())
            published += 1
        except Exception:  # the write has committed: a lost announcement must not undo it
            log.exception("announcing %s of occurrence %s failed", change.change, change.occurrence_id)
    return published
