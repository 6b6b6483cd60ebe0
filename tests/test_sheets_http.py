"""Sheets over HTTP: a mini-program's wx.uploadFile against a real `wenming serve`, the CLI's
import and export, and the rules on who may upload and export what."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from python_calamine import CalamineWorkbook

from api.models.events import Event
from api.models.teams import Team
from api.settings import Settings
from api.sheets.columns import SHEETS
from tests.auth_support import make_callers
from tests.network import build
from tests.server_support import wenming_serve
from tests.sheets_support import csv_bytes, sheet_rows, xlsx
from tests.test_cli import run

CENTRE = "洛江区新时代文明实践中心"
INSTITUTE = f"{CENTRE}/河市镇新时代文明实践所"
STATION = f"{INSTITUTE}/洛阳村新时代文明实践站"


def bearer(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


def test_mini_program_upload_to_a_real_server(tmp_path: Path):
    """The CLI imports the network, then a mini-program uploads a team sheet the way
    wx.uploadFile does (multipart/form-data, field `file`, extra fields in formData)."""
    sites = tmp_path / "sites.csv"
    sites.write_bytes(csv_bytes(sheet_rows(
        "sites",
        {"名称": CENTRE, "类型": "中心", "上级": ""},
        {"名称": "河市镇新时代文明实践所", "类型": "所", "上级": CENTRE},
    ), "gbk"))
    with wenming_serve(tmp_path) as server:
        env = {"WENMING_DATABASE_URL": f"sqlite://{tmp_path / 'served.sqlite3'}"}
        checked = run(["import", "sites", str(sites), "--dry-run"], tmp_path, **env)
        assert checked.returncode == 0 and "2 would be created" in checked.stderr, checked.stderr
        done = run(["import", "sites", str(sites)], tmp_path, **env)
        assert done.returncode == 0 and "2 were created" in done.stderr, done.stderr
        made = run(["token", "create", "河市镇小程序", "--site", "2", "--role", "EDITOR"], tmp_path, **env)
        secret = made.stdout.strip().splitlines()[-1]
        sheet = xlsx(sheet_rows("teams", {"名称": "河市镇文艺志愿队", "层级": "队", "类别": "文化体育", "所属阵地": INSTITUTE}))
        files = {"file": ("wxfile_tmp_8d2f.xlsx", sheet, "application/octet-stream")}
        url = f"{server.url}/sheets/import/teams"
        dry = httpx.post(url, files=files, data={"within": "2", "dryRun": "true"}, headers=bearer(secret), timeout=30)
        assert dry.status_code == 200, dry.text
        assert dry.json()["written"] is False and dry.json()["changes"][0]["action"] == "CREATE"
        response = httpx.post(url, files=files, data={"within": "2"}, headers=bearer(secret), timeout=30)
        assert response.status_code == 200, response.text
        assert response.json() | {"changes": []} == {
            "kind": "teams", "dryRun": False, "written": True, "rows": 1, "created": 1, "updated": 0,
            "unchanged": 0, "errors": [], "changes": [],
        }
        again = httpx.post(url, files=files, headers=bearer(secret), timeout=30)
        assert again.json()["unchanged"] == 1
        anonymous = httpx.post(url, files=files, timeout=30)
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
        # The CLI exports what was uploaded, in the template's columns.
        out = tmp_path / "teams.xlsx"
        exported = run(["export", "teams", "--format", "xlsx", "-o", str(out)], tmp_path, **env)
        assert exported.returncode == 0, exported.stderr
        rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
        assert rows[0] == SHEETS["teams"].headers and rows[1][1] == "河市镇文艺志愿队"


def test_cli_import_reports_bad_rows(tmp_path: Path):
    env = {"WENMING_DATABASE_URL": f"sqlite://{tmp_path / 'w.sqlite3'}"}
    bad = tmp_path / "sites.xlsx"
    bad.write_bytes(xlsx(sheet_rows("sites", {"名称": CENTRE, "类型": "中心"}, {"名称": "某所", "类型": "所级", "上级": CENTRE})))
    result = run(["import", "sites", str(bad)], tmp_path, **env)
    assert result.returncode == 1
    assert "nothing was written" in result.stderr and "类型" in result.stderr and "所级" in result.stderr
    assert "Traceback" not in result.stderr


async def test_upload_rules(client, db):
    net = await build()
    callers = await make_callers(net)
    sheet = xlsx(sheet_rows("events", {"类型": "活动", "标题": "洛阳村观影", "平台": "文化服务", "阵地": STATION, "日期": "2026-04-02", "时间": "19:30"}))
    files = {"file": ("e.xlsx", sheet)}
    viewer = await client.post("/sheets/import/events", files=files, headers=bearer(callers.viewer))
    assert viewer.status_code == 422
    assert [(e["row"], e["header"]) for e in viewer.json()["errors"]] == [(2, "阵地")]
    assert "needs EDITOR" in viewer.json()["errors"][0]["message"]
    sibling = await client.post("/sheets/import/events", files=files, headers=bearer(callers.sibling_editor))
    assert sibling.status_code == 422 and "outside your scope" in sibling.json()["errors"][0]["message"]
    assert not await Event.filter(title="洛阳村观影").exists()
    no_file = await client.post("/sheets/import/events", data={"x": "1"}, files={"other": ("a.txt", b"x")}, headers=bearer(callers.editor))
    assert no_file.status_code == 400 and "'file'" in no_file.json()["error"]["message"]
    json_body = await client.post("/sheets/import/events", json={"file": "x"}, headers=bearer(callers.editor))
    assert json_body.status_code == 400
    unknown = await client.post("/sheets/import/volcanoes", files=files, headers=bearer(callers.editor))
    assert unknown.status_code == 404
    ok = await client.post("/sheets/import/events", files=files, headers=bearer(callers.editor))
    assert ok.status_code == 200 and ok.json()["created"] == 1


async def test_upload_size_limit(db, settings: Settings):
    from api.app import create_app

    net = await build()
    token = (await make_callers(net)).editor
    app = create_app(settings.model_copy(update={"max_upload_bytes": 4096}), manage_db=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        # Past the upload limit and the form's framing: refused before the body is read.
        huge = await c.post("/sheets/import/sites", files={"file": ("big.csv", b"x" * 100_000)}, headers=bearer("whatever"))
        # Within the framing but past the limit: refused by the import, naming the limit.
        big = await c.post("/sheets/import/sites", files={"file": ("big.csv", b"x" * 10_000)}, headers=bearer(token))
    assert huge.status_code == 413 and huge.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"
    assert big.status_code == 413 and big.json()["error"]["code"] == "TOO_LARGE" and "4,096 bytes" in big.json()["error"]["message"]


async def test_exports_over_http(client, db):
    net = await build()
    callers = await make_callers(net)
    public = await client.get("/sheets/export/events.csv")
    assert public.status_code == 200 and public.content.startswith(b"\xef\xbb\xbf")
    text = public.content.decode("utf-8-sig")
    assert "党的二十大精神微宣讲" in text and "草稿活动" not in text  # drafts are not public
    assert "每周六，共4次" in text
    sites = await client.get("/sheets/export/sites.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(sites.content)).get_sheet_by_index(0).to_python()
    assert "联系电话" not in rows[0] and "13800000001" not in str(rows)  # personal data stays private
    people = await client.get("/sheets/export/people.xlsx")
    assert people.status_code == 401
    outsider = await client.get("/sheets/export/people.xlsx", params={"within": net.institute.id}, headers=bearer(callers.other_editor))
    assert outsider.status_code == 403
    mine = await client.get("/sheets/export/people.csv", params={"within": net.institute.id}, headers=bearer(callers.viewer))
    assert mine.status_code == 200 and "13700000003" in mine.content.decode("utf-8-sig")
    assert mine.headers["cache-control"] == "private, no-store"
    window = await client.get("/sheets/export/events.csv", params={"from": "2026-03-10", "to": "2026-03-10"})
    body = window.content.decode("utf-8-sig")
    assert "科普集市" in body and "党的二十大精神微宣讲" not in body
    bad = await client.get("/sheets/export/events.csv", params={"from": "tomorrow"})
    assert bad.status_code == 400
    assert (await Team.all().count()) == 2


IMPORT_SHEET = """
mutation($input: ImportSheetInput!) {
  importSheet(input: $input) {
    report { kind dryRun written rows created updated unchanged
             rowErrors { row header message value } changes { row action record headers } }
    errors { code message }
  }
}
"""


async def _graphql_upload(client, token, variables: dict, content: bytes, filename: str = "e.xlsx"):
    import json

    operations = json.dumps({"query": IMPORT_SHEET, "variables": {"input": {**variables, "file": None}}})
    files = {"0": (filename, content, "application/octet-stream")}
    data = {"operations": operations, "map": json.dumps({"0": ["variables.input.file"]})}
    return await client.post("/graphql", data=data, files=files, headers=bearer(token))


async def test_import_sheet_over_graphql_multipart(client, db):
    net = await build()
    callers = await make_callers(net)
    good = {"类型": "活动", "标题": "溪阳社区读书会", "平台": "文化服务", "阵地": f"{INSTITUTE}/溪阳社区新时代文明实践站",
            "日期": "2026-04-11", "时间": "下午2:30-4:00", "重复": "每周六，共3次"}
    bad = {"类型": "活动", "标题": "", "平台": "文化服务", "阵地": STATION, "日期": "2026-04-12"}
    sheet = xlsx(sheet_rows("events", good, bad))
    refused = await _graphql_upload(client, callers.editor, {"kind": "EVENTS"}, sheet)
    assert "data" in refused.json(), refused.text
    report = refused.json()["data"]["importSheet"]["report"]
    assert report["written"] is False and report["rowErrors"] == [{"row": 3, "header": "标题", "message": "必填", "value": ""}]
    assert not await Event.filter(title="溪阳社区读书会").exists()
    sheet = xlsx(sheet_rows("events", good))
    within = gid_of("Site", net.institute.id)
    dry = await _graphql_upload(client, callers.editor, {"kind": "EVENTS", "dryRun": True, "withinId": within}, sheet)
    assert dry.json()["data"]["importSheet"]["report"]["changes"] == [
        {"row": 2, "action": "CREATE", "record": "2026-04-11 溪阳社区读书会", "headers": []}]
    done = await _graphql_upload(client, callers.editor, {"kind": "EVENTS", "withinId": within}, sheet)
    assert done.json()["data"]["importSheet"]["report"]["written"] is True
    event = await Event.get(title="溪阳社区读书会")
    assert event.rrule == "FREQ=WEEKLY;BYDAY=SA;COUNT=3"
    anonymous = await _graphql_upload(client, None, {"kind": "EVENTS"}, sheet)
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unreadable = await _graphql_upload(client, callers.editor, {"kind": "EVENTS"}, b"PK\x03\x04 not really a workbook")
    assert unreadable.json()["data"]["importSheet"]["errors"][0]["code"] == "BAD_FILE"


def gid_of(type_name: str, pk: int) -> str:
    from tests.network import gid

    return gid(type_name, pk)


async def test_broken_multipart_to_graphql_is_a_400(client, db):
    garbage = await client.post("/graphql", content=b"not multipart at all",
                                headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert garbage.status_code == 400 and garbage.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    no_operations = await client.post("/graphql", files={"0": ("a.csv", b"x")})
    assert no_operations.status_code == 400 and no_operations.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    bad_map = await client.post("/graphql", data={"operations": "{}", "map": "[1,2]"}, files={"0": ("a.csv", b"x")})
    assert bad_map.status_code == 400


async def test_row_limit_is_a_413_before_anything_is_written(client, db, monkeypatch):
    from api.sheets import reader

    net = await build()
    token = (await make_callers(net)).editor
    monkeypatch.setattr(reader, "MAX_ROWS", 3)
    rows = [{"名称": f"限额测试队{i}", "层级": "队", "类别": "文化体育", "所属阵地": INSTITUTE} for i in range(4)]
    refused = await client.post("/sheets/import/teams", files={"file": ("t.csv", csv_bytes(sheet_rows("teams", *rows)))},
                                headers=bearer(token))
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "TOO_LARGE"
    assert "more than 3 rows" in refused.json()["error"]["message"]
    assert not await Team.filter(name__startswith="限额测试队").exists()
    fits = await client.post("/sheets/import/teams", files={"file": ("t.csv", csv_bytes(sheet_rows("teams", *rows[:3])))},
                             headers=bearer(token))
    assert fits.status_code == 200 and fits.json()["created"] == 3
