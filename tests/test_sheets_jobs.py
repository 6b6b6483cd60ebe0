"""Background imports (docs/sheets.md, "A long import"): started over real HTTP with a GraphQL
multipart upload, followed over a real WebSocket (graphql-transport-ws), read by polling; the
same report as the synchronous importSheet; a bad sheet ends FAILED and writes nothing; no other
token can read the job."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from api.app import create_app
from api.models.audit import AuditEntry
from api.models.sites import Site
from api.settings import Settings
from tests.auth_support import make_callers
from tests.live_support import serving
from tests.network import build, gid
from tests.orders_support import desk_socket
from tests.sheets_support import sheet_rows, xlsx
from tests.test_sheets_http import IMPORT_SHEET

INSTITUTE = "洛江区新时代文明实践中心/河市镇新时代文明实践所"
STATIONS = 600  # enough rows for the job to be seen part-way (a hundred steps of six rows)



def documented(name: str) -> str:
    """docs/sheets.md's GraphQL block that begins with the comment `# name:` (marked, so that
    tests/test_docs.py, which runs plain blocks against the demo, leaves it out)."""
    text = (Path(__file__).parent.parent / "docs" / "sheets.md").read_text()
    return re.search(rf"```graphql \w+\n(# {name}:.*?)```", text, re.DOTALL).group(1)


START, PROGRESS, READ = documented("start"), documented("follow"), documented("poll")


def stations(count: int) -> bytes:
    rows = [{"上级": INSTITUTE, "名称": f"第{n:04d}村新时代文明实践站", "类型": "站"} for n in range(count)]
    return xlsx(sheet_rows("sites", *rows))


async def multipart(http: httpx.AsyncClient, token: str, query: str, input: dict, content: bytes) -> dict:
    operations = json.dumps({"query": query, "variables": {"input": {**input, "file": None}}})
    response = await http.post("/graphql", data={"operations": operations, "map": json.dumps({"0": ["variables.input.file"]})},
                               files={"0": ("sites.xlsx", content, "application/octet-stream")},
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


async def follow(url: str, token: str, job_id: str) -> list[dict]:
    """Every message of importJobProgress until the job ends (the subscription completes)."""
    seen = []
    async with desk_socket(url, init={"authorization": f"Bearer {token}"}) as socket:
        await socket.subscribe(PROGRESS, id=job_id)
        while True:
            payload = await socket.next()
            assert "errors" not in payload, payload
            seen.append(payload["data"]["importJobProgress"])
            if seen[-1]["state"] in ("DONE", "FAILED"):
                return seen


async def test_a_long_import_reports_progress_and_ends_as_the_sync_import_would(db, settings: Settings):
    net = await build()
    callers = await make_callers(net)
    sheet = stations(STATIONS)
    async with serving(create_app(settings, manage_db=False)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=600) as http:  # a loaded machine is slow; never a hang
            # The synchronous path's report, checked only: the job's must be the same.
            sync = (await multipart(http, callers.editor, IMPORT_SHEET, {"kind": "SITES", "dryRun": True}, sheet))
            expected = sync["data"]["importSheet"]["report"]
            assert expected["created"] == STATIONS

            started = (await multipart(http, callers.editor, START, {"kind": "SITES"}, sheet))["data"]["startSheetImport"]
            assert started["errors"] == [] and started["job"]["state"] in ("QUEUED", "RUNNING", "DONE")
            job_id = started["job"]["id"]
            seen = await follow(server.ws_url, callers.editor, job_id)

            done = [m["rowsDone"] for m in seen if m["phase"] == "WRITING"]
            assert len(set(done)) >= 10, f"too few progress steps: {done}"
            assert done == sorted(done) and done[-1] == STATIONS
            assert {m["rowsTotal"] for m in seen if m["phase"] == "WRITING"} == {STATIONS}
            final = seen[-1]
            assert final["state"] == "DONE" and final["errors"] == [] and final["finishedAt"] >= final["startedAt"]
            assert final["report"] == {k: expected[k] for k in final["report"]} | {"written": True}
            assert await Site.filter(name__startswith="第", parent_id=net.institute.id).count() == STATIONS
            assert await AuditEntry.filter(action="CREATE", object_type="Site").count() >= STATIONS

            # Polling gives the same ended job; another token (even an editor of the same
            # township) cannot read it, nor follow it; an ADMIN over the county can.
            polled = await http.post("/graphql", json={"query": READ, "variables": {"id": job_id}},
                                     headers={"Authorization": f"Bearer {callers.editor}"})
            assert polled.json()["data"]["importJob"] == final
            for other in (callers.viewer, callers.other_editor, callers.sibling_editor):
                refused = await http.post("/graphql", json={"query": READ, "variables": {"id": job_id}},
                                          headers={"Authorization": f"Bearer {other}"})
                assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
                assert "data" not in refused.json() or refused.json()["data"] is None
            admin = await http.post("/graphql", json={"query": READ, "variables": {"id": job_id}},
                                    headers={"Authorization": f"Bearer {callers.admin}"})
            assert admin.json()["data"]["importJob"]["state"] == "DONE"
            async with desk_socket(server.ws_url, init={"authorization": f"Bearer {callers.other_editor}"}) as socket:
                await socket.subscribe(PROGRESS, id=job_id)
                assert (await socket.next())["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_bad_sheet_ends_failed_with_its_row_errors_and_writes_nothing(db, settings: Settings):
    net = await build()
    callers = await make_callers(net)
    rows = [{"上级": INSTITUTE, "名称": f"第{n:03d}村新时代文明实践站", "类型": "站"} for n in range(300)]
    rows[150] = {"上级": INSTITUTE, "名称": "某站", "类型": "村"}
    rows[200] = {"上级": "泉港区新时代文明实践中心", "名称": "越界站", "类型": "站"}
    before = await Site.all().count(), await AuditEntry.all().count()
    async with serving(create_app(settings, manage_db=False)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=600) as http:  # a loaded machine is slow; never a hang
            started = (await multipart(http, callers.editor, START, {"kind": "SITES"}, xlsx(sheet_rows("sites", *rows))))
            job_id = started["data"]["startSheetImport"]["job"]["id"]
            final = (await follow(server.ws_url, callers.editor, job_id))[-1]
            assert final["state"] == "FAILED" and final["report"]["written"] is False
            assert [(e["row"], e["header"]) for e in final["report"]["rowErrors"]] == [(152, "类型"), (202, "上级")]
            # The row refused for the caller's rights is also the job's error, as importSheet answers.
            assert [e["code"] for e in final["errors"]] == ["OUT_OF_SCOPE"]
            assert (await Site.all().count(), await AuditEntry.all().count()) == before

            # A file that cannot be read fails with why; a start outside the caller's scope is refused at once.
            broken = await multipart(http, callers.editor, START, {"kind": "SITES"}, b"PK\x03\x04 not a workbook")
            final = (await follow(server.ws_url, callers.editor, broken["data"]["startSheetImport"]["job"]["id"]))[-1]
            assert final["state"] == "FAILED" and final["report"] is None
            assert [e["code"] for e in final["errors"]] == ["BAD_FILE"]
            elsewhere = await multipart(http, callers.editor, START, {"kind": "SITES", "withinId": gid("Site", net.other_centre.id)},
                                        xlsx(sheet_rows("sites", *rows[:1])))
            payload = elsewhere["data"]["startSheetImport"]
            assert payload["job"] is None and payload["errors"][0]["code"] == "OUT_OF_SCOPE"
