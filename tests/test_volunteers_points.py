"""Points (积分) on both databases: rules turn recorded hours into points (corrections take
them back), rewards (礼遇) spend them, and the leaderboard names only who agreed."""

from __future__ import annotations

from datetime import timedelta

from api.models.volunteering import PointsEntry
from tests.auth_support import mutate, post
from tests.network import gid
from tests.volunteers_support import CORRECT, STAFF_IN, STAFF_OUT, drive_setup, make_volunteers

RULE = """mutation($input: CreatePointsRuleInput!) { createPointsRule(input: $input) {
  rule { name perHour perOccurrence platform { name } } errors { field message code } } }"""
REWARD = """mutation($input: CreateRewardInput!) { createReward(input: $input) { reward { id name cost } errors { code } } }"""
REDEEM = """mutation($input: RedeemRewardInput!) { redeemReward(input: $input) {
  points { balance entries { points kind note } } errors { field message code } } }"""
POINTS = "query($t: String!) { volunteerByToken(token: $t) { points { balance entries { points kind note } } } }"
BOARD = "query($w: ID!) { pointsLeaderboard(within: $w) { rank name points } }"


async def serve(client, drive, person, minutes: int) -> None:
    base = {"occurrenceId": drive.occurrence_id, "personId": gid("Person", person.id)}
    start = drive.event.starts_at
    assert (await mutate(client, drive.callers.editor, STAFF_IN, input={**base, "at": start.isoformat()}))["errors"] == []
    out = await mutate(client, drive.callers.editor, STAFF_OUT,
                       input={**base, "at": (start + timedelta(minutes=minutes)).isoformat()})
    assert out["errors"] == [], out


async def test_rules_rewards_and_the_leaderboard(client):
    drive = await drive_setup(capacity=None, starts_in=timedelta(hours=-3))
    net = drive.net
    county = await mutate(client, drive.callers.admin, RULE, input={
        "siteId": gid("Site", net.centre.id), "name": "志愿服务积分", "perHour": 10, "perOccurrence": 5})
    assert county["errors"] == [] and county["rule"]["platform"] is None
    culture = await mutate(client, drive.callers.editor, RULE, input={
        "siteId": gid("Site", net.station.id), "name": "文化服务加分", "perHour": 2, "platformId": gid("Platform", net.culture.id)})
    assert culture["rule"]["platform"] == {"name": "文化服务"}
    theory = await mutate(client, drive.callers.editor, RULE, input={
        "siteId": gid("Site", net.station.id), "name": "理论宣讲加分", "perOccurrence": 50, "platformId": gid("Platform", net.theory.id)})
    assert theory["errors"] == []  # another platform: no points for this activity
    nothing = await mutate(client, drive.callers.editor, RULE, input={"siteId": gid("Site", net.station.id), "name": "空"})
    assert [e["code"] for e in nothing["errors"]] == ["REQUIRED"]
    outside = await mutate(client, drive.callers.other_editor, RULE, input={
        "siteId": gid("Site", net.station.id), "name": "越权", "perHour": 1})
    assert [e["code"] for e in outside["errors"]] == ["OUT_OF_SCOPE"]

    (shown, shown_token), (hidden, hidden_token) = await make_volunteers(drive, 2)  # the first agreed to be shown
    await serve(client, drive, shown, 90)
    await serve(client, drive, hidden, 150)
    mine = (await post(client, None, POINTS, t=shown_token)).json()["data"]["volunteerByToken"]["points"]
    # 1.5 hours: 15 + 5 by the county's rule, 3 by the station's culture rule.
    assert mine["balance"] == 23
    assert sorted((e["points"], e["note"]) for e in mine["entries"]) == [(3, "文化服务加分"), (20, "志愿服务积分")]

    # A correction to one hour takes back what the half hour earned.
    from api.models.volunteering import HoursEntry

    entry = await HoursEntry.get(volunteer__person_id=shown.id)
    fixed = await mutate(client, drive.callers.editor, CORRECT, input={
        "entryId": gid("HoursEntry", entry.id), "minutes": 60, "reason": "提前离开"})
    assert fixed["errors"] == []
    assert (await post(client, None, POINTS, t=shown_token)).json()["data"]["volunteerByToken"]["points"]["balance"] == 17

    reward = (await mutate(client, drive.callers.admin, REWARD, input={
        "siteId": gid("Site", net.centre.id), "name": "免费体检一次", "cost": 10}))["reward"]
    rewards = (await post(client, None, "query($s: ID!) { rewards(site: $s) { name cost } }", s=gid("Site", net.station.id))).json()
    assert rewards["data"]["rewards"] == [{"name": "免费体检一次", "cost": 10}]
    spent = await mutate(client, None, REDEEM, input={"rewardId": reward["id"], "volunteerToken": shown_token})
    assert spent["errors"] == [] and spent["points"]["balance"] == 7
    assert spent["points"]["entries"][0] == {"points": -10, "kind": "REDEEMED", "note": "免费体检一次"}
    before = await PointsEntry.all().count()
    short = await mutate(client, None, REDEEM, input={"rewardId": reward["id"], "volunteerToken": shown_token})
    assert [e["code"] for e in short["errors"]] == ["NOT_ENOUGH_POINTS"] and short["points"] is None
    assert await PointsEntry.all().count() == before

    # The leaderboard: only the volunteer who agreed, though the other earned more.
    board = await post(client, None, BOARD, w=gid("Site", net.centre.id))
    assert board.json()["data"]["pointsLeaderboard"] == [{"rank": 1, "name": "志愿者1", "points": 17}]
    assert "志愿者2" not in board.text and hidden_token  # hidden's 25 + 5 + 5 points stay off the screen
    elsewhere = (await post(client, None, BOARD, w=gid("Site", net.other_centre.id))).json()["data"]["pointsLeaderboard"]
    assert elsewhere == []
