"""Writes racing each other leave the figures kept on write right without ``wenming reindex``
(issue 18), on both databases: an event written while its site moves, on either side of the
move's commit, lands on the site's new path (its occurrences and its held figures), and so do
a check-out's recorded hours. SQLite
has one writer at a time, so there the two simply take turns; on PostgreSQL the event's
rewrite and the move wait for each other through the site's row (api/domain/sites.py,
hold_paths)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from api.domain.events import create_event
from api.domain.permissions import Actor
from api.domain.series import update_series
from api.domain.errors import DomainError
from api.domain.sites import move_site, update_site
from api.domain.writes import Write
from api.models.events import Event, EventKind, EventStatus, Occurrence, SiteDayStats
from api.models.people import Person
from api.models.sites import Site
from api.models.volunteering import CheckMethod, Volunteer
from api.volunteering import checkin
from tests.network import at, build

HOLD = 0.4  # seconds a transaction stays open while the other one runs (bounded: a test stays fast)


async def _race(first, second) -> None:
    """Run ``first`` in a transaction kept open for HOLD seconds after it wrote, and ``second``
    as soon as ``first`` wrote (it may have to wait for that commit)."""
    wrote = asyncio.Event()

    async def hold_open():
        async with in_transaction():
            await first()
            wrote.set()
            await asyncio.sleep(HOLD)

    async def then():
        await wrote.wait()
        await second()

    await asyncio.wait_for(asyncio.gather(hold_open(), then()), timeout=30)


async def _paths_follow(site_id: int) -> None:
    path = (await Site.get(id=site_id)).path
    occurrences = set(await Occurrence.filter(site_id=site_id).values_list("site_path", flat=True))
    kept = set(await SiteDayStats.filter(site_id=site_id).values_list("site_path", flat=True))
    assert occurrences == {path}, (occurrences, path)
    assert kept == {path}, (kept, path)


async def _network():
    n = await build()
    station = await Site.get(id=n.station2.id)
    target = await Site.get(id=(await Site.get(id=n.other_station.id)).parent_id)  # the other county's institute
    return n, station, target


def _event(n, site_id: int, day: int):
    return create_event(kind=EventKind.ACTIVITY, title=f"送温暖{day}", platform_id=n.culture.id, site_id=site_id,
                        starts_at=at(2026, 3, day, 9), ends_at=at(2026, 3, day, 11), status=EventStatus.PUBLISHED)


async def test_an_event_created_while_its_site_moves_lands_on_the_new_path(db):
    n, station, target = await _network()
    await _race(lambda: move_site(station, target), lambda: _event(n, station.id, 16))
    await _paths_follow(station.id)


async def test_a_site_moved_while_an_event_is_created_takes_the_event_along(db):
    n, station, target = await _network()
    await _race(lambda: _event(n, station.id, 17), lambda: move_site(station, target))
    await _paths_follow(station.id)


async def test_an_event_moved_into_a_moving_site_follows_it(db):
    n, station, target = await _network()
    fair = await Event.get(id=n.fair.id)  # at the institute, outside the moving station

    async def into_station():
        await update_series(fair, fair.version, {"site_id": station.id}, None, [])

    await _race(lambda: move_site(station, target), into_station)
    await _paths_follow(station.id)


async def test_check_outs_racing_a_site_move_count_on_the_new_path(db):
    """A check-out rewrites its day's held figures (recorded hours): before or after the move
    commits, they end on the new path. (Its ledger row references the event, which the move
    holds, so the two take turns.)"""
    n, station, target = await _network()
    await _event(n, station.id, 18)
    write = Write(Actor(label="test"))
    occurrences = await Occurrence.filter(site_id=station.id).order_by("starts_at")
    volunteers = [await Volunteer.create(person=await Person.create(name=f"志愿者{i}"), token_hash=str(i) * 64)
                  for i in range(2)]
    for volunteer in volunteers:
        await checkin.check_in(write, volunteer, occurrences[0], at=occurrences[0].starts_at, method=CheckMethod.STAFF)

    def check_out(volunteer):
        return lambda: checkin.check_out(write, volunteer, occurrences[0], at=occurrences[0].ends_at,
                                         method=CheckMethod.STAFF)

    await _race(check_out(volunteers[0]), lambda: move_site(station, target))
    await _paths_follow(station.id)
    back = await Site.get(id=n.institute.id)
    await _race(lambda: move_site(station, back), check_out(volunteers[1]))  # the move first, back home
    await _paths_follow(station.id)
    assert await SiteDayStats.filter(site_id=station.id, recorded_minutes__gt=0).count() == 1


async def test_two_moves_racing_leave_every_path_under_its_parent(db):
    """A station moved under an institute while that institute moves to another centre: the
    station's path is built from the institute's new path, whichever move commits first (the
    second move reads the paths it builds on under its locks, not before its transaction)."""
    n, station, target = await _network()
    centre = await Site.get(id=n.centre.id)
    as_read = await Site.get(id=target.id)  # what the second request read before the first move
    await _race(lambda: move_site(target, centre), lambda: move_site(station, as_read))
    sites = {s.id: s for s in await Site.all()}
    for site in sites.values():
        parent = sites.get(site.parent_id)
        assert site.path == f"{parent.path if parent else '/'}{site.id}/", (site.name, site.path)
        assert site.depth == (parent.depth + 1 if parent else 0), (site.name, site.depth)
    for site_id, site_path in await Occurrence.all().values_list("site_id", "site_path"):
        assert site_path == sites[site_id].path, (sites[site_id].name, site_path)


async def test_a_move_from_a_stale_read_is_a_conflict(db):
    """A colleague's edit committed after the mover read the site: the move is refused as a
    CONFLICT, under its lock, and the colleague's edit stays (the move used to write the
    version past it, and the stale edit went through)."""
    n, station, target = await _network()
    as_read = await Site.get(id=station.id)
    await update_site(station, station.version, {"name": "同事改的名"})
    with pytest.raises(DomainError) as refused:
        await update_site(as_read, as_read.version, {"name": "旧的改名"}, parent=target)
    assert refused.value.code == "CONFLICT"
    now = await Site.get(id=station.id)
    assert (now.name, now.parent_id) == ("同事改的名", station.parent_id)
