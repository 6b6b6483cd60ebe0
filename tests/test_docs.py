"""Every GraphQL example in docs/ runs without errors against a small network."""

import json
import re
from pathlib import Path

import pytest

from tests.network import build

DOCS = Path(__file__).parent.parent / "docs"
EXAMPLE = re.compile(r"```graphql\n(?P<query>.*?)```\s*(?:```json\n(?P<variables>.*?)```)?", re.DOTALL)


def examples() -> list[tuple[str, str, dict]]:
    found = []
    for page in sorted(DOCS.glob("*.md")) + [DOCS.parent / "README.md"]:
        for i, m in enumerate(EXAMPLE.finditer(page.read_text(encoding="utf-8"))):
            found.append((f"{page.name}#{i + 1}", m["query"], json.loads(m["variables"] or "{}")))
    return found


def test_the_docs_have_examples():
    assert len(examples()) >= 5


@pytest.mark.parametrize(("where", "query", "variables"), examples(), ids=[e[0] for e in examples()])
async def test_example_runs(gql, db, where, query, variables):
    await build()
    body = await gql.raw(query, **variables)
    assert "errors" not in body, (where, body.get("errors"))
    assert any(v for v in body["data"].values()), f"{where} returned nothing: {body}"
