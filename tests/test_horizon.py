"""The horizon job at start-up (issue 18): it rewrites only the series whose occurrences stop
short of today's horizon, so a restart on an up-to-date database writes nothing, and the next
day's run brings every open series one day further."""

from __future__ import annotations

import re

from api.domain import clock, occurrences
from api.domain.series import update_series
from api.models.events import Event, Occurrence
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
