"""Check-in (签到) and check-out (签退) with the station's rotating code, staff check-ins, the
hours they record (capped), and corrections that leave every entry standing; both databases."""

from __future__ import annotations

from datetime import timedelta

from api.domain.clock import now
from api.models.audit import AuditEntry
from api.models.volunteering import HoursEntry, HoursKind
from api.volunteering import checkin
from tests.auth_support import mutate, post
from tests.network import gid
from tests.volunteers_support import (
    CHECK_IN,
    CHECK_OUT,
    CODE,
    CORRECT,
    MY_HOURS,
    STAFF_IN,
    STAFF_OUT,
    drive_setup,
    make_volunteers,
)


async def code_for(client, drive) -> str:
    body = (await post(client, drive.callers.viewer, CODE, o=drive.occurrence_id)).json()  # the township's kiosk
    assert "errors" not in body, body
    return body["data"]["checkinCode"]["code"]


async def test_scan_in_and_out_and_refuse_replays(client):
    drive = await drive_setup(capacity=None, starts_in=timedelta(minutes=30))
    (_, token), (_, other) = await make_volunteers(drive, 2)
    code = await code_for(client, drive)
    assert code.startswith("wmc1.")

    checked_in = await mutate(client, None, CHECK_IN, input={"code": code, "volunteerToken": token})
    assert checked_in["errors"] == []
    assert checked_in["attendance"]["checkedInBy"] == "SCAN" and checked_in["attendance"]["checkedOutAt"] is None
    # The same person with the same code again: refused, whatever they ask.
    for document in (CHECK_IN, CHECK_OUT):
        again = await mutate(client, None, document, input={"code": code, "volunteerToken": token})
        assert [e["code"] for e in again["errors"]] == ["CODE_ALREADY_USED"]
    # Another volunteer standing beside them scans the same screen: fine.
    assert (await mutate(client, None, CHECK_IN, input={"code": code, "volunteerToken": other}))["errors"] == []
    # A fresh code checks in nobody twice.
    twice = await mutate(client, None, CHECK_IN, input={"code": await code_for(client, drive), "volunteerToken": token})
    assert [e["code"] for e in twice["errors"]] == ["ALREADY_CHECKED_IN"]

    out = await mutate(client, None, CHECK_OUT, input={"code": await code_for(client, drive), "volunteerToken": token})
    assert out["errors"] == [] and out["attendance"]["checkedOutBy"] == "SCAN"
    assert out["attendance"]["minutes"] == 0  # checked out seconds after checking in
    assert await HoursEntry.filter(kind=HoursKind.RECORDED).count() == 1


async def test_expired_and_forged_codes_are_refused(client):
    drive = await drive_setup(capacity=None, starts_in=timedelta(minutes=30))
    ((_, token),) = await make_volunteers(drive, 1)
    secret = checkin.key(None)  # the test app signs with this process's key (no WENMING_CHECKIN_SECRET)
    minute = int(now().timestamp()) // 60
    event, start = drive.event.id, drive.event.starts_at

    async def codes(code: str) -> list[str]:
        answer = await mutate(client, None, CHECK_IN, input={"code": code, "volunteerToken": token})
        return [e["code"] for e in answer["errors"]]

    assert await codes(checkin.sign(event, start, minute - checkin.CODE_MINUTES, "a1b2c3d4e5f60718", secret)) == ["CODE_EXPIRED"]
    assert await codes(checkin.sign(event, start, minute + 5, "a1b2c3d4e5f60718", secret)) == ["CODE_EXPIRED"]
    assert await codes(checkin.sign(event, start, minute, "a1b2c3d4e5f60718", b"not the server's key")) == ["INVALID_CODE"]
    assert await codes("https://example.org/not-a-code") == ["INVALID_CODE"]
    # Made a minute ago: still good (a code rotating while someone scans it).
    assert await codes(checkin.sign(event, start, minute - 1, "a1b2c3d4e5f60718", secret)) == []
    # Nothing was written by the refusals: one attendance, one code use.
    assert await AuditEntry.filter(action="CHECK_IN").count() == 1


async def test_codes_are_for_the_station_and_the_time(client):
    drive = await drive_setup(capacity=None, starts_in=timedelta(days=2))
    anonymous = (await post(client, None, CODE, o=drive.occurrence_id)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    outside = (await post(client, drive.callers.other_editor, CODE, o=drive.occurrence_id)).json()
    assert outside["errors"][0]["extensions"]["code"] == "OUT_OF_SCOPE"
    early = (await post(client, drive.callers.viewer, CODE, o=drive.occurrence_id)).json()
    assert early["errors"][0]["extensions"]["code"] == "CHECKIN_NOT_NOW"


async def test_staff_check_in_hours_capped_and_corrected(client):
    # Started three hours ago, two hours long: it ended an hour ago.
    drive = await drive_setup(capacity=None, starts_in=timedelta(hours=-3))
    ((person, token),) = await make_volunteers(drive, 1)
    start = drive.event.starts_at
    base = {"occurrenceId": drive.occurrence_id, "personId": gid("Person", person.id)}
    came = await mutate(client, drive.callers.editor, STAFF_IN, input={**base, "at": (start - timedelta(minutes=50)).isoformat()})
    assert came["errors"] == [] and came["attendance"]["checkedInBy"] == "STAFF"
    left = await mutate(client, drive.callers.editor, STAFF_OUT,
                        input={**base, "at": (start + timedelta(hours=2, minutes=55)).isoformat()})
    # 225 minutes between check-in and check-out; capped at 120 + 30.
    assert left["errors"] == [] and left["attendance"]["minutes"] == 150

    future = await mutate(client, drive.callers.editor, STAFF_IN, input={**base, "at": (now() + timedelta(hours=1)).isoformat()})
    assert [e["code"] for e in future["errors"]] == ["OUT_OF_RANGE"]
    outside = await mutate(client, drive.callers.sibling_editor, STAFF_IN, input=base)
    assert [e["code"] for e in outside["errors"]] == ["OUT_OF_SCOPE"]

    recorded = await HoursEntry.get(kind=HoursKind.RECORDED)
    fixed = await mutate(client, drive.callers.editor, CORRECT, input={
        "entryId": gid("HoursEntry", recorded.id), "minutes": 100, "reason": "提前离开, 队长确认"})
    assert fixed["errors"] == []
    assert (fixed["entry"]["minutes"], fixed["entry"]["kind"], fixed["entry"]["correctsId"]) == (
        -50, "CORRECTION", gid("HoursEntry", recorded.id))
    same = await mutate(client, drive.callers.editor, CORRECT, input={
        "entryId": gid("HoursEntry", recorded.id), "minutes": 100, "reason": "再改"})
    assert [e["code"] for e in same["errors"]] == ["NO_CHANGE"]
    # Both entries stay; the total is the corrected one; the audit log has the correction.
    mine = (await post(client, None, MY_HOURS, t=token)).json()["data"]["volunteerByToken"]["hours"]
    assert mine["totalMinutes"] == 100 and mine["totalHours"] == 1.7
    assert [(e["minutes"], e["kind"], e["recordedBy"]) for e in mine["entries"]] == [
        (-50, "CORRECTION", None), (150, "RECORDED", None)]  # the volunteer does not see staff's names
    assert await AuditEntry.filter(object_type="HoursEntry", action="CORRECT").count() == 1
    assert (await HoursEntry.get(id=recorded.id)).minutes == 150  # never edited in place


async def test_service_hours_totals_and_privacy(client):
    drive = await drive_setup(capacity=None, starts_in=timedelta(hours=-3))
    people = await make_volunteers(drive, 2)
    for person, _ in people:
        base = {"occurrenceId": drive.occurrence_id, "personId": gid("Person", person.id)}
        await mutate(client, drive.callers.editor, STAFF_IN, input={**base, "at": drive.event.starts_at.isoformat()})
        await mutate(client, drive.callers.editor, STAFF_OUT,
                     input={**base, "at": (drive.event.starts_at + timedelta(minutes=90)).isoformat()})
    query = """query($w: ID!, $from: Date) { serviceHours(within: $w, from: $from) { totalHours totalMinutes volunteers
      occurrences byTeam { team { name } hours } byVolunteer { name volunteerNumber hours } } }"""
    public = (await post(client, None, query, w=gid("Site", drive.net.centre.id))).json()["data"]["serviceHours"]
    assert (public["totalMinutes"], public["totalHours"], public["volunteers"], public["occurrences"]) == (180, 3.0, 2, 1)
    assert public["byVolunteer"] is None
    staff = (await post(client, drive.callers.viewer, query, w=gid("Site", drive.net.institute.id))).json()
    assert [v["name"] for v in staff["data"]["serviceHours"]["byVolunteer"]] == ["志愿者1", "志愿者2"]
    later = (await post(client, None, query, w=gid("Site", drive.net.centre.id),
                        **{"from": (now() + timedelta(days=1)).date().isoformat()})).json()["data"]["serviceHours"]
    assert later["totalMinutes"] == 0
    elsewhere = (await post(client, None, query, w=gid("Site", drive.net.other_centre.id))).json()
    assert elsewhere["data"]["serviceHours"]["totalMinutes"] == 0


async def test_stats_use_recorded_hours_and_say_what_is_estimated(client):
    from api.domain import kept_figures
    from api.models.events import Event, Occurrence
    from api.models.teams import Membership, Team

    drive = await drive_setup(capacity=None, starts_in=timedelta(hours=-3))
    team = await Team.get(name="洛地有声宣讲队")
    await Event.filter(id=drive.event.id).update(team_id=team.id)
    await Occurrence.filter(event_id=drive.event.id).update(team_id=team.id)
    await kept_figures.rebuild()  # edits by hand bypass the writes that keep the held figures
    members = await Membership.filter(team_id=team.id, deleted_at__isnull=True).count()
    today = now().date()
    query = """query($w: ID!, $from: Date!, $to: Date!) { stats(within: $w, from: $from, to: $to) { held {
      volunteerServiceHours recordedVolunteerHours estimatedVolunteerHours } } }"""
    variables = {"w": gid("Site", drive.net.station.id), "from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}

    async def held() -> dict:
        body = (await post(client, None, query, **variables)).json()
        assert "errors" not in body, body
        return body["data"]["stats"]["held"]

    # Nothing recorded yet: the team's members for the whole two hours, an estimate.
    assert await held() == {"volunteerServiceHours": 2.0 * members, "recordedVolunteerHours": 0.0,
                            "estimatedVolunteerHours": 2.0 * members}
    person, _ = (await make_volunteers(drive, 1))[0]
    base = {"occurrenceId": drive.occurrence_id, "personId": gid("Person", person.id)}
    await mutate(client, drive.callers.editor, STAFF_IN, input={**base, "at": drive.event.starts_at.isoformat()})
    await mutate(client, drive.callers.editor, STAFF_OUT,
                 input={**base, "at": (drive.event.starts_at + timedelta(minutes=90)).isoformat()})
    # One volunteer checked in and out for 90 minutes: that is what counts now.
    assert await held() == {"volunteerServiceHours": 1.5, "recordedVolunteerHours": 1.5, "estimatedVolunteerHours": 0.0}


async def test_the_code_comes_as_a_qr_code_too(client):
    drive = await drive_setup(capacity=None, starts_in=timedelta(minutes=30))
    body = (await post(client, drive.callers.viewer, "query($o: ID!) { checkinCode(occurrence: $o) { code svg qrRows } }",
                       o=drive.occurrence_id)).json()["data"]["checkinCode"]
    rows = body["qrRows"]
    assert rows == checkin.qr_rows(body["code"]) and all(len(r) == len(rows) and set(r) <= {"0", "1"} for r in rows)
    assert rows[0].startswith("1111111") and body["svg"].startswith("<svg") and "viewBox" in body["svg"]
