"""GraphQL over HTTP: methods, media types, status codes, limits and error masking."""

import pytest

from schema.core.protection import MAX_ALIASES, MAX_DEPTH, should_mask
from tests.network import build

QUERY = "{ platforms { code name } }"


async def test_post_and_get_answer_the_same(client, db):
    await build()
    post = await client.post("/graphql", json={"query": QUERY})
    get = await client.get("/graphql", params={"query": QUERY})
    assert post.status_code == get.status_code == 200
    assert post.json() == get.json()
    assert post.json()["data"]["platforms"][0] == {"code": "THEORY", "name": "理论宣讲"}
    # Chinese stays readable on the wire, not \\u escapes.
    assert "理论宣讲".encode() in post.content


async def test_graphql_response_json_when_asked(client, db):
    headers = {"accept": "application/graphql-response+json"}
    ok = await client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert invalid.status_code == 400
    assert "Cannot query field 'nope'" in invalid.json()["errors"][0]["message"]
    syntax = await client.post("/graphql", json={"query": "{ platforms { "}, headers=headers)
    assert syntax.status_code == 400
    # Plain application/json keeps 200 for a well-formed request with errors (legacy clients).
    legacy = await client.post("/graphql", json={"query": "{ nope }"})
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")


async def test_mutations_are_never_run_over_get(client, db):
    response = await client.get("/graphql", params={"query": "mutation { anything }"})
    assert response.status_code == 405 and response.headers["allow"] == "POST"


async def test_bad_requests_get_4xx_not_500(client, db):
    assert (await client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})).status_code == 400
    assert (await client.post("/graphql", json={"variables": {}})).status_code == 400
    assert (await client.put("/graphql", json={"query": QUERY})).status_code == 405
    wrong_variable = await client.post("/graphql", json={"query": "query($n: Int) { sites(first: $n) { totalCount } }",
                                                         "variables": {"n": "many"}})
    assert wrong_variable.status_code == 200
    assert "Int cannot represent non-integer value" in wrong_variable.json()["errors"][0]["message"]


async def test_depth_limit(client, db):
    nested = "children { " * MAX_DEPTH + "name" + " }" * MAX_DEPTH
    body = (await client.post("/graphql", json={"query": "{ sites { edges { node { %s } } } }" % nested})).json()
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_alias_limit(client, db):
    aliases = " ".join(f"a{i}: platforms {{ code }}" for i in range(MAX_ALIASES + 1))
    body = (await client.post("/graphql", json={"query": "{ %s }" % aliases})).json()
    assert "aliases found" in body["errors"][0]["message"]


async def test_token_limit(client, db):
    fields = " ".join(["code"] * 2100)
    body = (await client.post("/graphql", json={"query": "{ platforms { %s } }" % fields})).json()
    assert "exceeds the maximum number of tokens" in body["errors"][0]["message"].lower() or "token" in body["errors"][0]["message"].lower()
    assert body.get("data") is None


async def test_internal_errors_are_masked_and_user_errors_are_not(client, db, monkeypatch):
    import schema.network.queries as queries
    from api.models.platforms import Platform

    def broken(*args, **kwargs):
        raise RuntimeError("password=hunter2 at db.internal:5432")

    monkeypatch.setattr(Platform, "filter", classmethod(broken))
    body = (await client.post("/graphql", json={"query": QUERY})).json()
    assert body["errors"][0]["message"] == "Internal error; it has been logged."
    assert "hunter2" not in str(body)
    assert queries  # the same request with a user error stays readable:
    body = (await client.post("/graphql", json={"query": "{ sites(first: 500) { totalCount } }"})).json()
    assert body["errors"][0]["message"] == "first must be between 0 and 100, got 500"


@pytest.mark.parametrize("message", ["boom"])
def test_mask_predicate_keeps_validation_errors(message):
    from graphql import GraphQLError

    assert not should_mask(GraphQLError(message))
    assert should_mask(GraphQLError(message, original_error=KeyError(message)))


async def test_health(client, db):
    response = await client.get("/health")
    assert response.json() == {"status": "ok"}
