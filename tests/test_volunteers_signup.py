"""Sign-up (报名) over real HTTP on both databases: places, the waiting list moving up, opening
times, residents' private data, and no overbooking under 50 simultaneous sign-ups."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from api.domain.clock import now
from api.models.audit import AuditEntry
from api.models.volunteering import Signup, SignupStatus
from tests.auth_support import mutate, post
from tests.network import gid
from tests.volunteers_support import (
    CANCEL,
    PLACES,
    REGISTER,
    SETTINGS,
    SIGN_UP,
    drive_setup,
    make_volunteers,
)


async def places(client, occurrence_id: str, token: str | None = None) -> dict:
    body = (await post(client, token, PLACES, id=occurrence_id)).json()
    assert "errors" not in body, body
    return body["data"]["node"]["signup"]


async def test_sign_up_wait_and_move_up(client):
    drive = await drive_setup(capacity=2)
    volunteer_person = drive.net.lecturer  # any person of the station can be given a volunteer profile
    registered = await mutate(client, drive.callers.admin, REGISTER,
                              input={"personId": gid("Person", volunteer_person.id), "showOnLeaderboard": True})
    assert registered["errors"] == [] and registered["token"].startswith("vol_")
    assert registered["volunteer"] == {"name": "陈宣讲", "volunteerNumber": None, "showOnLeaderboard": True}

    first = await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id,
                                                       "volunteerToken": registered["token"]})
    assert first["errors"] == [] and first["token"].startswith("sgn_")
    assert first["signup"]["status"] == "CONFIRMED" and first["signup"]["name"] == "陈宣讲"
    resident = await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id,
                                                          "residentName": "张阿姨", "residentPhone": "13812345678"})
    assert (resident["signup"]["status"], resident["signup"]["name"], resident["signup"]["residentPhone"]) == (
        "CONFIRMED", "张阿姨", "138****5678")
    late = await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id,
                                                      "residentName": "王大爷", "residentPhone": "13912345678"})
    assert (late["signup"]["status"], late["signup"]["waitingPosition"]) == ("WAITING", 1)
    assert await places(client, drive.occurrence_id) == {
        "capacity": 2, "confirmed": 2, "placesLeft": 0, "waiting": 1, "open": True, "residentsAllowed": True}

    # The volunteer cancels with their own token; the first on the waiting list moves up.
    cancelled = await mutate(client, None, CANCEL, input={"volunteerToken": registered["token"],
                                                          "occurrenceId": drive.occurrence_id})
    assert cancelled["errors"] == [] and cancelled["signup"]["status"] == "CANCELLED"
    seen = (await post(client, None, "query($t: String!) { signupByToken(token: $t) { status waitingPosition name } }",
                       t=late["token"])).json()["data"]["signupByToken"]
    assert seen == {"status": "CONFIRMED", "waitingPosition": None, "name": "王大爷"}
    assert (await places(client, drive.occurrence_id))["placesLeft"] == 0
    assert await AuditEntry.filter(object_type="Signup", action="PROMOTE").count() == 1

    # The resident cancels with the sign-up token: a place is free again.
    again = await mutate(client, None, CANCEL, input={"token": resident["token"]})
    assert again["signup"]["status"] == "CANCELLED"
    assert (await places(client, drive.occurrence_id))["placesLeft"] == 1
    twice = await mutate(client, None, CANCEL, input={"token": resident["token"]})
    assert [e["code"] for e in twice["errors"]] == ["ALREADY_CANCELLED"]

    # The volunteer's own record lists their sign-ups.
    mine = (await post(client, None, "query($t: String!) { volunteerByToken(token: $t) { name signups { status } } }",
                       t=registered["token"])).json()["data"]["volunteerByToken"]
    assert mine == {"name": "陈宣讲", "signups": [{"status": "CANCELLED"}]}


async def test_fifty_simultaneous_sign_ups_never_overbook(client, db):
    drive = await drive_setup(capacity=10, residents=False)
    people = await make_volunteers(drive, 50)

    async def sign_up(token: str) -> dict:
        return await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id, "volunteerToken": token})

    answers = await asyncio.gather(*(sign_up(token) for _, token in people))
    assert all(a["errors"] == [] for a in answers), [a["errors"] for a in answers if a["errors"]]
    statuses = [a["signup"]["status"] for a in answers]
    assert statuses.count("CONFIRMED") == 10 and statuses.count("WAITING") == 40
    assert await Signup.filter(status=SignupStatus.CONFIRMED).count() == 10
    assert sorted(a["signup"]["waitingPosition"] for a in answers if a["signup"]["status"] == "WAITING") == list(range(1, 41))

    # Ten cancel at once: ten move up, still exactly ten places taken.
    confirmed = [t for (_, t), a in zip(people, answers, strict=True) if a["signup"]["status"] == "CONFIRMED"]
    await asyncio.gather(*(mutate(client, None, CANCEL, input={"volunteerToken": t, "occurrenceId": drive.occurrence_id})
                           for t in confirmed))
    assert await places(client, drive.occurrence_id) == {
        "capacity": 10, "confirmed": 10, "placesLeft": 0, "waiting": 30, "open": True, "residentsAllowed": False}


async def test_refusals_change_nothing(client):
    drive = await drive_setup(capacity=1, residents=False)
    ((_, token),) = await make_volunteers(drive, 1)

    async def refused(input: dict) -> list[str]:
        before = await Signup.all().count()
        answer = await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id, **input})
        assert await Signup.all().count() == before
        return [e["code"] for e in answer["errors"]]

    assert await refused({"residentName": "张阿姨", "residentPhone": "13812345678"}) == ["RESIDENTS_NOT_ALLOWED"]
    assert await refused({"volunteerToken": "vol_nope"}) == ["NOT_FOUND"]
    assert await refused({"volunteerToken": "wm_api_token"}) == ["INVALID"]
    ok = await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id, "volunteerToken": token})
    assert ok["errors"] == []
    assert await refused({"volunteerToken": token}) == ["ALREADY_SIGNED_UP"]

    # Opening times, changed by staff with the version they read.
    event_id = gid("Event", drive.event.id)
    later = await mutate(client, drive.callers.admin, SETTINGS, input={
        "eventId": event_id, "capacity": 1, "version": 1, "opensAt": (now() + timedelta(hours=1)).isoformat()})
    assert later["errors"] == [] and later["settings"]["version"] == 2
    (_, other), = await make_volunteers(drive, 1, prefix="晚到")
    assert await refused({"volunteerToken": other}) == ["SIGNUP_NOT_OPEN"]
    closed = await mutate(client, drive.callers.admin, SETTINGS, input={
        "eventId": event_id, "capacity": 1, "version": 2, "closesAt": (now() - timedelta(minutes=1)).isoformat()})
    assert closed["errors"] == []
    assert await refused({"volunteerToken": other}) == ["SIGNUP_CLOSED"]
    stale = await mutate(client, drive.callers.admin, SETTINGS, input={"eventId": event_id, "capacity": 5, "version": 1})
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    # Staff of another county may not change it; an event without settings takes no sign-ups.
    outside = await mutate(client, drive.callers.other_editor, SETTINGS, input={"eventId": event_id, "capacity": 5, "version": 3})
    assert [e["code"] for e in outside["errors"]] == ["OUT_OF_SCOPE"]
    fair = gid("Occurrence", f"{drive.net.holiday.id}@{int(drive.net.holiday.starts_at.timestamp())}")
    no_sheet = await mutate(client, None, SIGN_UP, input={"occurrenceId": fair, "volunteerToken": token})
    assert [e["code"] for e in no_sheet["errors"]] == ["NOT_TAKING_SIGNUPS"]


async def test_capacity_raised_moves_the_waiting_list_up(client):
    drive = await drive_setup(capacity=1, residents=False)
    people = await make_volunteers(drive, 3)
    for _, token in people:
        await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id, "volunteerToken": token})
    raised = await mutate(client, drive.callers.editor, SETTINGS, input={
        "eventId": gid("Event", drive.event.id), "capacity": 2, "version": 1})
    assert raised["errors"] == []
    assert (await places(client, drive.occurrence_id))["waiting"] == 1
    assert await Signup.filter(status=SignupStatus.CONFIRMED).count() == 2


async def test_private_data_never_in_anonymous_answers(client):
    drive = await drive_setup(capacity=5)
    resident = await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id,
                                                          "residentName": "张阿姨", "residentPhone": "13812345678"})
    signup_id = resident["signup"]["id"]
    node = "query($id: ID!) { node(id: $id) { ... on Signup { name residentPhone } } }"
    assert (await post(client, None, node, id=signup_id)).json()["data"]["node"] is None
    assert (await post(client, drive.callers.other_editor, node, id=signup_id)).json()["data"]["node"] is None
    assert (await post(client, drive.callers.viewer, node, id=signup_id)).json()["data"]["node"] == {
        "name": "张阿姨", "residentPhone": "13812345678"}
    listing = "query($o: ID!) { signups(occurrence: $o) { name residentPhone status } }"
    anonymous = (await post(client, None, listing, o=drive.occurrence_id)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    outside = (await post(client, drive.callers.other_editor, listing, o=drive.occurrence_id)).json()
    assert outside["errors"][0]["extensions"]["code"] == "OUT_OF_SCOPE"
    staff = (await post(client, drive.callers.viewer, listing, o=drive.occurrence_id)).json()["data"]["signups"]
    assert staff == [{"name": "张阿姨", "residentPhone": "13812345678", "status": "CONFIRMED"}]
    public = (await post(client, None, PLACES, id=drive.occurrence_id)).text
    assert "张阿姨" not in public and "13812345678" not in public
    # Registering volunteers is staff's: anonymous callers are refused outright.
    refused = (await post(client, None, REGISTER, input={"personId": gid("Person", drive.net.lecturer.id)})).json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_ids_no_row_can_have_are_refused_not_crashed(client):
    drive = await drive_setup(capacity=1)
    huge = gid("Occurrence", f"{2**40}@{int(drive.event.starts_at.timestamp())}")
    answer = await mutate(client, None, SIGN_UP, input={"occurrenceId": huge, "residentName": "张阿姨",
                                                        "residentPhone": "13812345678"})
    assert [e["code"] for e in answer["errors"]] == ["NOT_FOUND"]
    for type_name in ("Signup", "HoursEntry"):
        body = (await post(client, drive.callers.admin, "query($id: ID!) { node(id: $id) { id } }",
                           id=gid(type_name, str(2**40)))).json()
        assert body["data"]["node"] is None, body


async def test_a_sign_up_costs_the_same_statements_however_many_signed_up_before(client):
    from tests.conftest import count_sql

    drive = await drive_setup(capacity=5, residents=False)
    people = await make_volunteers(drive, 42)

    async def cost(token: str) -> int:
        with count_sql() as statements:
            answer = await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id, "volunteerToken": token})
        assert answer["errors"] == []
        return len(statements)

    for _, token in people[:5]:
        await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id, "volunteerToken": token})
    sixth = await cost(people[5][1])  # the first to wait (the answer asks for waitingPosition: one count)
    for _, token in people[6:40]:
        await mutate(client, None, SIGN_UP, input={"occurrenceId": drive.occurrence_id, "volunteerToken": token})
    forty_first = await cost(people[40][1])  # 40 before it, 35 of them waiting
    assert forty_first == sixth, (sixth, forty_first)
    places_query = (await post(client, None, PLACES, id=drive.occurrence_id)).json()
    assert places_query["data"]["node"]["signup"]["waiting"] == 36
