"""The horizon job at start-up (issue 18): it rewrites only the series whose occurrences stop
short of today's horizon, so a restart on an up-to-date database writes nothing, and the next
day's run brings every open series one day further."""

from __future__ import annotations

import re
from datetime import datetime

from api.china_calendar.yearly import YearlyRule
from api.domain import clock, occurrences
from api.domain.events import create_event
from api.domain.series import update_series
from api.models.events import Event, EventKind, EventStatus, Occurrence
from tests.conftest import count_sql
from tests.network import build

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b.*\b(occurrence|event)\b", re.IGNORECASE | re.DOTALL)


async def _horizon_run() -> tuple[int, list[str]]:
    with count_sql() as statements:
        count = await occurrences.extend_horizon()
    return count, [s for s in statements if WRITES.match(s)]


async def test_a_restart_on_an_up_to_date_database_writes_nothing(db, monkeypatch):
    net = await build()
    open_series = await Event.create(
        kind=net.weekly.kind, title="每周四志愿服务", platform_id=net.culture.id, site_id=net.station.id,
        starts_at=net.weekly.starts_at, ends_at=net.weekly.ends_at, rrule="FREQ=WEEKLY;BYDAY=TH",
        status=net.weekly.status,
    )  # as a database from before the horizon was kept: nothing says how far it is written
    stamps = dict(await Event.all().values_list("id", "updated_at"))

    first, first_writes = await _horizon_run()
    assert first > 0 and first_writes  # the unknown series is written up to the horizon
    assert await Occurrence.filter(event_id=open_series.id).count() > 50
    rows = await Occurrence.all().order_by("id").values_list("id", flat=True)

    second, second_writes = await _horizon_run()
    assert (second, second_writes) == (0, [])  # every series reaches the horizon: nothing to do
    assert await Occurrence.all().order_by("id").values_list("id", flat=True) == rows
    # Keeping the horizon is no edit: feeds' LAST-MODIFIED and the caches' watermark stay put.
    assert dict(await Event.all().values_list("id", "updated_at")) == stamps

    # An edit writes its series up to the horizon itself; the job still has nothing to do.
    await update_series(net.weekly, net.weekly.version, {"title": "党的二十大精神微宣讲（更新）"}, None, [])
    assert await _horizon_run() == (0, [])

    # The next day the horizon is a day further: the open series are written again.
    tomorrow = clock.now() + clock.days(1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    third, third_writes = await _horizon_run()
    assert third > first - 5 and third_writes
    last = await Occurrence.filter(event_id=open_series.id).order_by("-starts_at").first()
    assert last.starts_at > occurrences.horizon_end() - clock.days(8)


async def test_the_next_days_run_adds_the_new_days_and_keeps_the_rows_it_has(db, monkeypatch):
    """The daily run only adds what the moved horizon brings: a series' rows stay as they are
    (a province rewrote ~290,000 rows a day, finished series too), and what it leaves equals a
    full rewrite of every series."""
    net = await build()  # its weekly series ended in March 2026
    await Event.create(kind=net.weekly.kind, title="每周四志愿服务", platform_id=net.culture.id, site_id=net.station.id,
                       starts_at=net.weekly.starts_at, ends_at=net.weekly.ends_at, rrule="FREQ=WEEKLY;BYDAY=TH",
                       status=net.weekly.status)
    await _horizon_run()
    fields = ("id", "event_id", "recurrence_id", "starts_at", "ends_at", "cancelled", "site_path")
    kept = set(await Occurrence.all().values_list(*fields))

    later = clock.now() + clock.days(8)  # a weekly series gains at least one occurrence
    monkeypatch.setattr(clock, "now", lambda: later)
    added, writes = await _horizon_run()
    assert added > 0 and not [s for s in writes if s.lstrip().upper().startswith("DELETE")], writes
    now = set(await Occurrence.all().values_list(*fields))
    assert kept < now  # every row kept as it was, and new ones

    shown = lambda rows: sorted(r[1:] for r in rows)  # noqa: E731 (without the row ids)
    series = await Event.filter(rrule__isnull=False)
    await occurrences.refresh(series)  # a full rewrite, as an edit makes
    assert shown(await Occurrence.all().values_list(*fields)) == shown(now)


FIELDS = ("event_id", "recurrence_id", "starts_at", "ends_at", "cancelled", "title", "site_path")


async def _series(net, title: str, first_day_from_today: int, rrule: str | None = None, **fields) -> Event:
    start = clock.day_start(clock.local_date(clock.now()) + clock.days(first_day_from_today)).replace(hour=9)
    return await create_event(kind=EventKind.ACTIVITY, title=title, platform_id=net.culture.id, site_id=net.station.id,
                              starts_at=start, ends_at=start.replace(hour=11), rrule=rrule,
                              status=EventStatus.PUBLISHED, **fields)


def _until(days_from_today: int) -> str:
    day = clock.local_date(clock.now()) + clock.days(days_from_today)
    return f"UNTIL={day.strftime('%Y%m%d')}T235959Z"


async def _as_a_full_rewrite_leaves() -> None:
    """What the job left equals what rewriting every series now leaves."""
    def shown(rows):
        return sorted(tuple(clock.local(v) if isinstance(v, datetime) else v for v in r) for r in rows)

    left = shown(await Occurrence.all().values_list(*FIELDS))
    await occurrences.refresh(await Event.all())
    assert shown(await Occurrence.all().values_list(*FIELDS)) == left


def _days_later(monkeypatch, days: int = 1) -> None:
    later = clock.now() + clock.days(days)
    monkeypatch.setattr(clock, "now", lambda: later)


async def test_a_finished_series_is_never_expanded_again(db, monkeypatch):
    """A series whose last instance is written (COUNT or UNTIL) leaves the daily job: the job
    reads, locks and rewrites only the open ones, however many finished ones there are."""
    net = await build()
    finished = [await _series(net, f"已结束的活动{i}", -70 - i, "FREQ=DAILY;COUNT=3") for i in range(30)]
    finished += [await _series(net, f"已结束的周活动{i}", -60 - i, f"FREQ=WEEKLY;{_until(-5)}") for i in range(30)]
    open_series = await _series(net, "每周志愿服务", -3, "FREQ=WEEKLY")
    single = await _series(net, "科普集市", 3)  # a single event: complete once written
    ids = [e.id for e in finished]
    assert await Event.filter(id__in=ids, materialised_complete=True).count() == len(ids)
    assert not (await Event.get(id=open_series.id)).materialised_complete
    assert (await Event.get(id=single.id)).materialised_complete
    marks = dict(await Event.filter(id__in=ids).values_list("id", "materialised_until"))

    _days_later(monkeypatch)
    with count_sql() as statements:
        added = await occurrences.extend_horizon()
    locks = [s for s in statements if re.match(r'SELECT .* FROM "event" WHERE "id" IN', s)]  # lock_events
    assert added > 0 and len(locks) == 1, locks  # one batch: the open series (it was two: 61 series behind)
    assert dict(await Event.filter(id__in=ids).values_list("id", "materialised_until")) == marks  # not rewritten
    assert (await Event.get(id=open_series.id)).materialised_until == occurrences.horizon_end()
    await _as_a_full_rewrite_leaves()


async def test_a_series_finishes_when_the_horizon_passes_its_last_instance(db, monkeypatch):
    net = await build()
    horizon_days = (clock.local_date(occurrences.horizon_end()) - clock.local_date(clock.now())).days
    ending = await _series(net, "两年后结束的周活动", -7, f"FREQ=WEEKLY;{_until(horizon_days + 10)}")
    qingming = YearlyRule(solar_term="清明").dates(clock.local_date(clock.now()), clock.local_date(clock.now()) + clock.days(400))[0]
    yearly = await _series(net, "清明祭英烈", (qingming - clock.local_date(clock.now())).days, solar_term="清明")
    assert not (await Event.get(id=ending.id)).materialised_complete  # its last instances are not written yet

    _days_later(monkeypatch, 15)
    await occurrences.extend_horizon()
    assert (await Event.get(id=ending.id)).materialised_complete
    await _as_a_full_rewrite_leaves()
    assert not (await Event.get(id=yearly.id)).materialised_complete  # a solar term has no last year


async def test_an_edit_that_removes_until_opens_the_series_again(db, monkeypatch):
    net = await build()
    series = await _series(net, "每周四志愿服务", -30, f"FREQ=WEEKLY;{_until(-2)}")
    assert (await Event.get(id=series.id)).materialised_complete
    before = await Occurrence.filter(event_id=series.id).count()

    series = await Event.get(id=series.id)
    await update_series(series, series.version, {"rrule": "FREQ=WEEKLY"}, None, [])
    edited = await Event.get(id=series.id)
    assert not edited.materialised_complete and await Occurrence.filter(event_id=series.id).count() > before + 50

    _days_later(monkeypatch, 8)  # a weekly series gains at least one occurrence
    await occurrences.extend_horizon()
    last = await Occurrence.filter(event_id=series.id).order_by("-starts_at").first()
    assert last.starts_at > occurrences.horizon_end() - clock.days(8)
    await _as_a_full_rewrite_leaves()

    # Made finite again by an edit: finished, and the job leaves it be.
    edited = await Event.get(id=series.id)
    await update_series(edited, edited.version, {"rrule": "FREQ=WEEKLY;COUNT=10"}, None, [])
    assert (await Event.get(id=series.id)).materialised_complete
    assert await Occurrence.filter(event_id=series.id).count() == 10


async def test_a_rule_changed_around_the_rewrite_is_extended_again_after_a_reindex(db, monkeypatch):
    """A series marked finished whose rule changes without a rewrite (an older worker during a
    rolling upgrade, a hand edit in SQL, a restored event table) keeps its mark until
    ``wenming reindex`` clears every mark; the next daily run then extends it again."""
    net = await build()
    series = await _series(net, "每周六读书会", -30, "FREQ=WEEKLY;COUNT=3")
    assert (await Event.get(id=series.id)).materialised_complete
    await Event.filter(id=series.id).update(rrule="FREQ=WEEKLY")  # around the domain

    await occurrences.reopen_series()  # what wenming reindex runs
    _days_later(monkeypatch)
    await occurrences.extend_horizon()
    assert await Occurrence.filter(event_id=series.id).count() > 50
    assert not (await Event.get(id=series.id)).materialised_complete
    await _as_a_full_rewrite_leaves()


async def test_the_audit_records_no_materialising_bookkeeping(client):
    """The CREATE entry shows what the editor wrote, not what the rewrite marked after it."""
    from api.models.audit import AuditEntry
    from tests.auth_support import make_callers, mutate
    from tests.network import gid

    net = await build()
    callers = await make_callers(net)
    created = await mutate(client, callers.editor, """mutation($input: CreateEventInput!) { createEvent(input: $input) {
      event { id } errors { code } } }""", input={
        "kind": "ACTIVITY", "title": "周四健身操", "platformId": gid("Platform", net.culture.id),
        "siteId": gid("Site", net.station2.id), "startsAt": "2026-04-02T19:00:00+08:00",
        "endsAt": "2026-04-02T20:00:00+08:00", "rrule": "FREQ=WEEKLY;BYDAY=TH;COUNT=3", "publish": True})
    assert created["errors"] == []
    entry = await AuditEntry.get(object_type="Event", action="CREATE")
    assert "materialised_complete" not in entry.after and "materialised_until" not in entry.after
    assert entry.after["rrule"] == "FREQ=WEEKLY;BYDAY=TH;COUNT=3"

