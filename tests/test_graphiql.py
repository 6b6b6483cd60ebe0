"""GraphiQL works offline: the page and its seven assets come from Wenming itself, and in a
headless Chromium that can resolve no host name it renders, runs its example query and shows
the answer, with no request leaving 127.0.0.1."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from pathlib import Path

from api.app import create_app
from api.settings import Settings
from api.web.graphiql import graphiql_page
from tests.browser_support import browser, chromium_or_skip
from tests.live_support import serving
from tests.network import build

STATIC = Path(__file__).resolve().parents[1] / "api" / "web" / "static" / "graphiql"


def assets() -> list[tuple[str, str]]:
    """(local URL, sha384) of every script and stylesheet the page loads."""
    return re.findall(r'(?:src|href)="(static/graphiql/[^"]+)"\s+integrity="sha384-([^"]+)"', graphiql_page())


def test_the_page_loads_nothing_from_elsewhere():
    page = graphiql_page()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "an asset from another server"
    assert len(assets()) == 7
    versions = json.loads((STATIC / "VERSIONS.json").read_text(encoding="utf-8"))
    for url, sha384 in assets():
        data = (STATIC / url.removeprefix("static/graphiql/")).read_bytes()
        # The committed file is the pinned npm release, byte for byte (the browser checks it too).
        assert base64.b64encode(hashlib.sha384(data).digest()).decode() == sha384, url
        assert versions[url.rsplit("/", 1)[1]]["sha384"] == sha384


async def test_graphiql_is_served_with_its_assets(client, settings: Settings):
    app = create_app(settings.model_copy(update={"graphiql": True}), manage_db=False)
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Wenming" in page.text
        for url, _ in assets():
            asset = await http.get(f"/{url}")
            assert asset.status_code == 200 and len(asset.content) > 500, url
    # Switched off, a browser gets no IDE.
    off = await client.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in off.text.lower()


async def test_graphiql_renders_and_runs_a_query_offline(db, settings: Settings, tmp_path):
    chromium_or_skip()
    net = await build()
    app = create_app(settings.model_copy(update={"graphiql": True}), manage_db=False)
    async with serving(app) as api, browser(tmp_path / "profile") as page:
        await page.goto(f"{api.url}/graphql")
        # The editor is up with the page's own example query (the centres and their counts).
        await page.shows(".graphiql-query-editor", "sites(kind: [CENTER]", wait=30)
        # Run it as a person would, with the run button (again, if the first click came
        # before the IDE had finished loading the schema).
        for _ in range(20):
            await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
            with contextlib.suppress(AssertionError):
                await page.shows(".graphiql-response", '"data"', wait=2)
                break
        answer = await page.shows(".graphiql-response", net.centre.name, net.other_centre.name, '"totalCount": 2')
        assert '"errors"' not in answer
        await page.screenshot(tmp_path / "graphiql.png")
        assert page.outside() == [], page.outside()
        assert page.failed == [], page.failed
        assert any(u.endswith("/static/graphiql/graphiql.min.js") for u in page.requests)
