"""Where the demo's builders put what they make: straight through the domain, one row at a time.

The builders (network, teams, programme) decide everything; a writer only stores it. This one
is the normal path (``create_site``, ``create_team``, ``create_event`` ...): every rule checked
by the code editors use. ``api.demo.bulk.BulkWriter`` has the same methods and writes the same
rows in batches, for province-sized networks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from tortoise.models import Model

from api.domain.events import change_occurrence, create_event
from api.domain.sites import create_site
from api.domain.teams import create_team
from api.models.people import Person
from api.models.sites import Site, SiteKind, Venue
from api.models.teams import Membership, Team
from api.search.index import reindex

Changes = Sequence[tuple[datetime, dict]]  # (recurrence id, change_occurrence keywords)


class DirectWriter:
    def row(self, model: type[Model], **fields) -> Any:
        """A row the builders hand back to ``venues``, ``people`` or ``memberships``."""
        return model(**fields)

    async def site(self, *, kind: SiteKind, parent: Site | None = None, **fields) -> Site:
        return await create_site(kind=kind, parent=parent, **fields)

    async def venues(self, venues: list[Venue]) -> list[int]:
        """Store these venues; their ids, in order."""
        await Venue.bulk_create(venues, batch_size=500)
        # The network was empty before the load (load_demo checks), so the newest are ours.
        ids = await Venue.all().order_by("-id").limit(len(venues)).values_list("id", flat=True)
        return sorted(ids)

    async def team(self, **fields) -> Team:
        return await create_team(**fields)

    async def person(self, **fields) -> int:
        return (await Person.create(**fields)).id

    async def people(self, people: list[Person]) -> list[int]:
        """Store these volunteers (each with its own volunteer number); their ids, in order."""
        await Person.bulk_create(people, batch_size=500)
        numbers = [p.volunteer_number for p in people]
        ids = dict(await Person.filter(volunteer_number__in=numbers).values_list("volunteer_number", "id"))
        return [ids[n] for n in numbers]

    async def memberships(self, rows: list[Membership]) -> None:
        await Membership.bulk_create(rows, batch_size=500)

    async def event(self, fields: dict, changes: Changes) -> None:
        event = await create_event(**fields)
        for recurrence_id, change in changes:
            await change_occurrence(event, recurrence_id, **change)

    async def finish(self, progress: Callable[[str, int, int], None] | None = None) -> None:
        """Everything is written already."""

    def close(self) -> None:
        """Nothing runs beside the load."""

    async def index(self, progress: Callable[[str, int, int], None] | None = None) -> None:
        """Written straight through the domain (no audited writes), so the index is built once here."""
        await reindex(progress and (lambda kind, done, total: progress(f"search index: {kind.lower()}s", done, total)))
