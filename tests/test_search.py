"""Chinese search (issue 16) on both databases: one-, two- and four-character queries,
traditional and simplified script, pinyin initials, full-width forms, `within`, deleted rows,
edits found at once, refused writes leaving the index as it was."""

from __future__ import annotations


import pytest

from api.models.search import SearchDoc
from api.search.index import index_is_missing, reindex
from tests.auth_support import make_callers, mutate
from tests.network import build, gid

SEARCH = """
query($q: String!, $within: ID, $types: [SearchType!], $first: Int, $after: String, $from: DateTime, $to: DateTime) {
  search(query: $q, within: $within, types: $types, first: $first, after: $after, from: $from, to: $to) {
    totalCount
    edges { cursor node { type score
      node { __typename ... on Site { name } ... on Team { name } ... on Lecturer { name } ... on Event { title } }
      snippet { field text html highlights { start length } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def names(data: dict) -> list[str]:
    return [e["node"]["node"].get("name") or e["node"]["node"].get("title") for e in data["search"]["edges"]]


async def find(gql, q: str, **variables) -> list[str]:
    return names(await gql(SEARCH, q=q, **variables))


@pytest.fixture
async def net(db):
    network = await build()
    await reindex()
    return network


async def test_two_character_query_finds_titles_and_descriptions(net, gql):
    data = await gql(SEARCH, q="宣讲")
    found = names(data)
    assert "洛地有声宣讲队" in found and "党的二十大精神微宣讲" in found and "海上船声筒宣讲" in found
    assert "陈宣讲" in found  # a lecturer, by name
    assert data["search"]["totalCount"] == len(found)
    hit = next(e["node"] for e in data["search"]["edges"] if e["node"]["node"].get("name") == "洛地有声宣讲队")
    assert hit["type"] == "TEAM" and hit["snippet"]["field"] == "TITLE"
    assert hit["snippet"]["highlights"] == [{"start": 4, "length": 2}]
    assert hit["snippet"]["html"] == "洛地有声<mark>宣讲</mark>队"


async def test_one_and_four_character_queries(net, gql):
    assert "科普集市" in await find(gql, "集")
    assert await find(gql, "文明实践所") == ["河市镇新时代文明实践所", "山腰街道新时代文明实践所"]
    four = await find(gql, "微宣讲")
    assert four == ["党的二十大精神微宣讲"]
    # Every bigram must be there: 讲座 does not match 宣讲 alone.
    assert await find(gql, "讲座") == []


async def test_traditional_and_simplified_find_each_other(net, gql):
    assert "洛地有声宣讲队" in await find(gql, "宣講隊")
    await mutate(gql.http, None, "query { __typename }") if False else None
    # A traditional-script name is found by its simplified form.
    from api.domain.sites import create_site
    from api.models.sites import SiteKind

    station = await create_site(kind=SiteKind.POINT, name="東街義剪服務點", parent=net.station)
    await reindex()
    data = await gql(SEARCH, q="义剪")
    assert names(data) == ["東街義剪服務點"]
    assert data["search"]["edges"][0]["node"]["snippet"]["html"] == "東街<mark>義剪</mark>服務點"
    assert station.id


async def test_pinyin_initials_find_names(net, gql):
    data = await gql(SEARCH, q="xjd")
    assert names(data)[0] == "洛地有声宣讲队"
    assert data["search"]["edges"][0]["node"]["snippet"]["highlights"] == [{"start": 4, "length": 3}]
    assert data["search"]["edges"][0]["node"]["score"] in (4, 5)
    assert "洛江区志愿服务总队" in await find(gql, "zyfw")


async def test_pinyin_initials_of_polyphones_take_each_reading(net, gql):
    from api.domain.sites import create_site
    from api.models.sites import SiteKind

    for name in ("重阳敬老服务点", "长乐社区服务点", "银行网点志愿服务点", "长泰县服务点"):
        await create_site(kind=SiteKind.POINT, name=name, parent=net.station)
    await reindex()
    # The reading a phrase gives (重阳 chóng, 银行 háng, 长乐 cháng) and the character's most
    # common one (重 zhòng, 行 xíng) both find it; 长泰 is in no phrase list: both readings.
    for typed, name in [("cyjl", "重阳敬老服务点"), ("zyjl", "重阳敬老服务点"), ("clsq", "长乐社区服务点"),
                        ("yhwd", "银行网点志愿服务点"), ("yxwd", "银行网点志愿服务点"), ("ctx", "长泰县服务点"),
                        ("ztx", "长泰县服务点")]:
        data = await gql(SEARCH, q=typed)
        assert names(data) == [name], typed
        assert data["search"]["edges"][0]["node"]["snippet"]["highlights"] == [{"start": 0, "length": len(typed)}]
    # A reading neither common nor given by a phrase is not indexed: 有 as wěi.
    assert await find(gql, "ldws") == []


async def test_full_width_and_mixed_latin(net, gql, client):
    callers = await make_callers(net)
    created = await mutate(client, callers.editor, """
      mutation($input: CreateEventInput!) { createEvent(input: $input) { event { id } errors { message } } }""",
        input={"kind": "LECTURE", "title": "AI讲座：5G与乡村振兴", "siteId": gid("Site", net.station.id),
               "platformId": gid("Platform", net.theory.id), "startsAt": "2027-01-09T09:00:00+08:00",
               "endsAt": "2027-01-09T10:00:00+08:00", "publish": True})
    assert created["errors"] == []
    assert await find(gql, "ＡＩ讲座") == ["AI讲座：5G与乡村振兴"]
    assert await find(gql, "５ｇ") == ["AI讲座：5G与乡村振兴"]
    assert await find(gql, "ai 乡村") == ["AI讲座：5G与乡村振兴"]


async def test_within_keeps_to_the_subtree_and_types_filter(net, gql):
    everywhere = await find(gql, "宣讲")
    inside = await find(gql, "宣讲", within=gid("Site", net.centre.id))
    assert "海上船声筒宣讲" in everywhere and "海上船声筒宣讲" not in inside
    assert "洛地有声宣讲队" in inside
    assert await find(gql, "宣讲", types=["TEAM"]) == ["洛地有声宣讲队"]


async def test_title_above_description_and_upcoming_above_past(net, gql, client):
    callers = await make_callers(net)
    base = {"siteId": gid("Site", net.station.id), "platformId": gid("Platform", net.culture.id), "publish": True,
            "kind": "ACTIVITY"}
    q = "mutation($input: CreateEventInput!) { createEvent(input: $input) { event { id } errors { message } } }"
    for title, description, day in [
        ("老年人免费理发（往期）", "", "2026-01-10"),
        ("敬老服务", "每周六为老年人免费理发", "2027-06-12"),
        ("义剪进社区 理发", "", "2027-06-19"),
    ]:
        payload = await mutate(client, callers.editor, q, input={
            **base, "title": title, "description": description,
            "startsAt": f"{day}T09:00:00+08:00", "endsAt": f"{day}T11:00:00+08:00"})
        assert payload["errors"] == []
    data = await gql(SEARCH, q="理发")
    assert names(data) == ["义剪进社区 理发", "老年人免费理发（往期）", "敬老服务"]
    assert [e["node"]["score"] for e in data["search"]["edges"]] == [7, 6, 3]
    body = data["search"]["edges"][2]["node"]["snippet"]
    assert body["field"] == "BODY" and body["html"] == "每周六为老年人免费<mark>理发</mark>"
    # The time window keeps events to those with an occurrence in it.
    window = await find(gql, "理发", **{"from": "2027-06-15T00:00:00+08:00", "to": "2027-06-30T00:00:00+08:00"})
    assert window == ["义剪进社区 理发"]


async def test_pages_follow_the_ranking(net, gql):
    everything = await find(gql, "新时代", first=100)
    assert len(everything) >= 7
    seen, after = [], None
    while True:
        data = await gql(SEARCH, q="新时代", first=3, after=after)
        seen += names(data)
        if not data["search"]["pageInfo"]["hasNextPage"]:
            break
        after = data["search"]["pageInfo"]["endCursor"]
    assert seen == everything


async def test_edit_is_found_at_once_and_deleted_rows_never(net, gql, client):
    callers = await make_callers(net)
    site = await mutate(client, callers.editor, """
      mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name version } errors { message } } }""",
        input={"id": gid("Site", net.station2.id), "version": net.station2.version, "description": "每月一次义剪"})
    assert site["errors"] == []
    assert await find(gql, "义剪") == ["溪阳社区新时代文明实践站"]
    payload = await mutate(client, callers.editor, """
      mutation($input: DeleteInput!) { deleteRecord(input: $input) { id errors { message } } }""",
        input={"id": gid("Site", net.station2.id), "version": site["site"]["version"]})
    assert payload["errors"] == []
    assert await find(gql, "义剪") == []
    assert await find(gql, "溪阳") == []
    restored = await mutate(client, callers.editor, """
      mutation($input: RestoreInput!) { restoreRecord(input: $input) { id errors { message } } }""",
        input={"id": gid("Site", net.station2.id)})
    assert restored["errors"] == []
    assert await find(gql, "义剪") == ["溪阳社区新时代文明实践站"]


async def test_refused_write_leaves_the_index_unchanged(net, gql, client):
    callers = await make_callers(net)
    before = sorted(await SearchDoc.all().values_list("kind", "object_id", "title_tokens", "body_tokens"))
    # Both a rename and a bad star rating: the rule refuses the write, nothing of it is kept.
    payload = await mutate(client, callers.editor, """
      mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name } errors { code } } }""",
        input={"id": gid("Site", net.station.id), "version": net.station.version, "description": "义剪", "starRating": 9})
    assert payload["errors"] == [{"code": "OUT_OF_RANGE"}]
    stale = await mutate(client, callers.editor, """
      mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name } errors { code } } }""",
        input={"id": gid("Site", net.station.id), "version": 99, "description": "义剪"})
    assert stale["errors"] == [{"code": "CONFLICT"}]
    assert sorted(await SearchDoc.all().values_list("kind", "object_id", "title_tokens", "body_tokens")) == before
    assert await find(gql, "义剪") == []


async def _title_terms_out_of_step() -> tuple[set, set]:
    """PostgreSQL's title-token btree (migration 0016) against the entries it is built from."""
    from tortoise import connections

    conn = connections.get("default")
    held = {(r["term"], r["doc_id"], r["title_len"])
            for r in await conn.execute_query_dict("SELECT term, doc_id, title_len FROM search_title_term")}
    wanted = {(t, doc_id, n) for doc_id, tokens, n in await SearchDoc.all().values_list("id", "title_tokens", "title_len")
              for t in tokens.split()}
    return held - wanted, wanted - held


async def test_title_token_index_follows_every_write(net, gql, client, db):
    if db.name != "postgres":
        pytest.skip("SQLite's FTS5 table is the only index there")
    callers = await make_callers(net)
    assert await _title_terms_out_of_step() == (set(), set())
    renamed = await mutate(client, callers.editor, """
      mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { version } errors { message } } }""",
        input={"id": gid("Site", net.station2.id), "version": net.station2.version, "name": "溪阳义剪服务站"})
    assert renamed["errors"] == []
    deleted = await mutate(client, callers.editor, """
      mutation($input: DeleteInput!) { deleteRecord(input: $input) { id errors { message } } }""",
        input={"id": gid("Site", net.station2.id), "version": renamed["site"]["version"]})
    assert deleted["errors"] == []
    assert await _title_terms_out_of_step() == (set(), set())
    assert await find(gql, "义剪") == []
    restored = await mutate(client, callers.editor, """
      mutation($input: RestoreInput!) { restoreRecord(input: $input) { id errors { message } } }""",
        input={"id": gid("Site", net.station2.id)})
    assert restored["errors"] == []
    assert await _title_terms_out_of_step() == (set(), set())
    assert await find(gql, "义剪") == ["溪阳义剪服务站"]
    await SearchDoc.filter(kind="TEAM").update(title_len=99)  # an UPDATE statement, as a repair script might
    assert await _title_terms_out_of_step() == (set(), set())
    await reindex()
    assert await _title_terms_out_of_step() == (set(), set())


async def test_reports_are_found_only_while_published(net, gql, client):
    from tests import reports_support as rs

    callers = await make_callers(net)
    query = """query($q: String!, $types: [SearchType!], $within: ID) { search(query: $q, types: $types, within: $within) {
      totalCount edges { node { type score snippet { field html } node { ... on Report { title status } } } } } }"""
    report = await rs.write(client, callers.editor, net.station, title="洛阳村義剪進社區活動報道",
                            body="<p>志愿者为八十岁以上老人上门理发。</p>")
    assert (await gql(query, q="义剪"))["search"]["totalCount"] == 0  # a draft is never found
    submitted = await rs.step(client, callers.editor, "submit", report)
    assert (await gql(query, q="义剪"))["search"]["totalCount"] == 0  # nor one in review
    approved = await rs.step(client, callers.admin, "approve", submitted["report"])
    assert approved["errors"] == []
    data = await gql(query, q="义剪")  # found at once, by simplified characters
    assert data["search"]["edges"] == [{"node": {"type": "REPORT", "score": 7, "snippet": {
        "field": "TITLE", "html": "洛阳村<mark>義剪</mark>進社區活動報道"},
        "node": {"title": "洛阳村義剪進社區活動報道", "status": "PUBLISHED"}}}]
    body = (await gql(query, q="上门理发", types=["REPORT"]))["search"]["edges"]
    assert [e["node"]["snippet"] for e in body] == [{"field": "BODY", "html": "志愿者为八十岁以上老人<mark>上门理发</mark>。"}]
    assert (await gql(query, q="义剪", within=gid("Site", net.centre.id)))["search"]["totalCount"] == 1
    assert (await gql(query, q="义剪", within=gid("Site", net.other_centre.id)))["search"]["totalCount"] == 0
    assert (await gql(query, q="义剪", types=["EVENT"]))["search"]["totalCount"] == 0
    # Unpublished: gone; deleted: gone; and wenming reindex agrees at each step.
    unpublished = await rs.step(client, callers.admin, "unpublish", approved["report"])
    assert unpublished["errors"] == []
    assert (await gql(query, q="义剪"))["search"]["totalCount"] == 0
    assert (await reindex())["REPORT"] == 0
    republished = await rs.publish(client, callers.editor, callers.admin, unpublished["report"])
    assert (await gql(query, q="义剪"))["search"]["totalCount"] == 1
    assert (await reindex())["REPORT"] == 1
    assert (await gql(query, q="义剪"))["search"]["totalCount"] == 1
    deleted = await mutate(client, callers.admin, """
      mutation($input: DeleteInput!) { deleteRecord(input: $input) { id errors { message } } }""",
        input={"id": republished["id"], "version": republished["version"]})
    assert deleted["errors"] == []
    assert (await gql(query, q="义剪"))["search"]["totalCount"] == 0
    assert (await reindex())["REPORT"] == 0


async def test_private_people_and_drafts_are_never_found(net, gql):
    assert await find(gql, "李志愿") == []  # a volunteer: not public
    assert await find(gql, "13700000003") == []  # a lecturer's phone
    assert await find(gql, "王主任") == []  # a site's contact
    assert await find(gql, "草稿") == []  # a draft event
    assert await find(gql, "陈宣讲") == ["陈宣讲"]


async def test_the_exact_name_comes_first(net, gql):
    data = await gql(SEARCH, q="洛阳村新时代文明实践站")
    assert names(data)[0] == "洛阳村新时代文明实践站"
    assert data["search"]["edges"][0]["node"]["score"] == 8
    assert [e["node"]["score"] for e in (await gql(SEARCH, q="实践站"))["search"]["edges"]] == [7, 7, 7]
    # Spaces and punctuation aside: the key is the folded title's letters (one btree probe).
    spaced = await gql(SEARCH, q="洛阳村 新時代·文明实践站")
    assert names(spaced)[0] == "洛阳村新时代文明实践站" and spaced["search"]["edges"][0]["node"]["score"] == 8


async def test_an_index_from_before_the_title_key_is_rebuilt(net, gql):
    """Entries written before migration 0019 have no key: serve and migrate reindex once."""
    assert not await index_is_missing()
    await SearchDoc.all().update(title_key=None)
    assert await index_is_missing()
    assert [e["node"]["score"] for e in (await gql(SEARCH, q="洛阳村新时代文明实践站"))["search"]["edges"]][:1] == [7]
    await reindex()
    assert not await index_is_missing()
    assert [e["node"]["score"] for e in (await gql(SEARCH, q="洛阳村新时代文明实践站"))["search"]["edges"]][:1] == [8]


async def test_moving_a_site_moves_its_subtree_in_the_index(net, gql, client):
    callers = await make_callers(net)
    assert "党的二十大精神微宣讲" in await find(gql, "微宣讲", within=gid("Site", net.institute.id))
    # Move the station under the other centre's institute is refused (different county for this editor),
    # so move it as the admin to a new institute under the same centre.
    created = await mutate(client, callers.admin, """
      mutation($input: CreateSiteInput!) { createSite(input: $input) { site { id } errors { message } } }""",
        input={"kind": "INSTITUTE", "name": "马甲镇新时代文明实践所", "parentId": gid("Site", net.centre.id)})
    assert created["errors"] == []
    moved = await mutate(client, callers.admin, """
      mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name } errors { message } } }""",
        input={"id": gid("Site", net.station.id), "version": net.station.version, "parentId": created["site"]["id"]})
    assert moved["errors"] == []
    assert await find(gql, "微宣讲", within=gid("Site", net.institute.id)) == []
    assert await find(gql, "微宣讲", within=created["site"]["id"]) == ["党的二十大精神微宣讲"]


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "EMPTY_QUERY"), ("  ，。！ ", "EMPTY_QUERY"), ("讲" * 51, "TOO_LONG"), (" ".join("abcdefghijklmnopqrstuvwxyz"), "TOO_LONG")],
)
async def test_bad_queries_are_refused_with_a_code(net, gql, query, code):
    errors = await gql.errors(SEARCH, q=query)
    assert errors[0]["extensions"]["code"] == code
    assert "query" in errors[0]["message"]


async def test_bad_cursor_and_window(net, gql):
    errors = await gql.errors(SEARCH, q="宣讲", after="bm90IGEgY3Vyc29y")
    assert errors[0]["extensions"]["code"] == "BAD_CURSOR"
    errors = await gql.errors(SEARCH, q="宣讲", **{"from": "2027-01-02T00:00:00+08:00", "to": "2027-01-01T00:00:00+08:00"})
    assert errors[0]["extensions"]["code"] == "BAD_WINDOW"


async def test_reindex_rebuilds_the_same_index(net):
    before = sorted(await SearchDoc.all().values_list("kind", "object_id", "title_tokens", "body_tokens", "initials_tokens"))
    counts = await reindex()
    assert counts == {"SITE": 9, "TEAM": 2, "LECTURER": 1, "EVENT": 4, "REPORT": 0}
    after = sorted(await SearchDoc.all().values_list("kind", "object_id", "title_tokens", "body_tokens", "initials_tokens"))
    assert after == before


async def test_occurrences_can_be_searched(net, gql):
    query = """query($q: String) { occurrences(from: "2026-03-01T00:00:00+08:00", to: "2026-04-01T00:00:00+08:00", query: $q) {
      edges { node { title } } } }"""
    titles = [e["node"]["title"] for e in (await gql(query, q="宣講"))["occurrences"]["edges"]]
    assert titles and set(titles) == {"党的二十大精神微宣讲", "海上船声筒宣讲"}
    assert (await gql(query, q="理发"))["occurrences"]["edges"] == []
    everything = (await gql(query, q=None))["occurrences"]["edges"]
    assert len(everything) > len(titles)
    errors = await gql.errors(query, q="，")
    assert errors[0]["extensions"]["code"] == "EMPTY_QUERY"


def test_reindex_command_reports_what_it_indexed(tmp_path):
    from tests.test_cli import run

    result = run(["reindex"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Search index built" in result.stderr and "0 sites" in result.stderr, result.stderr
