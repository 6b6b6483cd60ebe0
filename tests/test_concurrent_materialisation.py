"""Materialisation under concurrency (issue 10): the horizon job and editors rewriting the same
events' occurrences at the same time, on PostgreSQL (SQLite serialises every write transaction).

Afterwards every event's occurrences must equal a fresh expansion of the event as it is stored,
and no editor may have been answered "Internal error"."""

from __future__ import annotations

import asyncio
import logging

import pytest

from api.domain import occurrences
from api.domain.events import create_event
from api.domain.recurrence import Change, expand
from api.models.events import Event, EventKind, EventOverride, EventStatus, Occurrence
from tests.auth_support import make_callers, post
from tests.network import at, build, gid

UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) {
  event { id version } errors { field message code } } }"""
EVENTS = 6
EDITORS = 4
EDITS_EACH = 8
TIMES = [(9, 30), (14, 30), (19, 0)]


def _postgres_only(db) -> None:
    if db.name != "postgres":
        pytest.skip("concurrent writers need PostgreSQL (SQLite runs one write transaction at a time)")


async def _series(net, n: int) -> list[Event]:
    """Open-ended weekly series, so the horizon job has rows to write for each."""
    return [
        await create_event(
            kind=EventKind.ACTIVITY, title=f"周末志愿服务{i}", platform_id=net.culture.id, site_id=net.station.id,
            starts_at=at(2026, 3, 7 + i, 9, 30), ends_at=at(2026, 3, 7 + i, 11), rrule="FREQ=WEEKLY",
            status=EventStatus.PUBLISHED,
        )
        for i in range(n)
    ]


def _row(o) -> tuple:
    return (o.recurrence_id.timestamp(), o.starts_at.timestamp(), o.ends_at.timestamp(), o.cancelled, o.title)


async def _stale_events() -> list[int]:
    """Events whose materialised occurrences differ from a fresh expansion of the stored event."""
    until = occurrences.horizon_end()
    stale = []
    for event in await Event.filter(deleted_at__isnull=True).order_by("id"):
        changes = {
            o.recurrence_id: Change(o.cancelled, o.starts_at, o.ends_at, o.title, o.venue_id)
            for o in await EventOverride.filter(event_id=event.id)
        }
        expected = sorted(
            (i.recurrence_id.timestamp(), i.starts_at.timestamp(), i.ends_at.timestamp(), i.cancelled, i.title or event.title)
            for i in expand(starts_at=event.starts_at, ends_at=event.ends_at, all_day=event.all_day, rule_text=event.rrule,
                            exdates=event.exdates, changes=changes, until=until)
        )
        stored = sorted(_row(o) for o in await Occurrence.filter(event_id=event.id))
        if stored != expected:
            stale.append(event.id)
    return stale


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_horizon_job_and_editors_leave_every_event_materialised_as_stored(client, db):
    _postgres_only(db)
    net = await build()
    token = (await make_callers(net)).editor
    events = await _series(net, EVENTS)
    internal, conflicts, done = [], [], asyncio.Event()

    async def editor(n: int) -> None:
        for k in range(EDITS_EACH):
            event = await Event.get(id=events[(n + k) % EVENTS].id)
            hh, mm = TIMES[(n + k) % len(TIMES)]
            start = event.starts_at.replace(hour=hh, minute=mm)
            response = await post(client, token, UPDATE, input={
                "id": gid("Event", event.id), "version": event.version, "title": f"编辑{n}-{k}",
                "startsAt": start.isoformat(), "endsAt": start.replace(hour=hh + 1).isoformat()})
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                internal.append(body)
            elif codes := [e["code"] for e in body["data"]["updateEvent"]["errors"]]:
                assert codes == ["CONFLICT"], body  # another editor won the race: a clear answer
                conflicts.append(codes)

    async def horizon_job() -> int:
        runs = 0
        while not done.is_set() or runs < 2:
            # As on a new day: every series is behind the horizon, so the job rewrites them all.
            await Event.all().update(materialised_until=None)
            await occurrences.extend_horizon(batch=2)
            runs += 1
        return runs

    job = asyncio.create_task(horizon_job())
    await asyncio.gather(*(editor(n) for n in range(EDITORS)))
    done.set()
    assert await job >= 2
    assert internal == []
    assert await _stale_events() == []
    assert len(conflicts) < EDITORS * EDITS_EACH  # most edits landed


async def test_two_workers_extending_the_horizon_at_once(db):
    _postgres_only(db)
    net = await build()
    events = await _series(net, EVENTS)
    # As after a day without a worker: the table reaches less far than the horizon.
    await Occurrence.filter(event_id__in=[e.id for e in events], starts_at__gt=at(2027, 1, 1)).delete()
    await Event.filter(id__in=[e.id for e in events]).update(materialised_until=at(2027, 1, 1))
    expected = await Occurrence.filter(event_id__in=[e.id for e in events]).count()
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        counts = await asyncio.gather(*(occurrences.extend_horizon(batch=2) for _ in range(2)))
    finally:
        logging.getLogger().removeHandler(errors)
    # Between them the workers wrote each series once, up to the horizon: the one that came
    # second to a series found it up to date (checked again under its lock) and left it.
    written = await Occurrence.filter(event_id__in=[e.id for e in events]).count()
    assert written > expected and sum(counts) == written
    assert errors.messages == []
    assert await _stale_events() == []
