"""The bulk loader writes what the normal path writes: the same rows, occurrences and search index."""

from __future__ import annotations

from datetime import date

import pytest
from tortoise import connections

from api.demo import load_demo
from api.demo.network import Shape
from api.domain.sites import create_site
from api.models.events import Campaign, Event, EventLecturer, EventOverride, Occurrence
from api.models.people import Person
from api.models.platforms import Platform
from api.models.search import SearchDoc
from api.models.sites import Site, SiteKind, Venue
from api.models.teams import Membership, Team
from api.search.index import bulk_indexing, follow, reindex
from api.search.query import Scope, search
from api.search.tokens import parse_query

TODAY = date(2026, 11, 22)
# Ids the load gives out itself (sites, teams ...) are compared; the rest are not meaningful.
MODELS = (Site, Venue, Team, Person, Membership, Campaign, Event, EventLecturer, EventOverride, Occurrence, SearchDoc)
UNORDERED = {Membership, EventLecturer, EventOverride, Occurrence, SearchDoc}
SKIP = {"created_at", "updated_at"}
# A province of one city of one small county: every table and every kind of site, the city
# demo's programme for one centre (the city has four) and the stations' own series, at a quarter
# of the city's rows (the city loaded twice, normal and bulk, was the suite's slowest test).
SMALL = dict(province=True, scale=1, centres_per_city=1, shape=Shape(institutes=(2, 3), stations=(3, 5)))


async def _snapshot() -> dict[str, list]:
    out = {}
    for model in MODELS:
        columns = [c for c in model._meta.db_fields if c not in SKIP and not (model in UNORDERED and c == "id")]
        rows = [tuple(repr(r[c]) for c in columns) for r in await model.all().values(*columns)]
        out[model.__name__] = sorted(rows)
    return out


async def _hits(text: str) -> list[tuple]:
    hits, _ = await search(parse_query(text), Scope(), first=50)
    return [(h.kind, h.object_id, h.score) for h in hits]


async def _empty(backend_name: str) -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for m in (*MODELS, Platform)]
    if backend_name == "postgres":
        await conn.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        await conn.execute_script(
            "PRAGMA foreign_keys = OFF;" + "".join(f"DELETE FROM {t};" for t in tables)
            + "DELETE FROM sqlite_sequence; PRAGMA foreign_keys = ON;"
        )


async def _schema() -> list[tuple]:
    """Every index, trigger and (PostgreSQL) constraint of the database, with its definition."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        _, indexes = await conn.execute_query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
        _, triggers = await conn.execute_query(
            "SELECT tgname, pg_get_triggerdef(oid), tgenabled FROM pg_trigger WHERE NOT tgisinternal")
        _, constraints = await conn.execute_query(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
            " WHERE connamespace = current_schema()::regnamespace")
        return sorted(tuple(map(str, r.values())) for r in [*indexes, *triggers, *constraints])
    _, rows = await conn.execute_query("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')")
    return sorted(tuple(r) for r in rows)


async def test_a_bulk_load_writes_the_rows_the_normal_path_writes(db, monkeypatch):
    from api.search import parallel

    schema = await _schema()
    normal_counts = await load_demo(today=TODAY, **SMALL)
    normal = await _snapshot()
    normal_hits = await _hits("学雷锋")
    await _empty(db.name)

    # The city demo is tokenised in worker processes too (a province's way), so they are compared.
    monkeypatch.setattr(parallel, "MIN_TEXTS", 0)
    monkeypatch.setattr(parallel, "MAX_WORKERS", 2)
    stages: list[str] = []
    bulk_counts = await load_demo(today=TODAY, **SMALL, bulk=True, progress=lambda stage, done, total: stages.append(stage))
    bulk = await _snapshot()

    assert "indexes" in stages  # built after the rows (api/db/deferred_indexes.py) ...
    assert await _schema() == schema  # ... as they were, and the triggers set aside are back
    assert bulk_counts == normal_counts
    assert all(normal.values()), [name for name, rows in normal.items() if not rows]  # every table compared holds rows
    assert {kind for kind, in await Site.all().values_list("kind")} == set(SiteKind)
    for model in MODELS:
        assert bulk[model.__name__] == normal[model.__name__], model.__name__
    assert await _hits("学雷锋") == normal_hits and normal_hits
    # Ids given in memory moved the database's own counter past them: the next site is new.
    site = await create_site(kind=SiteKind.CENTER, name="新建中心")
    assert site.id == max(s for s, in await Site.all().values_list("id")) and site.id > bulk_counts["sites"]


async def test_a_province_is_provinces_over_cities_over_counties_with_busy_stations(db):
    from collections import Counter

    from api.domain.sites import ALLOWED_PARENTS

    counts = await load_demo(today=TODAY, province=True, scale=2, centres_per_city=2, shape=Shape((2, 3), (3, 5)), bulk=True)
    sites = {s.id: s for s in await Site.all()}
    kinds = Counter(s.kind for s in sites.values())
    assert kinds[SiteKind.PROVINCE] == 1 and kinds[SiteKind.CITY] == 2 and kinds[SiteKind.CENTER] == 4
    assert counts["sites"] == len(sites)
    for site in sites.values():
        parent = sites.get(site.parent_id)
        assert (parent.kind if parent else None) in ALLOWED_PARENTS[site.kind], site.name
        assert site.path == f"{parent.path if parent else '/'}{site.id}/"
    assert all(sites[c.parent_id].kind == SiteKind.CITY for c in sites.values() if c.kind == SiteKind.CENTER)

    # Every station runs a weekly and a fortnightly activity of its own: about 1.5 a week.
    stations = [s.id for s in sites.values() if s.kind == SiteKind.STATION]
    weeks = 52
    own = await Occurrence.filter(site_id__in=stations, event__rrule__contains="UNTIL").count()
    assert 1.2 <= own / len(stations) / weeks <= 1.6, own / len(stations) / weeks
    # Searchable within a city like anything else.
    city = next(s for s in sites.values() if s.kind == SiteKind.CITY)
    hits, _ = await search(parse_query("理发"), Scope(within_path=city.path), first=5)
    assert hits
    # The first start after the load writes nothing: every series is recorded as written up to the horizon.
    from api.domain.occurrences import extend_horizon
    from tests.conftest import count_sql

    rows = await Occurrence.all().count()
    with count_sql() as statements:
        assert await extend_horizon() == 0
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert await Occurrence.all().count() == rows


async def test_a_failed_bulk_indexing_leaves_the_index_as_it_was_and_kept_in_step(db):
    from tests.network import build

    net = await build()
    await reindex()
    before = sorted(await SearchDoc.all().values_list("kind", "object_id", "title_tokens"))
    found = await _hits("溪阳")
    with pytest.raises(RuntimeError):
        async with bulk_indexing():  # a reindex or bulk load that fails after clearing the index
            await SearchDoc.all().delete()
            raise RuntimeError("the load failed")
    assert sorted(await SearchDoc.all().values_list("kind", "object_id", "title_tokens")) == before
    assert await _hits("溪阳") == found and found
    # The index still follows writes (SQLite: its FTS5 triggers are back).
    site = await create_site(kind=SiteKind.STATION, parent=net.institute, name="新建义剪站")
    await follow(site)  # as every audited write does
    assert [h[:2] for h in await _hits("义剪站")] == [("SITE", site.id)]


async def test_a_row_breaking_a_foreign_key_fails_the_load_and_changes_nothing(db):
    """On PostgreSQL the keys are set aside with the indexes and checked when made again."""
    from tortoise.exceptions import IntegrityError

    from api.db.deferred_indexes import deferred_indexes
    from tests.network import build

    net = await build()
    schema = await _schema()
    before = sorted(await Membership.all().values_list("team_id", "person_id"))
    with pytest.raises(IntegrityError):
        async with deferred_indexes(["membership"]):
            await Membership.create(team_id=(await Team.first()).id, person_id=net.lecturer.id + 1000)
    assert sorted(await Membership.all().values_list("team_id", "person_id")) == before
    assert await _schema() == schema  # the keys and indexes are back as they were


async def test_bulk_occurrences_follow_chinas_calendar_as_a_refresh_does(db):
    """The bulk writer's series that skip holidays, add make-up working days or recur on a lunar
    date get the rows and calendar dates ``occurrences.refresh`` gives them: refreshing changes nothing."""
    from api.china_calendar import holidays
    from api.demo.bulk import BulkWriter
    from api.domain.occurrences import refresh
    from api.models.events import EventKind, EventStatus
    from tests.network import at

    await holidays.sync(range(2025, 2029))
    writer = await BulkWriter.start()
    centre = await writer.site(kind=SiteKind.CENTER, name="鲤城区新时代文明实践中心")
    platform = await Platform.create(code="CULTURE", name="文化服务")
    common = dict(kind=EventKind.ACTIVITY, site_id=centre.id, platform_id=platform.id, status=EventStatus.PUBLISHED, all_day=False)
    await writer.event(dict(common, title="工作日志愿服务", starts_at=at(2026, 9, 21, 9), ends_at=at(2026, 9, 21, 11),
                            rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261016T235959Z",
                            skip_holidays=True, on_makeup_workdays=True), [])
    await writer.event(dict(common, title="元宵猜灯谜", starts_at=at(2026, 3, 3, 19), ends_at=at(2026, 3, 3, 21),
                            lunar_recurrence={"month": 1, "day": 15, "leap": False}), [])
    await writer.finish()
    events = await Event.all().order_by("id")
    stored = {e.id: (e.calendar_exdates, e.calendar_rdates) for e in events}
    assert stored[events[0].id][0] and stored[events[0].id][1]  # National Day's weekdays off, the make-up Saturday on
    assert stored[events[1].id][1]  # the next years' lanterns
    before = await _snapshot()
    refreshed = await refresh(events)
    assert refreshed.changes == [] and refreshed.adjusted == ()
    assert {e.id: (e.calendar_exdates, e.calendar_rdates) for e in await Event.all()} == stored
    assert await _snapshot() == before
