"""docs/reports.md: every example runs, in order, as the caller it names, and answers as shown."""

from __future__ import annotations

import re
from pathlib import Path

from tests.auth_support import make_callers
from tests.network import build
from tests.orders_support import EXAMPLE, Example, matches

DOC = Path(__file__).resolve().parents[1] / "docs" / "reports.md"


def doc_examples() -> list[Example]:
    import json

    return [Example(m["caller"], m["query"], json.loads(m["variables"] or "{}"), json.loads(m["answer"]))
            for m in EXAMPLE.finditer(DOC.read_text(encoding="utf-8"))]


async def test_the_reports_page_examples_run_as_shown(client):
    net = await build()
    callers = await make_callers(net)
    tokens = {"admin": callers.admin, "editor": callers.editor, "anyone": None}
    examples = doc_examples()
    assert len(examples) >= 6
    for i, example in enumerate(examples):
        secret = tokens[example.caller]
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        body = (await client.post("/graphql", json={"query": example.query, "variables": example.variables},
                                  headers=headers)).json()
        matches(example.answer, body, f"docs/reports.md example {i + 1}")
    shown = {m for e in examples for m in re.findall(r"(\w+Report)\(", e.query)}
    assert {"createReport", "submitReport", "approveReport"} <= shown
