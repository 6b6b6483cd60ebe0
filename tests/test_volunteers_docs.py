"""The examples of docs/volunteers.md, run in order; each answer must match the page."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.orders_support import matches
from tests.volunteers_support import drive_setup

DOC = Path(__file__).parent.parent / "docs" / "volunteers.md"
EXAMPLE = re.compile(
    r"```graphql example:(?P<caller>\w+)\n(?P<query>.*?)```\s*"
    r"(?:Variables:\s*```json\n(?P<variables>.*?)```\s*)?"
    r"Answer:\s*```json\n(?P<answer>.*?)```",
    re.DOTALL,
)


def fill(value, values: dict[str, str]):
    """Put the run's tokens and occurrence id where the page writes vol_…, sgn_… or <occurrence>."""
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return values.get(value, value) if isinstance(value, str) else value


async def test_every_example_answers_as_documented(client):
    drive = await drive_setup(capacity=None)
    callers = {"admin": drive.callers.admin, "editor": drive.callers.editor, "anyone": None}
    values = {"<occurrence>": drive.occurrence_id}
    examples = list(EXAMPLE.finditer(DOC.read_text(encoding="utf-8")))
    assert len(examples) >= 8
    for i, m in enumerate(examples):
        secret = callers[m["caller"]]
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        variables = fill(json.loads(m["variables"] or "{}"), values)
        body = (await client.post("/graphql", json={"query": m["query"], "variables": variables}, headers=headers)).json()
        data = body.get("data") or {}
        if token := (data.get("registerVolunteer") or {}).get("token"):
            values["vol_…"] = token
        if (token := (data.get("signUp") or {}).get("token")) and data["signUp"]["signup"]["status"] == "WAITING":
            values["sgn_…"] = token  # the page follows the resident's sign-up
        matches(json.loads(m["answer"]), body, f"docs/volunteers.md example {i + 1}")
