"""Recurring series: rules are validated, expanded in Shanghai wall time, exceptions applied."""

from datetime import datetime

import pytest

from api.domain.errors import DomainError
from api.domain.events import change_occurrence, create_event
from api.domain.recurrence import Change, expand, parse_rule
from api.models.events import Event, EventKind, Occurrence
from tests.network import at, build


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SOMETIMES", "is not a valid RFC 5545 rule"),
        ("FREQ=WEEKLY;BYDAY=XX", "is not a valid RFC 5545 rule"),
        ("FREQ=MINUTELY", "frequency must be one of DAILY, WEEKLY, MONTHLY, YEARLY"),
        ("", "must be one RRULE line"),
        ("FREQ=DAILY\nFREQ=WEEKLY", "must be one RRULE line"),
    ],
)
def test_bad_rules_are_named(rule, message):
    with pytest.raises(DomainError, match=message) as err:
        parse_rule(rule, at(2026, 3, 7, 9, 30), all_day=False)
    assert err.value.field == "rrule"


def test_weekly_series_keeps_local_wall_time_and_applies_exceptions():
    start = at(2026, 3, 7, 9, 30)
    instances = expand(
        starts_at=start, ends_at=at(2026, 3, 7, 11), all_day=False, rule_text="RRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=4",
        exdates=["2026-03-14T09:30:00+08:00"],
        changes={at(2026, 3, 21, 9, 30): Change(cancelled=True), at(2026, 3, 28, 9, 30): Change(starts_at=at(2026, 3, 29, 14))},
        until=at(2027, 1, 1),
    )
    assert [(i.starts_at.isoformat(), i.ends_at.isoformat(), i.cancelled) for i in instances] == [
        ("2026-03-07T09:30:00+08:00", "2026-03-07T11:00:00+08:00", False),
        ("2026-03-21T09:30:00+08:00", "2026-03-21T11:00:00+08:00", True),
        ("2026-03-29T14:00:00+08:00", "2026-03-29T15:30:00+08:00", False),
    ]
    assert instances[2].recurrence_id == at(2026, 3, 28, 9, 30)


def test_open_ended_series_stop_at_the_horizon():
    instances = expand(starts_at=at(2026, 1, 1, 9), ends_at=at(2026, 1, 1, 10), all_day=False,
                       rule_text="FREQ=MONTHLY;BYMONTHDAY=15", until=at(2026, 6, 30))
    assert [i.starts_at.date().isoformat() for i in instances] == [f"2026-0{m}-15" for m in range(1, 7)]


def test_a_runaway_rule_is_refused():
    with pytest.raises(DomainError, match="more than 2000 occurrences") as err:
        expand(starts_at=at(2026, 1, 1, 9), ends_at=at(2026, 1, 1, 10), all_day=False,
               rule_text="FREQ=DAILY", until=at(2036, 1, 1))
    assert err.value.code == "TOO_MANY_OCCURRENCES"


def test_all_day_yearly_series_with_date_until():
    instances = expand(starts_at=at(2026, 3, 5), ends_at=at(2026, 3, 6), all_day=True,
                       rule_text="FREQ=YEARLY;UNTIL=20280305", exdates=["2027-03-05"], until=at(2030, 1, 1))
    assert [(i.starts_at.isoformat(), i.ends_at.isoformat()) for i in instances] == [
        ("2026-03-05T00:00:00+08:00", "2026-03-06T00:00:00+08:00"),
        ("2028-03-05T00:00:00+08:00", "2028-03-06T00:00:00+08:00"),
    ]


async def test_bad_event_input_is_refused_and_nothing_is_written(db):
    net = await build()
    before = await Occurrence.all().count()
    base = dict(kind=EventKind.ACTIVITY, title="测试", platform_id=net.culture.id, site_id=net.station.id)
    cases = [
        (dict(starts_at=at(2026, 4, 1, 10), ends_at=at(2026, 4, 1, 9)), "endsAt", "END_BEFORE_START"),
        (dict(starts_at=at(2026, 4, 1, 10), ends_at=at(2026, 4, 1, 11), rrule="FREQ=NEVER"), "rrule", "BAD_RRULE"),
        (dict(starts_at=datetime(2026, 4, 1, 10), ends_at=datetime(2026, 4, 1, 11)), "startsAt", "NO_OFFSET"),
        (dict(starts_at=at(2026, 4, 1, 10), ends_at=at(2026, 4, 2), all_day=True), "startsAt", "NOT_A_DATE"),
        (dict(starts_at=at(2026, 4, 1, 10), ends_at=at(2026, 4, 1, 11), exdates=["soon"]), "exdates.0", "BAD_EXDATE"),
        (dict(starts_at=at(2026, 4, 1, 10), ends_at=at(2026, 4, 1, 11), lecturer_ids=[net.lecturer.id]), "lecturerIds", "NOT_A_LECTURE"),
        (dict(starts_at=at(2026, 4, 1, 10), ends_at=at(2026, 4, 1, 11), title="长" * 121), "title", "TOO_LONG"),
    ]
    for extra, field, code in cases:
        with pytest.raises(DomainError) as err:
            await create_event(**(base | extra))
        assert (err.value.field, err.value.code) == (field, code), extra
    assert await Occurrence.all().count() == before


async def test_changing_an_occurrence_that_does_not_exist_is_refused(db):
    net = await build()
    with pytest.raises(DomainError, match="is not an occurrence of event") as err:
        await change_occurrence(net.weekly, at(2026, 3, 8, 9, 30), cancelled=True)
    assert err.value.code == "NOT_AN_OCCURRENCE"


async def test_the_occurrences_table_follows_the_series(db):
    net = await build()
    rows = await Occurrence.filter(event_id=net.weekly.id).order_by("starts_at")
    assert [(r.starts_at.astimezone(at(2026, 1, 1).tzinfo).isoformat(), r.cancelled) for r in rows] == [
        ("2026-03-07T09:30:00+08:00", False),
        ("2026-03-21T09:30:00+08:00", True),
        ("2026-03-29T14:30:00+08:00", False),
    ]
    await change_occurrence(net.weekly, at(2026, 3, 21, 9, 30), cancelled=False)
    assert not await Occurrence.filter(event_id=net.weekly.id, cancelled=True).exists()


@pytest.mark.parametrize(
    ("start", "end", "all_day", "rule", "named"),
    [
        # A Tuesday start for a Mondays-only rule: the first Monday after it is named.
        (at(2026, 3, 3, 9, 30), at(2026, 3, 3, 11), False, "FREQ=WEEKLY;BYDAY=MO",
         "2026-03-09T09:30:00+08:00 (a Monday)"),
        # The wrong hour for BYHOUR: the same day at the rule's hour.
        (at(2026, 3, 3, 9), at(2026, 3, 3, 10), False, "FREQ=DAILY;BYHOUR=14;COUNT=5", "2026-03-03T14:00:00+08:00"),
        # An all-day monthly rule on the 5th started on the 6th: the next 5th, as a date.
        (at(2026, 3, 6), at(2026, 3, 7), True, "RRULE:FREQ=MONTHLY;BYMONTHDAY=5;COUNT=12", "2026-04-05 (a Sunday)"),
        # A rule that ends before it starts gives nothing at all.
        (at(2026, 3, 3, 9), at(2026, 3, 3, 10), False, "FREQ=WEEKLY;UNTIL=20260201T000000Z", "gives no occurrence"),
    ],
)
async def test_a_series_must_start_on_its_rules_first_occurrence(db, start, end, all_day, rule, named):
    """RFC 5545 counts DTSTART as an occurrence even when the rule does not give it; the
    occurrences table would not. Such a series is refused, naming the date to start on."""
    net = await build()
    events, occurrences = await Event.all().count(), await Occurrence.all().count()
    with pytest.raises(DomainError) as err:
        await create_event(kind=EventKind.ACTIVITY, title="错开的系列", platform_id=net.culture.id,
                           site_id=net.station.id, starts_at=start, ends_at=end, all_day=all_day, rrule=rule)
    assert (err.value.field, err.value.code) == ("rrule", "START_NOT_IN_RULE")
    assert named in err.value.message
    assert (await Event.all().count(), await Occurrence.all().count()) == (events, occurrences)


async def test_starting_on_the_named_date_is_accepted(db):
    net = await build()
    monday = at(2026, 3, 9, 9, 30)
    event = await create_event(kind=EventKind.ACTIVITY, title="周一系列", platform_id=net.culture.id,
                               site_id=net.station.id, starts_at=monday, ends_at=monday.replace(hour=11),
                               rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    rows = await Occurrence.filter(event_id=event.id).order_by("starts_at")
    assert [r.starts_at.astimezone(monday.tzinfo) for r in rows] == [at(2026, 3, d, 9, 30) for d in (9, 16, 23)]
