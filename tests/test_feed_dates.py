"""Last-Modified is never later than Date (RFC 9110 8.8.2.1), on a feed's first serve and after a
burst of edits, through the ASGI app and through a real `wenming serve` (uvicorn); and a burst
within one second never earns a stale 304 from If-Modified-Since (the date is weak then)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from tests.auth_support import make_callers, mutate
from tests.network import build, gid
from tests.server_support import ROOT, wenming_serve

UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) { event { version } errors { code } } }"""
MARCH = {"from": "2026-03-01", "to": "2026-04-01"}


def _dates(response) -> tuple:
    return parsedate_to_datetime(response.headers["last-modified"]), parsedate_to_datetime(response.headers["date"])


async def test_last_modified_is_never_later_than_date_through_a_burst(client):
    net = await build()
    token = (await make_callers(net)).editor
    url = f"/feeds/sites/{net.institute.id}.ics"
    first = await client.get(url, params=MARCH)
    modified, date = _dates(first)
    assert modified <= date
    previous, version = first, net.fair.version
    for i in range(6):  # six edits well within a second or two
        edited = await mutate(client, token, UPDATE, input={"id": gid("Event", net.fair.id), "version": version,
                                                             "title": f"科普集市{i}"})
        version = edited["event"]["version"]
        response = await client.get(url, params=MARCH, headers={"If-Modified-Since": previous.headers["last-modified"]})
        assert response.status_code == 200 and f"科普集市{i}" in response.text  # never a stale 304
        modified, date = _dates(response)
        assert modified <= date, (response.headers["last-modified"], response.headers["date"])
        previous = response
    # Once nothing changes, If-None-Match still answers 304.
    again = await client.get(url, params=MARCH, headers={"If-None-Match": previous.headers["etag"]})
    assert again.status_code == 304 and _dates(again)[0] <= _dates(again)[1]


BUILD = textwrap.dedent("""
    import asyncio, sys
    from api import db
    from api.domain import accounts
    from api.models.accounts import Role
    from tests.network import build

    async def main(url):
        await db.migrate(url)
        async with db.connected(url):
            net = await build()
            secret = (await accounts.create_token("desk", site=net.institute, role=Role.EDITOR))[1]
            print(secret, net.institute.id, net.fair.id, net.fair.version)

    asyncio.run(main(sys.argv[1]))
""")


def test_a_real_server_sends_one_date_never_before_last_modified(tmp_path: Path):
    built = subprocess.run([sys.executable, "-c", BUILD, f"sqlite://{tmp_path / 'served.sqlite3'}"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    secret, site_id, event_id, version = built.stdout.split()
    with wenming_serve(tmp_path) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        url = f"/feeds/sites/{site_id}.ics"
        responses = [http.get(url, params=MARCH)]
        version = int(version)
        for i in range(4):
            answer = http.post("/graphql", headers={"Authorization": f"Bearer {secret}"}, json={
                "query": UPDATE, "variables": {"input": {"id": gid("Event", event_id), "version": version, "title": f"集市{i}"}}})
            version = answer.json()["data"]["updateEvent"]["event"]["version"]
            responses.append(http.get(url, params=MARCH))
        for response in responses:
            assert response.status_code == 200
            assert len(response.headers.get_list("date")) == 1
            modified, date = _dates(response)
            assert modified <= date, (response.headers["last-modified"], response.headers["date"])
        assert len(http.get("/health").headers.get_list("date")) == 1  # every response has its Date
