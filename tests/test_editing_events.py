"""Editing events over GraphQL: series scopes, single occurrences, publishing, attendance.
Every edit is checked where a user sees it: the `occurrences` query."""

from __future__ import annotations

from api.models.audit import AuditEntry
from api.models.events import Event
from tests.auth_support import make_callers, mutate
from tests.network import at, build, gid

MARCH = """query($within: ID) { occurrences(from: "2026-03-01T00:00:00+08:00", to: "2026-05-01T00:00:00+08:00",
  within: $within, first: 100) { edges { node { id title startsAt status event { id } } } } }"""
CREATE = """mutation($input: CreateEventInput!) { createEvent(input: $input) {
  event { id title status rrule version } errors { field message code } } }"""
UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) {
  event { id title rrule version } errors { field message code } } }"""
CANCEL_ONE = """mutation($input: CancelOccurrenceInput!) { cancelOccurrence(input: $input) { event { version } errors { code } } }"""
MOVE_ONE = """mutation($input: MoveOccurrenceInput!) { moveOccurrence(input: $input) { event { version } errors { field code } } }"""
UNPUBLISH = """mutation($input: EventVersionInput!) { unpublishEvent(input: $input) { event { status version } errors { code } } }"""
PUBLISH = """mutation($input: EventVersionInput!) { publishEvent(input: $input) { event { status version } errors { code } } }"""
ATTENDANCE = """mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) {
  event { attendance beneficiaries } errors { field code message } } }"""


async def _station_occurrences(gql, net) -> list[dict]:
    data = await gql(MARCH, within=gid("Site", net.station.id))
    return [e["node"] for e in data["occurrences"]["edges"]]


async def _weekly(gql, net) -> list[tuple[str, str, str]]:
    return [(o["title"], o["startsAt"], o["status"]) for o in await _station_occurrences(gql, net)
            if o["event"]["id"] in {gid("Event", e.id) for e in await Event.filter(title__contains="微宣讲")}]


async def test_a_new_weekly_series_is_published_into_the_calendar(client, gql):
    net = await build()
    callers = await make_callers(net)
    created = await mutate(client, callers.editor, CREATE, input={
        "kind": "ACTIVITY", "title": "周四健身操", "platformId": gid("Platform", net.culture.id),
        "siteId": gid("Site", net.station2.id), "startsAt": "2026-04-02T19:00:00+08:00",
        "endsAt": "2026-04-02T20:00:00+08:00", "rrule": "FREQ=WEEKLY;BYDAY=TH;COUNT=3", "publish": True})
    assert created["errors"] == [] and created["event"]["status"] == "PUBLISHED"
    data = await gql(MARCH, within=gid("Site", net.station2.id))
    starts = [e["node"]["startsAt"] for e in data["occurrences"]["edges"]]
    assert starts == ["2026-04-02T19:00:00+08:00", "2026-04-09T19:00:00+08:00", "2026-04-16T19:00:00+08:00"]


async def test_bad_events_name_the_field_and_create_nothing(client):
    net = await build()
    callers = await make_callers(net)
    base = {"kind": "LECTURE", "title": "宣讲", "platformId": gid("Platform", net.theory.id),
            "siteId": gid("Site", net.station.id), "startsAt": "2026-04-02T19:00:00+08:00", "endsAt": "2026-04-02T20:00:00+08:00"}
    cases = [
        ({"endsAt": "2026-04-02T18:00:00+08:00"}, "END_BEFORE_START", ["input", "endsAt"]),
        ({"rrule": "FREQ=SOMETIMES"}, "BAD_RRULE", ["input", "rrule"]),
        ({"rrule": "FREQ=WEEKLY;BYDAY=MO"}, "START_NOT_IN_RULE", ["input", "rrule"]),
        ({"title": "讲" * 121}, "TOO_LONG", ["input", "title"]),
        ({"siteId": gid("Site", 99999)}, "NOT_FOUND", ["input", "siteId"]),
        ({"siteId": gid("Site", net.other_station.id)}, "OUT_OF_SCOPE", ["input", "siteId"]),
        ({"platformId": gid("Site", net.station.id)}, "WRONG_ID_TYPE", ["input", "platformId"]),
    ]
    count = await Event.all().count()
    for change, code, field in cases:
        payload = await mutate(client, callers.editor, CREATE, input=base | change)
        assert payload["event"] is None and [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], change
    assert await Event.all().count() == count


async def test_this_occurrence_only(client, gql):
    net = await build()
    callers = await make_callers(net)
    occurrence_id = gid("Occurrence", f"{net.weekly.id}@{int(net.weekly.starts_at.timestamp())}")
    moved = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version, "scope": "THIS",
        "occurrenceId": occurrence_id, "title": "特别场", "startsAt": "2026-03-07T15:00:00+08:00",
        "endsAt": "2026-03-07T16:30:00+08:00"})
    assert moved["errors"] == []
    assert await _weekly(gql, net) == [
        ("特别场", "2026-03-07T15:00:00+08:00", "SCHEDULED"),
        ("党的二十大精神微宣讲", "2026-03-21T09:30:00+08:00", "CANCELLED"),
        ("党的二十大精神微宣讲", "2026-03-29T14:30:00+08:00", "SCHEDULED"),
    ]
    # A field a single occurrence cannot hold is refused, naming the scope.
    refused = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": moved["event"]["version"], "scope": "THIS",
        "occurrenceId": occurrence_id, "capacity": 10})
    assert refused["errors"][0]["code"] == "NOT_PER_OCCURRENCE"


async def test_this_and_following_splits_the_series(client, gql):
    net = await build()
    callers = await make_callers(net)
    third = gid("Occurrence", f"{net.weekly.id}@{int(at(2026, 3, 21, 9, 30).timestamp())}")
    split = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version, "scope": "THIS_AND_FOLLOWING",
        "occurrenceId": third, "title": "新时代文明微宣讲"})
    assert split["errors"] == [] and split["event"]["id"] != gid("Event", net.weekly.id)
    assert split["event"]["rrule"] == "FREQ=WEEKLY;BYDAY=SA;COUNT=2"
    assert (await Event.get(id=net.weekly.id)).rrule == "FREQ=WEEKLY;BYDAY=SA;COUNT=2"
    titles = [(o["title"], o["startsAt"]) for o in await _station_occurrences(gql, net) if "宣讲" in o["title"]]
    # The exdate (03-14) stays out; the cancelled and moved occurrences of the tail are reset.
    assert titles == [
        ("党的二十大精神微宣讲", "2026-03-07T09:30:00+08:00"),
        ("新时代文明微宣讲", "2026-03-21T09:30:00+08:00"),
        ("新时代文明微宣讲", "2026-03-28T09:30:00+08:00"),
    ]
    assert [e.action for e in await AuditEntry.all().order_by("id")] == ["SPLIT", "CREATE"]


async def test_whole_series_edit_keeps_single_occurrence_changes(client, gql):
    net = await build()
    callers = await make_callers(net)
    edited = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version, "title": "理论微宣讲"})
    assert edited["errors"] == []
    assert await _weekly(gql, net) == [
        ("理论微宣讲", "2026-03-07T09:30:00+08:00", "SCHEDULED"),
        ("理论微宣讲", "2026-03-21T09:30:00+08:00", "CANCELLED"),
        ("理论微宣讲", "2026-03-29T14:30:00+08:00", "SCHEDULED"),
    ]
    stale = await mutate(client, callers.editor, UPDATE, input={
        "id": gid("Event", net.weekly.id), "version": net.weekly.version, "title": "旧版本"})
    assert stale["errors"][0]["code"] == "CONFLICT"


async def test_cancel_move_unpublish_publish(client, gql):
    net = await build()
    callers = await make_callers(net)
    first = gid("Occurrence", f"{net.weekly.id}@{int(net.weekly.starts_at.timestamp())}")
    version = net.weekly.version
    cancelled = await mutate(client, callers.editor, CANCEL_ONE, input={"occurrenceId": first, "version": version})
    assert cancelled["errors"] == []
    assert (await _weekly(gql, net))[0][2] == "CANCELLED"
    version = cancelled["event"]["version"]
    restored = await mutate(client, callers.editor, CANCEL_ONE, input={"occurrenceId": first, "version": version, "cancelled": False})
    version = restored["event"]["version"]
    moved = await mutate(client, callers.editor, MOVE_ONE, input={
        "occurrenceId": first, "version": version, "startsAt": "2026-03-08T09:30:00+08:00", "endsAt": "2026-03-08T11:00:00+08:00"})
    assert moved["errors"] == []
    assert (await _weekly(gql, net))[0] == ("党的二十大精神微宣讲", "2026-03-08T09:30:00+08:00", "SCHEDULED")
    bad = await mutate(client, callers.editor, MOVE_ONE, input={
        "occurrenceId": first, "version": moved["event"]["version"], "startsAt": "2026-03-08T09:30:00+08:00",
        "endsAt": "2026-03-08T09:00:00+08:00"})
    assert bad["errors"][0]["code"] == "END_BEFORE_START"
    down = await mutate(client, callers.editor, UNPUBLISH, input={"id": gid("Event", net.weekly.id), "version": moved["event"]["version"]})
    assert down["event"]["status"] == "DRAFT" and await _weekly(gql, net) == []
    up = await mutate(client, callers.editor, PUBLISH, input={"id": gid("Event", net.weekly.id), "version": down["event"]["version"]})
    assert up["event"]["status"] == "PUBLISHED" and len(await _weekly(gql, net)) == 3


async def test_attendance_is_recorded_after_the_event_only(client):
    net = await build()
    callers = await make_callers(net)
    held = await mutate(client, callers.editor, ATTENDANCE, input={
        "id": gid("Event", net.fair.id), "version": net.fair.version, "attendance": 180, "beneficiaries": 260})
    assert held == {"event": {"attendance": 180, "beneficiaries": 260}, "errors": []}
    future = await mutate(client, callers.editor, CREATE, input={
        "kind": "ACTIVITY", "title": "明年活动", "platformId": gid("Platform", net.culture.id),
        "siteId": gid("Site", net.institute.id), "startsAt": "2030-01-02T09:00:00+08:00", "endsAt": "2030-01-02T10:00:00+08:00"})
    early = await mutate(client, callers.editor, ATTENDANCE, input={
        "id": future["event"]["id"], "version": future["event"]["version"], "attendance": 5})
    assert early["errors"][0]["code"] == "NOT_YET_HELD"


async def test_a_deleted_event_leaves_the_calendar_and_a_restore_brings_it_back(client, gql):
    net = await build()
    callers = await make_callers(net)
    delete = """mutation($input: DeleteInput!) { deleteRecord(input: $input) { errors { code } } }"""
    restore = """mutation($input: RestoreInput!) { restoreRecord(input: $input) { errors { code } } }"""
    assert (await mutate(client, callers.editor, delete, input={"id": gid("Event", net.weekly.id), "version": net.weekly.version}))["errors"] == []
    assert await _weekly(gql, net) == []
    assert (await mutate(client, callers.editor, restore, input={"id": gid("Event", net.weekly.id)}))["errors"] == []
    assert len(await _weekly(gql, net)) == 3
