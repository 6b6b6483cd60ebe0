"""Callers for permission tests: accounts and tokens with roles on parts of tests/network.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from api.domain import accounts, clock
from api.models.accounts import ApiToken, Role
from tests.network import Network


@dataclass
class Callers:
    """Bearer secrets, one per kind of caller."""

    admin: str  # ADMIN on the centre (the whole county)
    editor: str  # EDITOR on the institute (the township): the right subtree for institute tests
    sibling_editor: str  # EDITOR on station2, a sibling of the station below the institute
    other_editor: str  # EDITOR on the other centre: a different county
    viewer: str  # VIEWER on the institute
    expired: str  # EDITOR on the institute, expired
    revoked: str  # EDITOR on the institute, revoked


async def make_callers(net: Network) -> Callers:
    async def personal(username: str, site, role: Role) -> str:
        account = await accounts.create_account(username)
        await accounts.grant(account, site, role)
        return (await accounts.create_token(f"{username}'s token", account=account))[1]

    expired_token, expired = await accounts.create_token("expired", site=net.institute, role=Role.EDITOR,
                                                         expires_at=clock.now() + timedelta(days=1))
    await ApiToken.filter(id=expired_token.id).update(expires_at=clock.now() - timedelta(minutes=1))
    revoked_token, revoked = await accounts.create_token("revoked", site=net.institute, role=Role.EDITOR)
    await accounts.revoke_token(revoked_token)
    return Callers(
        admin=await personal("admin", net.centre, Role.ADMIN),
        editor=await personal("editor", net.institute, Role.EDITOR),
        sibling_editor=(await accounts.create_token("station2 desk", site=net.station2, role=Role.EDITOR))[1],
        other_editor=await personal("other", net.other_centre, Role.EDITOR),
        viewer=(await accounts.create_token("kiosk", site=net.institute, role=Role.VIEWER))[1],
        expired=expired,
        revoked=revoked,
    )


async def post(client: httpx.AsyncClient, token: str | None, query: str, **variables) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def mutate(client: httpx.AsyncClient, token: str | None, query: str, **variables) -> dict:
    """The mutation's payload (the only root field), asserting the request itself succeeded."""
    response = await post(client, token, query, **variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    (payload,) = body["data"].values()
    return payload


async def upload(client: httpx.AsyncClient, token: str | None, query: str, input: dict, files: dict[str, bytes]) -> httpx.Response:
    """A GraphQL multipart request (the upload spec): the input's files travel as form parts."""
    import json

    variables = {"input": {**input, **{k: None for k in files}}}
    mapping = {str(i): [f"variables.input.{k}"] for i, k in enumerate(files)}
    parts = {str(i): (f"{k}.bin", files[k], "application/octet-stream") for i, k in enumerate(files)}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", data={"operations": json.dumps({"query": query, "variables": variables}),
                                               "map": json.dumps(mapping)}, files=parts, headers=headers)
