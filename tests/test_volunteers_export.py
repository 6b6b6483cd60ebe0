"""The hours sheet for the national volunteer system: CSV (UTF-8 with BOM) and XLSX over real
HTTP, read back with the csv module and from the XLSX's own XML; staff only."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

from api.domain.clock import now
from api.models.volunteering import HoursEntry
from api.volunteering.export import COLUMNS
from tests.auth_support import mutate
from tests.network import gid
from tests.volunteers_support import CORRECT, STAFF_IN, STAFF_OUT, drive_setup, make_volunteers

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


async def test_hours_sheet_csv_and_xlsx(client):
    drive = await drive_setup(capacity=None, starts_in=timedelta(hours=-3))
    people = await make_volunteers(drive, 2)
    start = drive.event.starts_at
    for (person, _), minutes in zip(people, (90, 45), strict=True):
        base = {"occurrenceId": drive.occurrence_id, "personId": gid("Person", person.id)}
        await mutate(client, drive.callers.editor, STAFF_IN, input={**base, "at": start.isoformat()})
        await mutate(client, drive.callers.editor, STAFF_OUT, input={**base, "at": (start + timedelta(minutes=minutes)).isoformat()})
    second = await HoursEntry.get(volunteer__person_id=people[1][0].id)
    await mutate(client, drive.callers.editor, CORRECT, input={"entryId": gid("HoursEntry", second.id), "minutes": 60,
                                                               "reason": "补记"})
    today = now().date()
    params = {"within": gid("Site", drive.net.institute.id), "from": (today - timedelta(days=1)).isoformat(),
              "to": today.isoformat()}
    auth = {"Authorization": f"Bearer {drive.callers.viewer}"}

    response = await client.get("/exports/volunteer-hours.csv", params=params, headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv") and response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    starts = f"{start:%Y-%m-%d %H:%M}"
    ends = f"{start + timedelta(hours=2):%Y-%m-%d %H:%M}"
    assert table[1:] == [
        ["1", "V00000", "志愿者1", "洛阳村环境整治志愿服务", starts, ends, "1.5", "洛阳村新时代文明实践站", "", ""],
        ["2", "V00001", "志愿者2", "洛阳村环境整治志愿服务", starts, ends, "1.0", "洛阳村新时代文明实践站", "", "含人工更正"],
    ]

    sheet = await client.get("/exports/volunteer-hours.xlsx", params=params, headers=auth)
    assert sheet.status_code == 200
    with zipfile.ZipFile(io.BytesIO(sheet.content)) as book:
        strings = [t.text for t in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{{{NS['m']}}}t")]
        rows = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml")).findall(".//m:row", NS)
    assert len(rows) == 3 and {"服务时长（小时）", "志愿者1", "志愿者2", "含人工更正"} <= set(strings)

    # Nothing in another period; staff of the subtree only.
    later = await client.get("/exports/volunteer-hours.csv", params={**params, "from": (today + timedelta(days=1)).isoformat(),
                                                                      "to": (today + timedelta(days=2)).isoformat()}, headers=auth)
    assert later.content.decode("utf-8-sig").strip() == ",".join(COLUMNS)
    assert (await client.get("/exports/volunteer-hours.csv", params=params)).status_code == 401
    outside = await client.get("/exports/volunteer-hours.csv", params=params,
                               headers={"Authorization": f"Bearer {drive.callers.other_editor}"})
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "OUT_OF_SCOPE"
    bad = await client.get("/exports/volunteer-hours.csv", params={**params, "from": "昨天"}, headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "from"
    nowhere = await client.get("/exports/volunteer-hours.csv", headers=auth)
    assert nowhere.status_code == 400 and nowhere.json()["error"]["parameter"] == "within"
    assert (await client.get("/exports/volunteer-hours.pdf", params=params, headers=auth)).status_code == 404
