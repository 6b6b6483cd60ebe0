"""Query shapes that stay flat as the network grows (issue 18): subtree filters that are a range
of the path index, an occurrence window bounded on both sides (so an event may last at most
MAX_DURATION_DAYS), and indexes each canonical query reads, checked with EXPLAIN on both
databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from tortoise import connections

from api.db.statistics import analyze
from api.domain.errors import DomainError
from api.domain.events import create_event
from api.domain.freshness import DELETES, WATERMARK_TABLES, _watermark_part
from api.domain.occurrences import OccurrenceFilter
from api.domain.recurrence import MAX_DURATION_DAYS
from api.domain.sites import create_site, subtree
from api.models.events import Event, EventKind, EventStatus, Occurrence
from api.models.platforms import Platform
from api.models.sites import Site, SiteKind
from tests.conftest import truncate_every_table
from tests.network import at, build, gid

SUBTREE_COUNTS = """
query($id: ID!) { node(id: $id) { ... on Site { subtreeCounts { kind count } } } }"""
WEEK = """
query($within: ID!) {
  occurrences(within: $within, from: "2026-03-01T00:00:00+08:00", to: "2026-03-08T00:00:00+08:00", first: 100) {
    edges { node { title site { name } } }
  }
}"""


@pytest.fixture
async def db(db):
    """The plans below are read on tables as a new database has them (conftest's db empties
    them by DELETE, after which PostgreSQL plans small tables otherwise)."""
    await truncate_every_table(db)
    return db


async def _network_with_ids_sharing_prefixes() -> list[Site]:
    """Enough sites that ids 1 and 10-19 (paths /1/ and /10/...) and 2 and 2x coexist."""
    platform = await Platform.create(code="THEORY", name="理论宣讲", lead_unit="县委宣传部")
    sites: list[Site] = []
    for c in range(4):
        centre = await create_site(kind=SiteKind.CENTER, name=f"第{c}区实践中心")
        sites.append(centre)
        for i in range(3):
            institute = await create_site(kind=SiteKind.INSTITUTE, name=f"第{c}区{i}镇实践所", parent=centre)
            station = await create_site(kind=SiteKind.STATION, name=f"第{c}区{i}镇实践站", parent=institute)
            sites += [institute, station]
            await create_event(kind=EventKind.ACTIVITY, title=f"{station.name}活动", platform_id=platform.id,
                               site_id=station.id, starts_at=at(2026, 3, 2, 9), ends_at=at(2026, 3, 2, 11),
                               status=EventStatus.PUBLISHED)
    assert max(s.id for s in sites) >= 20
    return sites


async def test_a_subtree_is_exactly_the_paths_below_it(gql, db):
    sites = await _network_with_ids_sharing_prefixes()
    for site in sites:
        below = {s.id for s in sites if s.path.startswith(site.path)}
        assert set(await Site.filter(subtree(site.path)).values_list("id", flat=True)) == below, site.path
        rows = await OccurrenceFilter(start=at(2026, 3, 1), end=at(2026, 3, 8), within_path=site.path).queryset()
        assert {r.site_id for r in rows} == {s.id for s in sites if s.id in below and s.kind == SiteKind.STATION}
        # Through GraphQL too: site 1 must not count the sites of centre 10-19 as its own.
        counts = (await gql(SUBTREE_COUNTS, id=gid("Site", site.id)))["node"]["subtreeCounts"]
        assert sum(c["count"] for c in counts) == len(below) - 1, site.path
    first = sites[0]
    week = await gql(WEEK, within=gid("Site", first.id))
    assert {e["node"]["site"]["name"] for e in week["occurrences"]["edges"]} == {
        f"第0区{i}镇实践站" for i in range(3)
    }


async def test_an_event_overlapping_the_window_from_long_before_is_listed(gql, db):
    net = await build()
    longest = await create_event(
        kind=EventKind.ACTIVITY, title="学雷锋志愿服务成果展", platform_id=net.culture.id, site_id=net.station.id,
        starts_at=at(2026, 2, 1), ends_at=at(2026, 2, 1) + timedelta(days=MAX_DURATION_DAYS), all_day=True,
        status=EventStatus.PUBLISHED,
    )
    assert (longest.ends_at - longest.starts_at).days == 31
    week = await gql(WEEK, within=gid("Site", net.centre.id))
    assert "学雷锋志愿服务成果展" in [e["node"]["title"] for e in week["occurrences"]["edges"]]
    # One day more, and nothing is written: the window's bound would no longer hold.
    with pytest.raises(DomainError) as refused:
        await create_event(
            kind=EventKind.ACTIVITY, title="全年展览", platform_id=net.culture.id, site_id=net.station.id,
            starts_at=at(2026, 2, 1), ends_at=at(2026, 2, 1) + timedelta(days=MAX_DURATION_DAYS + 1), all_day=True,
        )
    assert refused.value.code == "TOO_LONG" and "31 days" in refused.value.message


async def _plan(sql: str, params: list) -> str:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        _, rows = await conn.execute_query("EXPLAIN " + sql, params)
        return "\n".join(str(list(dict(r).values())[0]) for r in rows)
    _, rows = await conn.execute_query("EXPLAIN QUERY PLAN " + sql, params)
    return "\n".join(str(tuple(r)[-1]) for r in rows)


async def _province_like(net, counties: int = 30, stations: int = 10, per_station: int = 100) -> None:
    """Many counties and a long history (30,000 rows, written in bulk: no domain rule reads
    them), so each database plans as it would for a province, with statistics (ANALYZE)."""
    first = net.other_station.id + 1000
    sites, events, rows = [], [], []
    for c in range(counties):
        centre_id = first + c * (stations + 1)
        sites.append(Site(id=centre_id, kind=SiteKind.CENTER, name=f"第{c}区", path=f"/{centre_id}/"))
        for s in range(1, stations + 1):
            site_id = centre_id + s
            path = f"/{centre_id}/{site_id}/"
            sites.append(Site(id=site_id, kind=SiteKind.STATION, name=f"第{c}区{s}站", parent_id=centre_id, path=path,
                              depth=1))
            events.append(Event(id=site_id, kind=EventKind.ACTIVITY, title="每日一练", platform_id=net.culture.id,
                                site_id=site_id, starts_at=at(2025, 1, 1, 7), ends_at=at(2025, 1, 1, 8),
                                status=EventStatus.PUBLISHED))
            for d in range(per_station):
                start = at(2025, 9, 15, 7) + timedelta(days=3 * d)  # the weeks asked for are inside
                rows.append(Occurrence(event_id=site_id, recurrence_id=start, starts_at=start,
                                       ends_at=start + timedelta(hours=1), title="每日一练", kind=EventKind.ACTIVITY,
                                       event_status=EventStatus.PUBLISHED, site_id=site_id, site_path=path,
                                       platform_id=net.culture.id))
    await Site.bulk_create(sites, batch_size=1000)
    await Event.bulk_create(events, batch_size=1000)
    await Occurrence.bulk_create(rows, batch_size=2000)
    await analyze()


async def test_canonical_queries_read_an_index_over_the_window(db):
    net = await build()
    await _province_like(net)
    week = dict(start=at(2026, 3, 1), end=at(2026, 3, 8))
    board = OccurrenceFilter(site_id=net.station.id, **week).queryset().limit(101)
    county = OccurrenceFilter(within_path=net.centre.path, **week).queryset().limit(101)
    for name, qs in (("board", board), ("county", county)):
        qs._make_query()
        plan = await _plan(*qs.query.get_parameterized_sql())
        # The (site_id, starts_at) index, both ends of starts_at on it: per site, the window.
        assert "idx_occurrence_site_starts" in plan, f"{name}:\n{plan}"
        assert "SCAN occurrence" not in plan and "Seq Scan on occurrence" not in plan, f"{name}:\n{plan}"
        if connections.get("default").capabilities.dialect == "postgres":
            assert re.search(r"Index Cond: .*site_id.*starts_at < .*starts_at >", plan), plan
        else:
            assert "site_id=? AND starts_at>? AND starts_at<?" in plan, plan
    if connections.get("default").capabilities.dialect == "sqlite":  # a range of the path index
        sites = Site.filter(subtree(net.centre.path))
        sites._make_query()
        plan = await _plan(*sites.query.get_parameterized_sql())
        assert "idx_site_path (path>? AND path<?)" in plan, plan


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text.replace("'", "''") + "'"


async def _generic_plan(sql: str, params: list) -> str:
    """The plan PostgreSQL keeps for a prepared statement once it goes generic (asyncpg prepares
    every statement; after five runs the planner may plan without the parameters' values):
    forced here, then EXPLAIN of its EXECUTE. SQLite plans each statement with its values."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return await _plan(sql, params)
    async with conn.acquire_connection() as raw:
        await raw.execute("SET plan_cache_mode = force_generic_plan")
        try:
            await raw.execute(f"PREPARE generic_subtree AS {sql}")
            args = f"({', '.join(_literal(p) for p in params)})" if params else ""
            rows = await raw.fetch(f"EXPLAIN EXECUTE generic_subtree{args}")
            await raw.execute("DEALLOCATE generic_subtree")
        finally:
            await raw.execute("RESET plan_cache_mode")
    return "\n".join(r[0] for r in rows)


async def test_subtree_filters_read_the_path_index_in_a_generic_plan(db):
    """A subtree is a range of the path index whose bounds are parameters: a prepared statement
    planned without their values still reads the index (``LIKE $1`` did not: the prefix is
    unknown at plan time, and the read became a sequential scan of the table)."""
    from api.domain import stats

    net = await build()
    await _province_like(net)
    dialect = connections.get("default").capabilities.dialect
    sites = Site.filter(subtree(net.centre.path))
    sites._make_query()
    county = OccurrenceFilter(within_path=net.centre.path, start=at(2026, 3, 1), end=at(2026, 3, 8)).queryset()
    county._make_query()
    scope = stats.Scope(within_path=net.centre.path, first_day=at(2026, 1, 1).date(), last_day=at(2026, 3, 1).date(),
                        now=at(2026, 3, 1, 12))
    queries = {"sites": sites.query.get_parameterized_sql(), "county": county.query.get_parameterized_sql(),
               "kept": stats.kept_sql(dialect, scope, scope.last_day)}
    for name, (sql, params) in queries.items():
        plan = await _generic_plan(sql, params)
        assert not re.search(r"(Seq Scan on|SCAN) site\b", plan), f"{name}:\n{plan}"
        if dialect == "postgres":
            assert "idx_site_path" in plan, f"{name}:\n{plan}"
            assert re.search(r"Index Cond: .*path\S* >= \$\d+\) AND .*path\S* < \$\d+\)", plan), f"{name}:\n{plan}"
        else:
            assert re.search(r"idx_site_path \(path>\? AND path<\?\)", plan), f"{name}:\n{plan}"


async def test_watermark_reads_each_updated_at_from_its_index(db):
    """Every feed and kiosk request reads the watermark: MAX(updated_at) must not scan."""
    for table, aggs in WATERMARK_TABLES.items():
        if "MAX(updated_at)" not in aggs:
            continue
        plan = await _plan(f"SELECT MAX(updated_at) FROM {table}", [])
        assert "SCAN" not in plan and "Seq Scan" not in plan, f"{table}:\n{plan}"


# Calendar tables: one row per date or year of China's calendar, whatever the network's size.
FIXED_SIZE = {"holiday_day", "holiday_year"}


async def test_watermark_counts_no_table_that_grows_with_the_network(db):
    """Hard deletes of link rows are read from the deletion marks' index, one step each: the
    COUNT(*) of membership and event_lecturer read every row (~30 ms of a warm feed's ~35 ms
    on PostgreSQL at 20,505 sites, growing with the network)."""
    counted = {table for table, aggs in WATERMARK_TABLES.items() if any(a.startswith(("COUNT", "SUM")) for a in aggs)}
    assert counted <= FIXED_SIZE, counted - FIXED_SIZE
    marked = [table for table, aggs in WATERMARK_TABLES.items() if DELETES in aggs]
    assert {"membership", "event_lecturer", "event_override"} <= set(marked)
    for table in marked:
        plan = await _plan("SELECT " + _watermark_part(table, DELETES), [])
        assert "deletion_mark_table_id_idx" in plan, f"{table}:\n{plan}"


async def test_stats_read_the_periods_days_of_each_site(db):
    """The kept figures of a county's year are read per site over the period's days (the
    (site_id, day) index, both ends of the day on it), not every day of its history."""
    from api.domain import day_stats, stats

    net = await build()
    await _province_like(net, per_station=400)  # 3 years and more of every station's days
    await day_stats.rebuild()
    await analyze()
    dialect = connections.get("default").capabilities.dialect
    scope = stats.Scope(within_path=net.centre.path, first_day=at(2026, 1, 1).date(), last_day=at(2026, 3, 1).date(),
                        now=at(2026, 3, 1, 12))
    plan = await _plan(*stats.kept_sql(dialect, scope, scope.last_day))
    assert "idx_site_day_stats_site_day" in plan, plan
    assert "idx_site_day_stats_path_day" not in plan and "Seq Scan on site_day_stats" not in plan, plan
    if dialect == "postgres":
        assert re.search(r"Index Cond: .*site_id = .*day >= .*day <= ", plan), plan
    else:
        assert "site_id=? AND day>? AND day<?" in plan, plan


async def test_the_horizon_job_reads_only_the_open_series(db):
    """Its scan reads the partial index of open series (migration 0025): finished series,
    single events and deleted ones are not in it, however many years of them there are."""
    from api.domain import occurrences

    net = await build()
    await _province_like(net)
    dialect = connections.get("default").capabilities.dialect
    plan = await _plan(*occurrences.behind_sql(dialect, 0, occurrences.HORIZON_BATCH, occurrences.horizon_end()))
    assert "idx_event_open_series" in plan, plan
