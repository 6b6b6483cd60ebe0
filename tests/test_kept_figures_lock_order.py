"""Two writers whose transactions each change the figures kept on write of several sites, one
after the other and in opposite orders (two sheet imports, say), never wait for each other in
a circle (issue 18). On PostgreSQL each transaction's changes are written once, just before it
commits (api/db/at_commit.py), taking their locks in one order: the held figures' site locks
by site id, then the subtree counts' rows by (site id, kind). Before, each step locked as it
went and the two writers deadlocked ("deadlock detected": one import failed). SQLite has one
writer at a time: the two take turns. Both databases."""

from __future__ import annotations

import asyncio
from datetime import date

from tortoise.transactions import in_transaction

from api.domain import site_counts
from api.domain.events import create_event
from api.domain.sites import create_site
from api.models.events import EventKind, EventStatus, SiteDayStats
from api.models.sites import Site, SiteKind
from tests.network import at, build

WAIT = 1.0  # at most this long for the other writer to hold its first site (SQLite: it cannot)


async def _two_writers(steps: list) -> None:
    """Writer 0 runs steps[0] then steps[1], writer 1 the other way round, each in one
    transaction, each holding its first step until the other has done its own first step."""
    holding = [asyncio.Event(), asyncio.Event()]

    async def writer(me: int) -> None:
        async with in_transaction():
            order = steps if me == 0 else steps[::-1]
            await order[0](me)
            holding[me].set()
            try:
                await asyncio.wait_for(holding[1 - me].wait(), WAIT)
            except TimeoutError:
                pass  # SQLite: the other waits for this transaction
            await order[1](me)

    await asyncio.wait_for(asyncio.gather(writer(0), writer(1)), timeout=60)


async def test_event_writers_of_two_sites_in_opposite_orders_both_commit(db):
    n = await build()
    sites = [n.station.id, n.station2.id]

    def event_at(site_id: int):
        return lambda me: create_event(kind=EventKind.ACTIVITY, title=f"导入{me}-{site_id}", platform_id=n.culture.id,
                                       site_id=site_id, starts_at=at(2026, 3, 20, 9), ends_at=at(2026, 3, 20, 11),
                                       status=EventStatus.PUBLISHED)

    await _two_writers([event_at(sites[0]), event_at(sites[1])])
    # Both committed, and the figures count all four events (two a site on 20 March).
    for site_id in sites:
        rows = await SiteDayStats.filter(site_id=site_id, day=date(2026, 3, 20)).values_list("held", flat=True)
        assert sum(rows) == 2, (site_id, rows)


async def test_site_writers_in_opposite_orders_both_commit(db):
    """Each new site adds to its ancestors' counts of its kind: a station and a point each,
    in opposite orders, share the county's and the institute's rows of both kinds."""
    n = await build()
    before = (await site_counts.below([n.centre.id]))[0]

    def station(me: int):
        return create_site(kind=SiteKind.STATION, name=f"新站{me}", parent=n.institute)

    async def point(me: int):
        return await create_site(kind=SiteKind.POINT, name=f"新点{me}", parent=await Site.get(id=n.station.id))

    await _two_writers([station, point])
    after = (await site_counts.below([n.centre.id]))[0]
    assert after["STATION"] == before["STATION"] + 2 and after["POINT"] == before["POINT"] + 2


async def test_a_transaction_reads_its_own_counts(db):
    """What a transaction gathered for its end is written first when it reads the figures
    itself (a mutation's answer under an Idempotency-Key is read inside its transaction)."""
    n = await build()
    async with in_transaction():
        before = (await site_counts.below([n.institute.id]))[0].get("STATION", 0)
        await create_site(kind=SiteKind.STATION, name="读自己的站", parent=n.institute)
        assert (await site_counts.below([n.institute.id]))[0]["STATION"] == before + 1
        await create_site(kind=SiteKind.STATION, name="再读自己的站", parent=n.institute)
    assert (await site_counts.below([n.institute.id]))[0]["STATION"] == before + 2


async def test_a_savepoint_rolled_back_takes_its_figures_with_it(db):
    """A nested transaction (a savepoint: each write under an Idempotency-Key is one) that rolls
    back leaves no trace in the figures, whether it gathered changes for the end or wrote
    what was gathered before it (a reader inside it)."""
    n = await build()
    before = (await site_counts.below([n.institute.id]))[0].get("STATION", 0)
    async with in_transaction():
        await create_site(kind=SiteKind.STATION, name="留下的站", parent=n.institute)
        for reads_inside in (False, True):
            try:
                async with in_transaction():
                    await create_site(kind=SiteKind.STATION, name=f"撤回的站{reads_inside}", parent=n.institute)
                    if reads_inside:
                        await site_counts.below([n.institute.id])
                    raise LookupError("the write fails after its figures were gathered")
            except LookupError:
                pass
    assert await Site.filter(name__startswith="撤回的站").count() == 0
    assert (await site_counts.below([n.institute.id]))[0]["STATION"] == before + 1


async def test_a_rebuild_inside_a_transaction_counts_its_writes_once(db):
    """``kept_figures.rebuild()`` in a transaction that has gathered changes for its COMMIT (a new
    station's count, an event's held figures) reads those writes from the base tables: the
    gathered changes are dropped, not applied again on top. A write after the rebuild counts."""
    from api.domain import kept_figures

    n = await build()
    before = (await site_counts.below([n.institute.id]))[0]["STATION"]
    async with in_transaction():
        await create_site(kind=SiteKind.STATION, name="重建前的站", parent=n.institute)
        await create_event(kind=EventKind.ACTIVITY, title="重建前的活动", platform_id=n.culture.id,
                           site_id=n.station2.id, starts_at=at(2026, 3, 21, 9), ends_at=at(2026, 3, 21, 11),
                           status=EventStatus.PUBLISHED)
        await kept_figures.rebuild()
        await create_site(kind=SiteKind.STATION, name="重建后的站", parent=n.institute)
    assert (await site_counts.below([n.institute.id]))[0]["STATION"] == before + 2
    held = await SiteDayStats.filter(site_id=n.station2.id, day=date(2026, 3, 21)).values_list("held", flat=True)
    assert sum(held) == 1
