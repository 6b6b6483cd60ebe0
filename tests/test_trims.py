"""The daily trims (api/app.py's DAILY_TRIMS) delete what grows with every write and guards
nothing any more: deletion marks the watermark no longer reads, uses of check-in codes that
can no longer be read. Both databases."""

from __future__ import annotations

from datetime import timedelta

from tortoise import connections

from api.app import run_daily_trims
from api.domain.clock import now
from api.domain.freshness import (
    DELETE_MARKED,
    DELETES,
    WATERMARK_TABLES,
    ChangeTracker,
    Dependencies,
    trim_deletion_marks,
    watermark,
)
from api.models.events import EventLecturer
from api.models.freshness import DeletionMark
from api.models.people import Person
from api.models.volunteering import CodeUse, Volunteer
from api.volunteering import checkin
from tests.network import build


# Where the watermark holds each table's newest deletion mark.
DELETE_PARTS = [i for i, agg in enumerate(a for aggs in WATERMARK_TABLES.values() for a in aggs) if agg == DELETES]


def _deletes(mark: tuple) -> list[int]:
    """The watermark's deletion parts (each table's newest mark id), as numbers."""
    return [0 if mark[i] == "None" else int(mark[i]) for i in DELETE_PARTS]


async def _delete_first(table: str) -> None:
    conn = connections.get("default")
    await conn.execute_query(f"DELETE FROM {table} WHERE id = (SELECT MIN(id) FROM {table})")


async def test_trimmed_marks_leave_the_watermark_and_a_later_delete_still_moves_it(db):
    n = await build()
    await DeletionMark.all().delete()  # the fixture's TRUNCATE marks: start from none
    people = [await Person.create(name=f"讲师{i}") for i in range(5)]
    await EventLecturer.bulk_create([EventLecturer(event_id=n.fair.id, person_id=p.id, position=10 + i)
                                     for i, p in enumerate(people)])
    for table in DELETE_MARKED:  # a delete from each table, three more links deleted one at a time
        await _delete_first(table)
    for _ in range(3):
        await _delete_first("event_lecturer")
    tracker = ChangeTracker()
    await tracker.sync()
    since, before = tracker.generation, await watermark()
    marks = await DeletionMark.all().count()
    assert marks == len(DELETE_MARKED) + 3

    # One mark per table is left, the newest: the watermark reads the same, and no change is seen.
    assert await trim_deletion_marks() == 3
    assert sorted(await DeletionMark.all().values_list("table_name", flat=True)) == sorted(DELETE_MARKED)
    assert await watermark() == before
    await tracker.sync()
    assert tracker.generation == since
    assert await trim_deletion_marks() == 0  # nothing more to trim

    # A delete after the trim moves the watermark, forwards (a mark above every earlier one),
    # and the tracker reports a change to an answer that depends on anything.
    await _delete_first("event_lecturer")
    after = _deletes(await watermark())
    assert after != _deletes(before) and all(a >= b for a, b in zip(after, _deletes(before)))
    assert max(after) > max(_deletes(before))
    await tracker.sync()
    assert not tracker.unchanged(Dependencies.unknown(), since)


async def test_uses_of_codes_that_can_no_longer_be_read_are_trimmed(db):
    person = await Person.create(name="王志愿")
    volunteer = await Volunteer.create(person=person, token_hash="0" * 64)
    moment = now()
    old = await CodeUse.create(volunteer=volunteer, nonce="a" * 16, used_at=moment - checkin.CODE_USE_KEPT - timedelta(minutes=1))
    recent = await CodeUse.create(volunteer=volunteer, nonce="b" * 16, used_at=moment - timedelta(minutes=checkin.CODE_MINUTES))
    # What is kept is longer than any code stays good: a trimmed use could not be replayed.
    assert checkin.CODE_USE_KEPT > timedelta(minutes=checkin.CODE_MINUTES)

    done = await run_daily_trims()
    assert done["uses of check-in codes that can no longer be read"] == 1
    assert await CodeUse.filter(id=old.id).count() == 0 and await CodeUse.filter(id=recent.id).count() == 1
    # Every daily trim ran (none raised).
    assert len(done) == 3


async def test_a_scanned_code_stays_refused_after_the_trim(db):
    """The use just made is kept by the trim: scanning the same code again is still refused."""
    person = await Person.create(name="李志愿")
    volunteer = await Volunteer.create(person=person, token_hash="1" * 64)
    await checkin._use(volunteer, "c" * 16)
    assert await checkin.forget_spent_codes() == 0
    try:
        await checkin._use(volunteer, "c" * 16)
    except Exception as error:  # DomainError
        assert getattr(error, "code", None) == "CODE_ALREADY_USED"
    else:
        raise AssertionError("a replayed code was accepted after the trim")
