"""Editing sites over GraphQL: tokens, scopes, versions, audit, soft delete and restore."""

from __future__ import annotations

from api.models.audit import AuditEntry
from api.models.sites import Site
from tests.auth_support import make_callers, mutate, post
from tests.network import build, gid

CREATE = """mutation($input: CreateSiteInput!) { createSite(input: $input) {
  site { id name kind } errors { field message code } } }"""
UPDATE = """mutation($input: UpdateSiteInput!) { updateSite(input: $input) {
  site { id name } errors { field message code } } }"""
DELETE = """mutation($input: DeleteInput!) { deleteRecord(input: $input) { id errors { field message code } } }"""
RESTORE = """mutation($input: RestoreInput!) { restoreRecord(input: $input) { id errors { field message code } } }"""


async def test_editor_creates_a_station_in_their_township_and_it_is_audited(client):
    net = await build()
    callers = await make_callers(net)
    payload = await mutate(client, callers.editor, CREATE, input={
        "kind": "STATION", "name": "新村新时代文明实践站", "parentId": gid("Site", net.institute.id)})
    assert payload["errors"] == []
    assert payload["site"]["name"] == "新村新时代文明实践站"
    entry = await AuditEntry.get(object_type="Site", action="CREATE")
    assert entry.actor == "account editor" and entry.site_path.startswith(net.institute.path)
    assert entry.after["name"] == "新村新时代文明实践站"


async def test_out_of_scope_and_wrong_kind_change_nothing(client):
    net = await build()
    callers = await make_callers(net)
    before = await Site.all().count()
    payload = await mutate(client, callers.sibling_editor, CREATE, input={
        "kind": "STATION", "name": "越权站", "parentId": gid("Site", net.institute.id)})
    assert payload["site"] is None
    assert payload["errors"][0]["code"] == "OUT_OF_SCOPE" and payload["errors"][0]["field"] == ["input", "parentId"]
    payload = await mutate(client, callers.editor, CREATE, input={
        "kind": "INSTITUTE", "name": "错级所", "parentId": gid("Site", net.institute.id)})
    assert payload["errors"][0]["code"] == "BAD_PARENT"
    assert await Site.all().count() == before
    assert await AuditEntry.all().count() == 0


async def test_a_stale_version_is_a_conflict_not_an_overwrite(client):
    net = await build()
    callers = await make_callers(net)
    site_id = gid("Site", net.station.id)
    first = await mutate(client, callers.editor, UPDATE, input={"id": site_id, "version": net.station.version, "name": "改名一"})
    assert first["errors"] == []
    second = await mutate(client, callers.admin, UPDATE, input={"id": site_id, "version": net.station.version, "name": "改名二"})
    assert second["errors"][0]["code"] == "CONFLICT"
    assert (await Site.get(id=net.station.id)).name == "改名一"


async def test_a_move_that_would_make_a_cycle_is_refused(client):
    net = await build()
    callers = await make_callers(net)
    payload = await mutate(client, callers.admin, UPDATE, input={
        "id": gid("Site", net.institute.id), "version": net.institute.version, "parentId": gid("Site", net.station.id)})
    assert payload["errors"][0]["code"] == "CYCLE"


async def test_bad_tokens_are_refused_with_401_and_anonymous_cannot_write(client):
    net = await build()
    callers = await make_callers(net)
    variables = {"input": {"kind": "STATION", "name": "x", "parentId": gid("Site", net.institute.id)}}
    for token, words in [(callers.expired, "expired"), (callers.revoked, "revoked"), ("wm_nonsense", "not known")]:
        response = await post(client, token, CREATE, **variables)
        assert response.status_code == 401 and words in response.text
    body = (await post(client, None, CREATE, **variables)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Site.filter(name="x").count() == 0


async def test_delete_then_restore_brings_the_site_back(client, gql):
    net = await build()
    callers = await make_callers(net)
    point_name = "河市中学实践点"
    point = await Site.get(name=point_name)
    deleted = await mutate(client, callers.editor, DELETE, input={"id": gid("Site", point.id), "version": point.version})
    assert deleted["errors"] == []
    assert (await gql("{ sites(name: \"河市中学\") { edges { node { name } } } }"))["sites"]["edges"] == []
    busy = await mutate(client, callers.admin, DELETE, input={"id": gid("Site", net.station.id), "version": net.station.version})
    assert busy["errors"][0]["code"] == "IN_USE"
    restored = await mutate(client, callers.editor, RESTORE, input={"id": gid("Site", point.id)})
    assert restored["errors"] == []
    names = [e["node"]["name"] for e in (await gql("{ sites(name: \"河市中学\") { edges { node { name } } } }"))["sites"]["edges"]]
    assert names == [point_name]
    assert [e.action for e in await AuditEntry.filter(object_id=point.id, object_type="Site")] == ["DELETE", "RESTORE"]


async def test_too_long_text_fields_are_named_and_change_nothing(client):
    """Every bounded text field is checked before the write: a clear TOO_LONG on that field,
    never "Internal error" from the database layer, and the site as it was."""
    net = await build()
    callers = await make_callers(net)
    site_id = gid("Site", net.station.id)
    for field, limit in (("address", 200), ("openingHours", 200), ("contactName", 50), ("contactPhone", 30)):
        payload = await mutate(client, callers.editor, UPDATE, input={
            "id": site_id, "version": net.station.version, field: "长" * (limit + 1)})
        assert payload["site"] is None, (field, payload)
        assert payload["errors"][0]["code"] == "TOO_LONG" and payload["errors"][0]["field"][-1] == field, payload
        created = await mutate(client, callers.editor, CREATE, input={
            "kind": "STATION", "name": "超长站", "parentId": gid("Site", net.institute.id), field: "长" * (limit + 1)})
        assert created["errors"][0]["code"] == "TOO_LONG", (field, created)
    assert (await Site.get(id=net.station.id)).version == net.station.version
    assert not await Site.filter(name="超长站").exists()
