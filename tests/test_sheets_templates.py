"""Templates: one per kind, over HTTP and from the CLI, with Chinese headers, a note per
column, drop-down lists for the enumerations and an example row that reads without error."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from api.sheets.columns import PLATFORMS, SHEETS
from tests.network import build
from tests.test_cli import run

KINDS = list(SHEETS)


def book(body: bytes) -> CalamineWorkbook:
    return CalamineWorkbook.from_filelike(io.BytesIO(body))


@pytest.mark.parametrize("kind", KINDS)
async def test_template_over_http(client, db, kind):
    await build()
    sheet = SHEETS[kind]
    response = await client.get(f"/sheets/templates/{kind}.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    workbook = book(response.content)
    assert workbook.sheet_names[:3] == [sheet.title, "填写示例", "说明"]
    assert workbook.get_sheet_by_index(0).to_python() == [sheet.headers]
    # The example row reads through the same column readers the import uses.
    headers, example = workbook.get_sheet_by_name("填写示例").to_python()
    assert headers == sheet.headers
    for column, value in zip(sheet.columns, example):
        if value != "":
            column.read(value)
    notes = workbook.get_sheet_by_name("说明").to_python()
    assert [row[0] for row in notes[1:len(sheet.columns) + 1]] == sheet.headers
    # One drop-down per enumerated column, and a comment (the note) on every header.
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
        comments = next(z.read(n).decode() for n in z.namelist() if re.match(r"xl/comments\d+\.xml", n))
    assert sheet_xml.count("<dataValidation ") == sum(1 for c in sheet.columns if c.choices)
    assert all(c.note.replace("“", "").split("。")[0][:6] in comments.replace("“", "") for c in sheet.columns)


async def test_platform_drop_down_lists_the_platforms(client, db):
    net = await build()
    response = await client.get("/sheets/templates/events.xlsx")
    assert SHEETS["events"].column("platform").choices == PLATFORMS
    lists = book(response.content).get_sheet_by_name("选项")
    index = SHEETS["events"].headers.index("平台") - lists.start[1]  # calamine skips empty leading columns
    column = [row[index] for row in lists.to_python() if row[index]]
    assert column == ["平台", net.theory.name, net.culture.name]


async def test_unknown_kind(client, db):
    response = await client.get("/sheets/templates/volcanoes.xlsx")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert "sites" in response.json()["error"]["message"]


def test_template_from_the_cli(tmp_path: Path):
    url = f"sqlite://{tmp_path / 'w.sqlite3'}"
    result = run(["template", "teams", "-o", str(tmp_path / "teams.xlsx")], tmp_path, WENMING_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert CalamineWorkbook.from_path(str(tmp_path / "teams.xlsx")).get_sheet_by_index(0).to_python() == [SHEETS["teams"].headers]
    refused = run(["template", "volcanoes", "-o", str(tmp_path / "x.xlsx")], tmp_path, WENMING_DATABASE_URL=url)
    assert refused.returncode == 2 and "sites, venues, teams, people, memberships, events" in refused.stderr
