"""Managing access over GraphQL: tokens shown once and revocable, accounts and roles, the audit log."""

from __future__ import annotations

from tests.auth_support import make_callers, mutate, post
from tests.network import build, gid

SERVICE_TOKEN = """mutation($input: CreateServiceTokenInput!) { createServiceToken(input: $input) {
  secret token { id name prefix role siteName } errors { field message code } } }"""
REVOKE = """mutation($input: RevokeTokenInput!) { revokeToken(input: $input) { token { revokedAt } errors { code } } }"""
ME = "{ me { label grants { role siteName } } }"
RENAME = """mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name } errors { code } } }"""
AUDIT = """query($within: ID!, $actor: String) { auditLog(within: $within, actor: $actor) {
  edges { node { actor action objectType objectId before after } } } }"""
CREATE_ACCOUNT = """mutation($input: CreateAccountInput!) { createAccount(input: $input) { username errors { field code message } } }"""


async def test_an_admin_issues_a_kiosk_token_that_works_until_revoked(client):
    net = await build()
    callers = await make_callers(net)
    created = await mutate(client, callers.admin, SERVICE_TOKEN, input={
        "name": "河市镇触屏机", "siteId": gid("Site", net.institute.id), "role": "VIEWER"})
    assert created["errors"] == [] and created["secret"].startswith(created["token"]["prefix"])
    me = (await post(client, created["secret"], ME)).json()["data"]["me"]
    assert me["grants"] == [{"role": "VIEWER", "siteName": net.institute.name}]
    # The kiosk token reads but cannot write.
    denied = await mutate(client, created["secret"], RENAME, input={
        "id": gid("Site", net.station.id), "version": net.station.version, "name": "x"})
    assert denied["errors"][0]["code"] == "FORBIDDEN"
    revoked = await mutate(client, callers.admin, REVOKE, input={"id": created["token"]["id"]})
    assert revoked["errors"] == [] and revoked["token"]["revokedAt"]
    assert (await post(client, created["secret"], ME)).status_code == 401
    assert (await post(client, None, ME)).json()["data"]["me"] is None


async def test_an_editor_cannot_issue_tokens_or_accounts(client):
    net = await build()
    callers = await make_callers(net)
    refused = await mutate(client, callers.editor, SERVICE_TOKEN, input={
        "name": "x", "siteId": gid("Site", net.institute.id), "role": "EDITOR"})
    assert refused["secret"] is None and refused["errors"][0]["code"] == "FORBIDDEN"
    refused = await mutate(client, callers.editor, CREATE_ACCOUNT, input={
        "username": "new", "siteId": gid("Site", net.station.id), "role": "EDITOR"})
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    created = await mutate(client, callers.admin, CREATE_ACCOUNT, input={
        "username": "new", "siteId": gid("Site", net.station.id), "role": "EDITOR"})
    assert created == {"username": "new", "errors": []}
    duplicate = await mutate(client, callers.admin, CREATE_ACCOUNT, input={
        "username": "new", "siteId": gid("Site", net.station.id), "role": "EDITOR"})
    assert duplicate["errors"][0]["code"] == "DUPLICATE" and duplicate["errors"][0]["field"] == ["input", "username"]


async def test_the_audit_log_shows_who_changed_what_to_admins_of_the_subtree_only(client):
    net = await build()
    callers = await make_callers(net)
    await mutate(client, callers.editor, RENAME, input={
        "id": gid("Site", net.station.id), "version": net.station.version, "name": "洛阳村实践站"})
    body = (await post(client, callers.admin, AUDIT, within=gid("Site", net.institute.id))).json()
    (entry,) = [e["node"] for e in body["data"]["auditLog"]["edges"]]
    assert entry["actor"] == "account editor" and entry["action"] == "UPDATE"
    assert entry["objectId"] == gid("Site", net.station.id)
    assert entry["before"]["name"] == net.station.name and entry["after"]["name"] == "洛阳村实践站"
    assert entry["after"]["version"] == net.station.version + 1
    nobody = (await post(client, callers.admin, AUDIT, within=gid("Site", net.institute.id), actor="account other")).json()
    assert nobody["data"]["auditLog"]["edges"] == []
    for token, words in [(callers.editor, "needs ADMIN"), (callers.other_editor, "outside your scope")]:
        body = (await post(client, token, AUDIT, within=gid("Site", net.institute.id))).json()
        assert body["data"] is None and words in body["errors"][0]["message"]
    other = (await post(client, callers.admin, AUDIT, within=gid("Site", net.other_centre.id))).json()
    assert other["data"] is None and "outside your scope" in other["errors"][0]["message"]


async def test_a_bad_token_gets_a_graphql_error_with_401_and_www_authenticate(client):
    net = await build()
    callers = await make_callers(net)
    response = await post(client, callers.expired, ME)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and "expired" in error["message"]
    malformed = await client.post("/graphql", json={"query": ME}, headers={"Authorization": "Token abc"})
    assert malformed.status_code == 401 and "Bearer <token>" in malformed.json()["errors"][0]["message"]


async def test_a_centre_admin_sees_network_wide_writes_in_the_audit_log(client):
    net = await build()
    callers = await make_callers(net)
    body = (await post(client, callers.admin, """mutation { createPlatform(input: {code: "HEALTH", name: "卫生健康"}) {
      platform { id } errors { code } } }""")).json()
    assert body["data"]["createPlatform"]["errors"] == []
    centre_log = (await post(client, callers.admin, AUDIT, within=gid("Site", net.centre.id))).json()
    assert [e["node"]["objectType"] for e in centre_log["data"]["auditLog"]["edges"]] == ["Platform"]
    institute_log = (await post(client, callers.admin, AUDIT, within=gid("Site", net.institute.id))).json()
    assert institute_log["data"]["auditLog"]["edges"] == []
