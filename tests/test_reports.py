"""Reports (活动报道) over real HTTP on both databases: the review workflow and who may do each
step, drafts never public, the body sanitised, links to events, campaigns and teams."""

from __future__ import annotations

from api.models.audit import AuditEntry
from api.models.content import Report
from tests.auth_support import make_callers, mutate, post
from tests.network import build, gid
from tests.reports_support import CREATE, REPORTS, STEP, UPDATE, other_admin, publish, step, write


async def _titles(client, token=None, **variables) -> list[str]:
    response = await post(client, token, REPORTS, **variables)
    body = response.json()
    assert "errors" not in body, body
    return [e["node"]["title"] for e in body["data"]["reports"]["edges"]]


async def test_a_report_goes_from_draft_to_public_only_when_an_admin_approves(client):
    net = await build()
    callers = await make_callers(net)
    draft = await write(client, callers.editor, net.station, eventId=gid("Event", net.weekly.id),
                        occurrenceStart="2026-03-07T09:30:00+08:00", campaignId=gid("Campaign", (await net.weekly.campaign).id))
    assert draft["status"] == "DRAFT" and draft["publishedAt"] is None and draft["author"] == "account editor"
    assert draft["event"]["title"] == net.weekly.title and draft["campaign"]["name"] == "学雷锋日"
    # Drafts are never public: not listed, not by node, not under the site, the event or the campaign.
    assert await _titles(client) == []
    assert await _titles(client, status=["DRAFT", "IN_REVIEW", "UNPUBLISHED"]) == []
    node = await post(client, None, "query($id: ID!) { node(id: $id) { id } }", id=draft["id"])
    assert node.json()["data"]["node"] is None
    nested = await post(client, None, """query($s: ID!, $e: ID!) { site(id: $s) { reports { title } }
      node(id: $e) { ... on Event { reports { title } } } }""", s=gid("Site", net.centre.id), e=gid("Event", net.weekly.id))
    assert nested.json()["data"] == {"site": {"reports": []}, "node": {"reports": []}}
    # The editor sees their draft when they ask for drafts.
    assert await _titles(client, callers.editor, status=["DRAFT"]) == [draft["title"]]

    submitted = await step(client, callers.editor, "submit", draft)
    assert submitted["report"]["status"] == "IN_REVIEW"
    # The editor cannot approve their own report; an admin of the subtree can.
    refused = await step(client, callers.editor, "approve", submitted["report"])
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    approved = await step(client, callers.admin, "approve", submitted["report"])
    assert approved["errors"] == [] and approved["report"]["status"] == "PUBLISHED"
    assert approved["report"]["publishedAt"] is not None

    assert await _titles(client) == [draft["title"]]
    public = await post(client, None, """query($s: ID!, $c: ID!) { site(id: $s) { reports { title author } }
      campaigns { edges { node { reports { title } } } } node(id: $c) { ... on Report { title summary bodyText } } }""",
                        s=gid("Site", net.centre.id), c=draft["id"])
    data = public.json()["data"]
    assert data["site"]["reports"] == [{"title": draft["title"], "author": None}]  # who wrote it is not public
    assert data["campaigns"]["edges"][0]["node"]["reports"] == [{"title": draft["title"]}]
    assert data["node"]["summary"] == "志愿者走进社区。" == data["node"]["bodyText"]

    unpublished = await step(client, callers.admin, "unpublish", approved["report"])
    assert unpublished["report"]["status"] == "UNPUBLISHED"
    assert await _titles(client) == []
    actions = await AuditEntry.filter(object_type="Report").order_by("id").values_list("action", flat=True)
    assert actions == ["CREATE", "SUBMIT", "APPROVE", "UNPUBLISH"]


async def test_review_rights_follow_the_subtree(client):
    net = await build()
    callers = await make_callers(net)
    foreign_admin = await other_admin(net)
    # Writing needs EDITOR on the site: the sibling station's editor and the other county cannot.
    for token in (callers.sibling_editor, callers.other_editor, callers.viewer):
        refused = await mutate(client, token, CREATE, input={"siteId": gid("Site", net.station.id), "title": "越权"})
        assert refused["errors"][0]["code"] in ("OUT_OF_SCOPE", "FORBIDDEN") and refused["errors"][0]["field"] == ["input", "siteId"]
    assert await Report.all().count() == 0

    report = await write(client, callers.editor, net.station)
    submitted = (await step(client, callers.editor, "submit", report))["report"]
    # An admin of another county is outside this subtree; nothing changes.
    refused = await step(client, foreign_admin, "approve", submitted)
    assert refused["errors"][0]["code"] == "OUT_OF_SCOPE"
    assert (await Report.get()).status == "IN_REVIEW"
    # Under review the text is the reviewer's: the editor cannot change it, the admin can.
    edit = {"id": submitted["id"], "version": submitted["version"], "title": "改过的标题"}
    assert (await mutate(client, callers.editor, UPDATE, input=edit))["errors"][0]["code"] == "FORBIDDEN"
    edited = await mutate(client, callers.admin, UPDATE, input=edit)
    assert edited["errors"] == [] and edited["report"]["title"] == "改过的标题"
    # The admin sends it back; the editor may edit the draft again.
    returned = await step(client, callers.admin, "return", edited["report"])
    assert returned["report"]["status"] == "DRAFT"
    again = await mutate(client, callers.editor, UPDATE, input={"id": report["id"], "version": returned["report"]["version"],
                                                               "summary": "社区志愿服务"})
    assert again["errors"] == [] and again["report"]["summary"] == "社区志愿服务"
    # A step from the wrong status is refused with the status named.
    wrong = await step(client, callers.admin, "unpublish", again["report"])
    assert wrong["errors"][0]["code"] == "WRONG_STATUS" and "DRAFT" in wrong["errors"][0]["message"]


async def test_the_body_is_cleaned_on_write(client):
    net = await build()
    callers = await make_callers(net)
    own = "/images/" + "a" * 64 + "/750.jpg"
    dirty = (
        '<p onclick="steal()">活动<script>alert(document.cookie)</script>现场</p>'
        '<img src="https://evil.example/track.gif" onerror="x()"><img src="' + own + '" alt="合影">'
        '<a href="javascript:alert(1)">点我</a><a href="https://wenming.example.org/x">链接</a>'
        '<iframe src="https://evil.example"></iframe><style>p{display:none}</style><h2>小标题</h2><ul><li>一</li></ul>'
    )
    report = await write(client, callers.editor, net.station, body=dirty)
    body = report["body"]
    for gone in ("script", "alert", "onclick", "onerror", "evil.example", "javascript:", "iframe", "style"):
        assert gone not in body, (gone, body)
    assert f'<img src="{own}" alt="合影">' in body and "<h2>小标题</h2>" in body
    assert 'href="https://wenming.example.org/x"' in body
    assert report["bodyText"] == "活动现场\n点我链接\n小标题\n一"


async def test_bad_input_changes_nothing(client):
    net = await build()
    callers = await make_callers(net)
    base = {"siteId": gid("Site", net.station.id), "title": "报道"}
    cases = [
        ({**base, "title": "  "}, "title", "REQUIRED"),
        ({**base, "title": "长" * 121}, "title", "TOO_LONG"),
        ({**base, "eventId": gid("Event", net.weekly.id), "occurrenceStart": "2026-03-08T09:30:00+08:00"},
         "occurrenceStart", "NOT_AN_OCCURRENCE"),
        ({**base, "occurrenceStart": "2026-03-07T09:30:00+08:00"}, "occurrenceStart", "REQUIRED"),
        ({**base, "eventId": gid("Site", net.station.id)}, "eventId", "WRONG_ID_TYPE"),
        ({**base, "campaignId": gid("Campaign", 999)}, "campaignId", "NOT_FOUND"),
    ]
    for payload_input, field, code in cases:
        refused = await mutate(client, callers.editor, CREATE, input=payload_input)
        assert refused["report"] is None and refused["errors"][0]["field"] == ["input", field], refused
        assert refused["errors"][0]["code"] == code, refused
    # Naming another county's team is refused (the one rule for team links).
    from api.models.teams import Team, TeamCategory, TeamKind
    foreign = await Team.create(kind=TeamKind.TEAM, category=TeamCategory.HEALTH, name="海滨义诊队", home_site=net.other_station)
    refused = await mutate(client, callers.editor, CREATE, input={**base, "teamIds": [gid("Team", foreign.id)]})
    assert refused["errors"][0]["field"] == ["input", "teamIds"] and refused["errors"][0]["code"] == "OUT_OF_SCOPE"
    assert await Report.all().count() == 0
    # Without a token: a top-level UNAUTHENTICATED error.
    response = await post(client, None, CREATE, input=base)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_reports_in_publication_order_by_subtree_with_cursors(client):
    net = await build()
    callers = await make_callers(net)
    titles = []
    for i, site in enumerate([net.station, net.institute, net.station2, net.station]):
        report = await write(client, callers.editor, site, title=f"报道{i}")
        await publish(client, callers.editor, callers.admin, report)
        titles.append(report["title"])
    elsewhere = await write(client, await other_admin(net), net.other_station, title="别处的报道")
    await publish(client, callers.other_editor, await other_admin(net), elsewhere)
    newest_first = list(reversed(titles))
    assert await _titles(client, within=gid("Site", net.centre.id)) == newest_first
    assert await _titles(client, within=gid("Site", net.station.id)) == ["报道3", "报道0"]
    assert await _titles(client, site=gid("Site", net.institute.id)) == ["报道1"]
    # Pages of two follow one another with no gap and no repeat.
    first = (await post(client, None, REPORTS, within=gid("Site", net.centre.id), first=2)).json()["data"]["reports"]
    rest = (await post(client, None, REPORTS, within=gid("Site", net.centre.id), first=2,
                       after=first["pageInfo"]["endCursor"])).json()["data"]["reports"]
    assert [e["node"]["title"] for e in first["edges"] + rest["edges"]] == newest_first
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]


async def test_deleted_reports_leave_and_come_back(client):
    net = await build()
    callers = await make_callers(net)
    report = await publish(client, callers.editor, callers.admin, await write(client, callers.editor, net.station))
    delete = """mutation($input: DeleteInput!) { deleteRecord(input: $input) { id errors { code } } }"""
    restore = """mutation($input: RestoreInput!) { restoreRecord(input: $input) { id errors { code } } }"""
    # Published, it is the reviewer's to take away: the editor cannot delete it, the admin can.
    refused = await mutate(client, callers.editor, delete, input={"id": report["id"], "version": report["version"]})
    assert refused["errors"] == [{"code": "FORBIDDEN"}] and await _titles(client) == [report["title"]]
    assert (await mutate(client, callers.admin, delete, input={"id": report["id"], "version": report["version"]}))["errors"] == []
    assert await _titles(client) == []
    assert (await mutate(client, callers.editor, restore, input={"id": report["id"]}))["errors"] == [{"code": "FORBIDDEN"}]
    assert (await mutate(client, callers.admin, restore, input={"id": report["id"]}))["errors"] == []
    assert await _titles(client) == [report["title"]]
