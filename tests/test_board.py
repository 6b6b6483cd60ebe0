"""The kiosk board: now, next, the rest of today and the week ahead, in Asia/Shanghai,
around midnight and across a series' exceptions, on SQLite and PostgreSQL."""

from __future__ import annotations

from api.domain import board as rules
from api.domain import clock
from api.domain.events import create_event
from api.domain.sites import create_site
from api.models.events import EventKind, EventStatus
from api.models.sites import SiteKind
from tests.conftest import count_sql
from tests.network import at, build, gid

PUBLISHED = {"status": EventStatus.PUBLISHED}


def titles(rows) -> list[str]:
    return [r.title for r in rows]


async def midnight_site(net):
    """At station2: an evening show crossing midnight, a late talk, all-day days, a morning class."""
    site = net.station2
    common = dict(platform_id=net.culture.id, site_id=site.id, **PUBLISHED)
    await create_event(kind=EventKind.ACTIVITY, title="跨夜电影", starts_at=at(2026, 3, 9, 23, 30),
                       ends_at=at(2026, 3, 10, 0, 30), **common)
    await create_event(kind=EventKind.ACTIVITY, title="深夜读书", starts_at=at(2026, 3, 9, 23, 55),
                       ends_at=at(2026, 3, 9, 23, 59), **common)
    await create_event(kind=EventKind.ACTIVITY, title="九日义诊", starts_at=at(2026, 3, 9), ends_at=at(2026, 3, 10),
                       all_day=True, **common)
    await create_event(kind=EventKind.ACTIVITY, title="十日集市", starts_at=at(2026, 3, 10), ends_at=at(2026, 3, 11),
                       all_day=True, **common)
    await create_event(kind=EventKind.ACTIVITY, title="晨练", starts_at=at(2026, 3, 10, 9), ends_at=at(2026, 3, 10, 10),
                       **common)
    await create_event(kind=EventKind.ACTIVITY, title="两日展览", starts_at=at(2026, 3, 12), ends_at=at(2026, 3, 14),
                       all_day=True, **common)
    return site


async def test_ten_to_midnight(db):
    net = await build()
    site = await midnight_site(net)
    b = await rules.board(now=at(2026, 3, 9, 23, 50), site_id=site.id)

    assert b.today.isoformat() == "2026-03-09"
    assert titles(b.now) == ["九日义诊", "跨夜电影"]  # the all-day day and the show that runs past midnight
    assert titles(b.next) == ["深夜读书"]
    assert titles(b.rest_of_today) == ["深夜读书"]
    days = {d.day.isoformat(): titles(d.occurrences) for d in b.week_ahead}
    assert list(days) == [f"2026-03-{d:02d}" for d in range(10, 17)]
    assert days["2026-03-10"] == ["十日集市", "晨练"]  # the show is listed on the day it starts, not here
    assert days["2026-03-12"] == days["2026-03-13"] == ["两日展览"]  # an all-day event on every day it covers
    assert days["2026-03-14"] == []
    assert b.changes_at == at(2026, 3, 9, 23, 55)


async def test_ten_past_midnight(db):
    net = await build()
    site = await midnight_site(net)
    b = await rules.board(now=at(2026, 3, 10, 0, 10), site_id=site.id)

    assert b.today.isoformat() == "2026-03-10"
    assert titles(b.now) == ["跨夜电影", "十日集市"]  # yesterday's show is still on; yesterday's all-day is over
    assert titles(b.next) == ["晨练"]  # an all-day event is never "next"
    assert titles(b.rest_of_today) == ["晨练"]
    assert b.week_ahead[0].day.isoformat() == "2026-03-11" and b.week_ahead[-1].day.isoformat() == "2026-03-17"
    assert b.changes_at == at(2026, 3, 10, 0, 30)  # when the show ends


async def test_a_running_multi_day_event_is_listed_on_the_days_ahead_too(db):
    net = await build()
    site = await midnight_site(net)
    b = await rules.board(now=at(2026, 3, 12, 15), site_id=site.id)
    assert titles(b.now) == ["两日展览"]
    assert titles(b.week_ahead[0].occurrences) == ["两日展览"]  # 13 March
    assert b.changes_at == at(2026, 3, 13)  # midnight


async def test_series_exceptions(db):
    """The weekly lecture at the station: 7 March as planned, 14 March removed (EXDATE),
    21 March cancelled, 28 March moved to Sunday 29 March 14:30."""
    net = await build()
    station = net.station.id

    before_exdate = await rules.board(now=at(2026, 3, 13, 12), site_id=station)
    assert before_exdate.week_ahead[0].day.isoformat() == "2026-03-14"
    assert before_exdate.week_ahead[0].occurrences == []  # EXDATE: gone, not cancelled
    assert before_exdate.next == []  # 21 March is cancelled, and 29 March is past the week ahead

    await create_event(kind=EventKind.ACTIVITY, title="下午理发", platform_id=net.culture.id, site_id=station,
                       starts_at=at(2026, 3, 21, 15), ends_at=at(2026, 3, 21, 16), **PUBLISHED)
    saturday = await rules.board(now=at(2026, 3, 21, 9), site_id=station)
    cancelled = saturday.rest_of_today[0]
    assert rules.is_cancelled(cancelled) and cancelled.title == net.weekly.title  # still shown, marked
    assert titles(saturday.next) == [net.weekly.title, "下午理发"]  # the cancelled one, then the next that happens
    assert saturday.changes_at == at(2026, 3, 21, 9, 30)

    moved = await rules.board(now=at(2026, 3, 22, 10), site_id=station)
    days = {d.day.isoformat(): d.occurrences for d in moved.week_ahead}
    assert days["2026-03-28"] == []  # moved away from Saturday
    assert [(o.title, clock.local(o.starts_at)) for o in days["2026-03-29"]] == [(net.weekly.title, at(2026, 3, 29, 14, 30))]
    assert [clock.local(o.starts_at) for o in moved.next] == [at(2026, 3, 29, 14, 30)]


async def test_drafts_never_show_and_within_takes_the_subtree(db):
    net = await build()
    draft_day = await rules.board(now=at(2026, 3, 12, 8), site_id=net.station.id)
    assert draft_day.rest_of_today == []  # the draft at 09:00 is not on the board

    alone = await rules.board(now=at(2026, 3, 10, 8), site_id=net.centre.id)
    subtree = await rules.board(now=at(2026, 3, 10, 8), within_path=net.centre.path)
    assert titles(alone.rest_of_today) == []
    assert titles(subtree.rest_of_today) == [net.fair.title]  # at the institute below the centre
    assert net.elsewhere.title not in [o.title for d in subtree.week_ahead for o in d.occurrences]  # another centre


BOARD = """
query Board($site: ID!, $within: Boolean) {
  board(site: $site, within: $within) {
    serverTime today changesAt site { name }
    now { title status }
    next { title startsAt status }
    restOfToday { title startsAt status site { name } venue { name } platform { name } team { name }
                  lecturers { name } }
    weekAhead { date weekday occurrences { title startsAt allDay startDate status site { name } venue { name }
                                            platform { name } team { name } lecturers { name } } }
  }
}"""
# site (the argument), occurrences, then one batch each: site, venue, platform, team, lecturers.
BOARD_STATEMENTS = 7


async def test_board_over_graphql_marks_cancelled_and_costs_fixed_statements(gql, client, db, monkeypatch):
    net = await build()
    monkeypatch.setattr(clock, "now", lambda: at(2026, 3, 21, 9))
    data = await gql(BOARD, site=gid("Site", net.centre.id), within=True)
    board = data["board"]
    assert board["serverTime"] == "2026-03-21T09:00:00+08:00" and board["today"] == "2026-03-21"
    assert board["changesAt"] == "2026-03-21T09:30:00+08:00"
    first = board["restOfToday"][0]
    assert (first["title"], first["status"], first["venue"]["name"]) == (net.weekly.title, "CANCELLED", "道德讲堂")
    assert [d["weekday"] for d in board["weekAhead"]] == [7, 1, 2, 3, 4, 5, 6]

    async def statements(within: bool) -> tuple[int, int]:
        with count_sql() as sql:
            response = await client.post("/graphql", json={"query": BOARD, "variables": {
                "site": gid("Site", net.centre.id), "within": within}})
        body = response.json()
        assert "errors" not in body, body
        listed = len(body["data"]["board"]["restOfToday"]) + sum(len(d["occurrences"]) for d in body["data"]["board"]["weekAhead"])
        return listed, len(sql)

    small = await statements(True)
    for i in range(12):  # twelve more stations, each with a lecture this afternoon and one each day of the week
        station = await create_site(kind=SiteKind.STATION, name=f"新站{i}", parent=net.institute)
        await create_event(kind=EventKind.LECTURE, title=f"新站{i}宣讲", platform_id=net.theory.id, site_id=station.id,
                           lecturer_ids=[net.lecturer.id], starts_at=at(2026, 3, 21, 14), ends_at=at(2026, 3, 21, 15),
                           rrule="FREQ=DAILY;COUNT=8", **PUBLISHED)
    large = await statements(True)
    assert large[0] >= small[0] + 12 * 8
    assert small[1] == large[1] == BOARD_STATEMENTS


async def test_board_errors_name_the_argument(gql, db):
    net = await build()
    errors = await gql.errors(BOARD, site=gid("Site", 999))
    assert "site" in errors[0]["message"] and "does not exist" in errors[0]["message"]
    errors = await gql.errors(BOARD, site=gid("Team", 1))
    assert errors[0]["message"] == "site must be the id of a Site, got the id of a Team"
    assert net  # the network exists: the errors are about the arguments
