"""The examples of docs/volunteers.md, run in order; each answer must match the page."""

from __future__ import annotations

import json
import re
from pathlib import Path

from datetime import timedelta

from api.domain.clock import now
from api.domain.events import create_event
from api.models.events import EventKind, EventStatus
from tests.orders_support import matches
from tests.volunteers_support import drive_setup, occurrence_gid

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
    start = now().replace(microsecond=0) - timedelta(minutes=30)
    on_now = await create_event(kind=EventKind.ACTIVITY, title="洛阳村敬老志愿服务", platform_id=drive.net.culture.id,
                                site_id=drive.net.station.id, starts_at=start, ends_at=start + timedelta(hours=2),
                                status=EventStatus.PUBLISHED)
    callers = {"admin": drive.callers.admin, "editor": drive.callers.editor, "kiosk": drive.callers.viewer, "anyone": None}
    values = {"<occurrence>": drive.occurrence_id, "<now>": occurrence_gid(on_now)}
    examples = list(EXAMPLE.finditer(DOC.read_text(encoding="utf-8")))
    assert len(examples) >= 15
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
        if code := (data.get("checkinCode") or {}).get("code"):
            values["wmc1…"] = code
        matches(json.loads(m["answer"]), body, f"docs/volunteers.md example {i + 1}")
