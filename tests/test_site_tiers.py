"""Tiers above the county (issue 18): a province over cities over county centres.

The test network's two counties (tests/network.py) join a province as they would in a real
deployment: each county centre, a root until then, is moved under its city. Everything a
county can be asked for, a city can: its parents' rules, roles granted on it, and every
`within` (occurrences, stats, sites and subtree counts, search, feeds, boards, sheets)."""

from __future__ import annotations

import pytest

from api.domain import accounts
from api.domain.errors import DomainError
from api.domain.sites import create_site, move_site
from api.models.accounts import Role
from api.models.sites import Site, SiteKind
from api.search.index import reindex
from tests.auth_support import mutate, post
from tests.network import Network, build, gid

K = SiteKind
MARCH = {"from": "2026-03-01T00:00:00+08:00", "to": "2026-04-01T00:00:00+08:00"}


async def _province() -> tuple[Network, Site, Site, Site]:
    net = await build()
    province = await create_site(kind=K.PROVINCE, name="闽海省新时代文明实践指导中心", region_code="350000")
    city = await create_site(kind=K.CITY, name="温陵市新时代文明实践中心", parent=province, region_code="359900")
    other_city = await create_site(kind=K.CITY, name="三山市新时代文明实践中心", parent=province, region_code="350100")
    net.centre = await move_site(net.centre, city)
    net.other_centre = await move_site(net.other_centre, other_city)
    await reindex()  # the network was built through the domain, not audited writes
    return net, province, city, other_city


async def _refused(kind: SiteKind, parent: Site | None) -> str:
    with pytest.raises(DomainError) as refused:
        await create_site(kind=kind, parent=parent, name="新阵地")
    assert refused.value.code == "BAD_PARENT"
    return str(refused.value)


async def test_the_tiers_above_the_county_have_their_parent_rules(db):
    net, province, city, _ = await _province()
    station = await Site.get(id=net.station.id)
    assert station.path == f"{province.path}{city.id}/{net.centre.id}/{net.institute.id}/{station.id}/"
    assert station.depth == 4

    # A county-only deployment stays valid: a centre may still be a root, and so may a city.
    assert (await create_site(kind=K.CENTER, name="独立县中心")).parent_id is None
    assert (await create_site(kind=K.CITY, name="独立市中心")).parent_id is None
    assert (await create_site(kind=K.BASE, name="省级示范基地", parent=province)).path.startswith(province.path)

    assert "root site and takes no parent" in await _refused(K.PROVINCE, city)
    assert "allowed parents: PROVINCE or none" in await _refused(K.CITY, city)
    assert "allowed parents: CITY or none" in await _refused(K.CENTER, province)
    await _refused(K.INSTITUTE, city)  # a township belongs to a county, not to the city itself
    await _refused(K.STATION, province)
    with pytest.raises(DomainError):
        await move_site(city, net.centre)  # a city under a county: the wrong way up


async def test_a_city_editor_edits_its_own_counties_and_no_other(client, db):
    net, province, city, other_city = await _province()
    account = await accounts.create_account("city-desk")
    await accounts.grant(account, city, Role.EDITOR)
    _, token = await accounts.create_token("city desk", account=account)
    rename = "mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name } errors { code message } } }"

    station = await Site.get(id=net.station.id)
    mine = await mutate(client, token, rename, input={"id": gid("Site", station.id), "version": station.version, "name": "洛阳村实践站"})
    assert mine == {"site": {"name": "洛阳村实践站"}, "errors": []}

    other = await Site.get(id=net.other_station.id)
    theirs = await mutate(client, token, rename, input={"id": gid("Site", other.id), "version": other.version, "name": "改名"})
    assert theirs["site"] is None and theirs["errors"][0]["code"] == "OUT_OF_SCOPE"
    assert (await Site.get(id=other.id)).name == other.name

    create = "mutation($input: CreateSiteInput!) { createSite(input: $input) { site { kind parent { name } } errors { code } } }"
    county = await mutate(client, token, create, input={"kind": "CENTER", "name": "新设区中心", "parentId": gid("Site", city.id)})
    assert county == {"site": {"kind": "CENTER", "parent": {"name": city.name}}, "errors": []}
    elsewhere = await mutate(client, token, create, input={"kind": "CENTER", "name": "别市区中心", "parentId": gid("Site", other_city.id)})
    assert elsewhere["errors"][0]["code"] == "OUT_OF_SCOPE"
    # The province's own (network-wide) things need a role on the province, the root.
    platform = await post(client, token, 'mutation { createPlatform(input: {code: "X", name: "新平台", leadUnit: "市"}) { errors { code } } }')
    assert platform.json()["data"]["createPlatform"]["errors"][0]["code"] in ("OUT_OF_SCOPE", "FORBIDDEN")


async def test_within_a_city_works_everywhere(client, gql, db):
    net, province, city, other_city = await _province()
    mine, theirs = net.weekly.title, net.elsewhere.title

    data = await gql("query($w: ID!, $from: DateTime!, $to: DateTime!) { occurrences(within: $w, from: $from, to: $to, first: 100) { edges { node { title } } } }",
                     w=gid("Site", city.id), **MARCH)
    titles = {e["node"]["title"] for e in data["occurrences"]["edges"]}
    assert mine in titles and net.fair.title in titles and theirs not in titles

    data = await gql("query($w: ID!) { stats(within: $w, from: \"2026-03-01\", to: \"2026-03-31\") { sites { total byKind { kind count } } } }",
                     w=gid("Site", city.id))
    by_kind = {k["kind"]: k["count"] for k in data["stats"]["sites"]["byKind"]}
    assert by_kind.get("CITY") == 1 and by_kind.get("CENTER") == 1 and by_kind.get("STATION") == 2
    assert data["stats"]["sites"]["total"] == await Site.filter(path__startswith=city.path).count()

    data = await gql("query($id: ID!) { site(id: $id) { kind subtreeCounts { kind count } children { name } } }", id=gid("Site", province.id))
    counts = {c["kind"]: c["count"] for c in data["site"]["subtreeCounts"]}
    assert data["site"]["kind"] == "PROVINCE" and counts["CITY"] == 2 and counts["CENTER"] == 2 and counts["PROVINCE"] == 0
    assert {c["name"] for c in data["site"]["children"]} == {city.name, other_city.name}

    data = await gql("query($w: ID!) { sites(within: $w, first: 100) { edges { node { name } } } }", w=gid("Site", city.id))
    names = {e["node"]["name"] for e in data["sites"]["edges"]}
    assert net.centre.name in names and net.station.name in names and net.other_station.name not in names

    search = ("query($q: String!, $w: ID!) { search(query: $q, within: $w, first: 20) "
              "{ edges { node { node { ... on Event { title } } } } } }")
    found = await gql(search, q="宣讲", w=gid("Site", city.id))
    hits = {e["node"]["node"].get("title") for e in found["search"]["edges"]}
    assert mine in hits and theirs not in hits
    found = await gql(search, q="宣讲", w=gid("Site", other_city.id))
    assert theirs in {e["node"]["node"].get("title") for e in found["search"]["edges"]}

    feed = await client.get(f"/feeds/sites/{city.id}.ics", params={"subtree": "1", "from": "2026-03-01", "to": "2026-04-01"})
    assert feed.status_code == 200, feed.text
    assert mine in feed.text and theirs not in feed.text

    board = await gql("query($s: ID!) { board(site: $s, within: true) { site { kind } within } }", s=gid("Site", city.id))
    assert board["board"] == {"site": {"kind": "CITY"}, "within": True}

    sheet = await client.get("/sheets/export/events.csv", params={"within": str(city.id)})
    assert sheet.status_code == 200, sheet.text
    assert mine in sheet.text and theirs not in sheet.text
    sites = await client.get("/sheets/export/sites.csv", params={"within": str(province.id)})
    assert "市" in sites.text and city.name in sites.text and other_city.name in sites.text
