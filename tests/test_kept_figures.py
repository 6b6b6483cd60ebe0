"""Figures kept on write (issue 18) equal a direct computation from the base tables after a
seeded sequence of random edits, on both databases: subtree counts (site_subtree_count) and
the held figures of stats (site_day_stats)."""

from __future__ import annotations

import random
from collections import Counter

from datetime import date, timedelta

from tortoise.transactions import in_transaction

from api.china_calendar import holidays
from api.domain import clock, day_stats, site_counts, stats
from api.domain import series as series_rules
from api.domain.events import create_event
from api.domain.permissions import Actor
from api.domain.series import update_series
from api.domain.sites import create_site, move_site
from api.domain.writes import Write
from api.models.china_calendar import DayKind
from api.models.events import Event, EventKind, EventStatus, Occurrence, SiteDayStats
from api.models.people import Person
from api.models.sites import Site, SiteKind
from api.models.teams import Membership, Team
from api.models.volunteering import Attendance, CheckMethod, HoursEntry, Volunteer
from api.volunteering import checkin
from tests.network import at, build, gid

K = SiteKind
SUBTREE_COUNTS = """
query($ids: [ID!]!) { nodes(ids: $ids) { ... on Site { id subtreeCounts { kind count } } } }"""


async def _direct_counts() -> dict[int, dict[str, int]]:
    """Every site's counts from the site rows themselves: each live site below it, by kind."""
    rows = await Site.all().values("id", "path", "kind", "deleted_at")
    counts: dict[int, Counter] = {r["id"]: Counter() for r in rows}
    for d in rows:
        if d["deleted_at"] is None:
            for a in rows:
                if d["path"] != a["path"] and d["path"].startswith(a["path"]):
                    counts[a["id"]][str(d["kind"])] += 1
    return {i: dict(c) for i, c in counts.items()}


async def _random_network(rng: random.Random, steps: int) -> None:
    """Creates and moves in a random order, each through the domain's writes."""
    by_kind: dict[SiteKind, list[Site]] = {k: [] for k in K}
    by_kind[K.PROVINCE].append(await create_site(kind=K.PROVINCE, name="省文明办"))
    below = {K.CITY: K.PROVINCE, K.CENTER: K.CITY, K.INSTITUTE: K.CENTER, K.STATION: K.INSTITUTE, K.POINT: K.STATION,
             K.BASE: K.CITY}
    for step in range(steps):
        kind = rng.choice(list(below))
        parents = by_kind[below[kind]]
        if not parents:
            continue
        children = by_kind[kind]
        if children and rng.random() < 0.35:  # move a site (and its subtree) under another parent
            site = await Site.get(id=rng.choice(children).id)
            await move_site(site, await Site.get(id=rng.choice(parents).id))
        else:
            parent = await Site.get(id=rng.choice(parents).id)
            by_kind[kind].append(await create_site(kind=kind, name=f"{kind.value}{step}", parent=parent))


async def test_subtree_counts_kept_on_write_equal_the_tree(gql, db):
    await _random_network(random.Random(18), 120)
    direct = await _direct_counts()
    ids = sorted(direct)
    assert await site_counts.below(ids) == [direct[i] for i in ids]
    assert sum(direct[min(ids)].values()) == len(ids) - 1  # the province sees every other site
    # What a client reads: subtreeCounts through GraphQL, every kind with sites below listed.
    nodes = (await gql(SUBTREE_COUNTS, ids=[gid("Site", i) for i in ids]))["nodes"]
    assert [{c["kind"]: c["count"] for c in n["subtreeCounts"] if c["count"]} for n in nodes] == [direct[i] for i in ids]
    # The rebuild (migration, bulk load, wenming reindex) stores the same counts.
    await site_counts.rebuild()
    assert await site_counts.below(ids) == [direct[i] for i in ids]


# -- held figures (site_day_stats) -------------------------------------------------------------

NOW = at(2026, 3, 18, 15)  # mid-month, mid-afternoon: some of today's occurrences are over


async def _direct_held(scope: stats.Scope) -> dict[tuple[str, int, str], tuple]:
    """The held figures by the definitions (api/domain/stats.py), from the base tables in Python."""
    occs = await Occurrence.filter(event_status=EventStatus.PUBLISHED, cancelled=False).values(
        "event_id", "recurrence_id", "starts_at", "ends_at", "all_day", "kind", "platform_id", "team_id", "site_path")
    events = {e["id"]: e for e in await Event.all().values("id", "attendance", "beneficiaries")}
    ledger: dict[tuple[int, float], int] = {}
    for h in await HoursEntry.all().values("event_id", "recurrence_id", "minutes"):
        k = (h["event_id"], h["recurrence_id"].timestamp())
        ledger[k] = ledger.get(k, 0) + h["minutes"]
    members = Counter(m["team_id"] for m in await Membership.filter(deleted_at__isnull=True).values("team_id"))
    sums: dict[tuple[str, int, str], list[float]] = {}
    for o in occs:
        starts, ends = clock.local(o["starts_at"]), clock.local(o["ends_at"])
        if not (scope.start <= starts < scope.end and ends <= scope.now):
            continue
        if scope.within_path and not o["site_path"].startswith(scope.within_path):
            continue
        hours = (ends - starts).total_seconds() * (8 / 24 if o["all_day"] else 1) / 3600
        event = events[o["event_id"]]
        reached = (event["attendance"] if o["kind"] == EventKind.LECTURE else event["beneficiaries"]) or 0
        minutes = ledger.get((o["event_id"], o["recurrence_id"].timestamp()))
        row = sums.setdefault((f"{starts:%Y-%m}", o["platform_id"], str(o["kind"])), [0, 0, 0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += reached
        row[2] += hours
        row[3] += (minutes or 0) / 60
        row[4] += hours * members[o["team_id"]] if minutes is None else 0
    return {k: (v[0], v[1], round(v[2], 2), round(v[3], 2), round(v[4], 2)) for k, v in sums.items()}


async def _kept_held(scope: stats.Scope) -> dict[tuple[str, int, str], tuple]:
    return {(r.month, r.platform_id, str(r.kind)): (r.held, r.reached, r.hours, r.recorded_volunteer_hours,
                                                   r.estimated_volunteer_hours)
            for r in await stats.held_by_month_and_platform(scope)}


async def _random_edits(net, rng: random.Random, steps: int) -> None:
    """Creates, series edits, cancels, moved occurrences, status changes, attendance, check-ins,
    site moves and holiday corrections, each through the domain's own writes."""
    sites = [net.centre, net.institute, net.station, net.station2, net.other_station]
    platforms = [net.theory.id, net.culture.id]
    teams = [t.id for t in await Team.all()] + [None]
    person = await Person.create(name="王志愿")
    volunteer = await Volunteer.create(person=person, token_hash="0" * 64)
    write = Write(Actor(label="test"))
    for step in range(steps):
        action = rng.choice(["create", "create", "series", "edit", "cancel", "move", "status", "attendance",
                             "checkin", "site", "holiday"])
        events = await Event.filter(deleted_at__isnull=True).order_by("id")
        event = rng.choice(events)
        series = [e for e in events if e.rrule]
        if action in ("create", "series"):
            day = at(2026, 3, rng.randint(1, 28), rng.choice([0, 8, 14, 19]))
            all_day = day.hour == 0
            ends = day + (timedelta(days=rng.randint(1, 2)) if all_day else timedelta(hours=rng.randint(1, 3)))
            await create_event(
                kind=rng.choice(list(EventKind)), title=f"活动{step}", platform_id=rng.choice(platforms),
                site_id=rng.choice(sites).id, team_id=rng.choice(teams), starts_at=day, ends_at=ends, all_day=all_day,
                rrule="FREQ=WEEKLY;COUNT=5" if action == "series" else None, skip_holidays=action == "series",
                status=rng.choice([EventStatus.PUBLISHED, EventStatus.PUBLISHED, EventStatus.DRAFT]),
            )
        elif action == "edit" and series:
            e = rng.choice(series)
            shift = timedelta(days=1) if e.all_day else timedelta(hours=rng.choice([-2, 1, 3]))
            await update_series(e, e.version, {"starts_at": e.starts_at + shift, "ends_at": e.ends_at + shift}, None, [])
        elif action in ("cancel", "move", "checkin"):
            occ = rng.choice(await Occurrence.filter(event__deleted_at__isnull=True))
            e = await Event.get(id=occ.event_id)
            if action == "cancel" and e.rrule:
                await series_rules.set_occurrence_cancelled(e, e.version, occ.recurrence_id, not occ.cancelled, [])
            elif action == "move" and e.rrule:
                shift = timedelta(days=1)
                await series_rules.edit_occurrence(e, e.version, occ.recurrence_id,
                                                   {"starts_at": occ.starts_at + shift, "ends_at": occ.ends_at + shift}, [])
            elif action == "checkin" and not await Attendance.exists(volunteer=volunteer, event_id=occ.event_id,
                                                                     recurrence_id=occ.recurrence_id):
                await checkin.check_in(write, volunteer, occ, at=occ.starts_at, method=CheckMethod.STAFF)
                await checkin.check_out(write, volunteer, occ, at=occ.ends_at, method=CheckMethod.STAFF)
        elif action == "status":
            status = EventStatus.CANCELLED if event.status == EventStatus.PUBLISHED else EventStatus.PUBLISHED
            await series_rules.set_status(event, event.version, status, [])
        elif action == "attendance":
            await series_rules.record_attendance(event, event.version, rng.randint(10, 90), rng.randint(10, 300))
        elif action == "site":
            station = await Site.get(id=rng.choice([net.station2.id, net.other_station.id]))
            parents = await Site.filter(kind=SiteKind.INSTITUTE).exclude(id=station.parent_id)
            await move_site(station, rng.choice(parents))
        elif action == "holiday":
            async with in_transaction():
                kind = rng.choice([DayKind.HOLIDAY, DayKind.ORDINARY])
                await holidays.correct_day(date(2026, 3, rng.randint(1, 31)), kind,
                                           "测试假日" if kind == DayKind.HOLIDAY else None, None)


async def test_held_figures_kept_on_write_equal_the_occurrences(db):
    net = await build()
    await _random_edits(net, random.Random(2026), 60)
    scopes = [None, net.centre.path, (await Site.get(id=net.institute.id)).path, (await Site.get(id=net.other_station.id)).path]
    for now in (NOW, at(2026, 3, 19), at(2026, 5, 1)):  # today partly over, midnight, all over
        for within in scopes:
            scope = stats.Scope(within_path=within, first_day=date(2026, 2, 1), last_day=date(2026, 4, 30), now=now)
            assert await _kept_held(scope) == await _direct_held(scope), (now, within)
    # The edits left plenty to count: held, reached, recorded and estimated hours.
    everything = stats.Scope(within_path=None, first_day=date(2026, 2, 1), last_day=date(2026, 4, 30), now=at(2026, 5, 1))
    totals = [sum(v[i] for v in (await _direct_held(everything)).values()) for i in range(5)]
    assert totals[0] > 20 and all(totals), totals
    # The rebuild (migration, bulk load, wenming reindex) keeps the same rows.
    before = await SiteDayStats.all().order_by("site_id", "day", "end_day", "platform_id", "kind", "team_id").values()
    await day_stats.rebuild()
    after = await SiteDayStats.all().order_by("site_id", "day", "end_day", "platform_id", "kind", "team_id").values()
    assert [{k: v for k, v in r.items() if k != "id"} for r in after] == [{k: v for k, v in r.items() if k != "id"} for r in before]
