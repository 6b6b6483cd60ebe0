"""What a newcomer sees from the README's serve command: where it serves, the base URL of feed
links (the address it listens on, unless WENMING_PUBLIC_URL says otherwise), a landing page
at /, and GraphiQL."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.demo_support import start, stop

ROOT = Path(__file__).resolve().parents[1]
FEED_LINK = '{ site(id: "U2l0ZTox") { name feed(subtree: true) { https webcal } } }'


def graphql(url: str, query: str) -> dict:
    body = httpx.post(f"{url}/graphql", json={"query": query}, timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


def test_links_carry_the_address_being_served_and_start_up_says_so(demo_server):
    base = demo_server.url  # a port of its own, not 8000
    assert f"Feed links carry {base}" in demo_server.output()
    site = graphql(base, FEED_LINK)["site"]
    assert site["feed"]["https"] == f"{base}/feeds/sites/1.ics?subtree=1"
    assert site["feed"]["webcal"] == f"webcal://127.0.0.1:{demo_server.port}/feeds/sites/1.ics?subtree=1"
    feed = httpx.get(f"{base}/feeds/sites/1.ics?subtree=1", timeout=60).text
    assert f"URL:{base}/feeds/events/" in feed and "@127.0.0.1\r\n" in feed
    assert "127.0.0.1:8000" not in feed


def test_public_url_wins_when_set(demo_server):
    # A second server on the same database (the demo is there already: no second load).
    public = "https://wenming.example.org"
    other = start(demo_server.folder, WENMING_PUBLIC_URL=public)
    try:
        assert f"Feed links carry {public} (WENMING_PUBLIC_URL)" in other.output()
        assert graphql(other.url, FEED_LINK)["site"]["feed"]["https"] == f"{public}/feeds/sites/1.ics?subtree=1"
        assert "UID:event-" in (feed := httpx.get(f"{other.url}/feeds/sites/1.ics", timeout=60).text)
        assert "@wenming.example.org\r\n" in feed
    finally:
        stop(other)


def test_the_landing_page_names_graphql_the_feeds_and_the_docs(demo_server):
    base = demo_server.url
    page = httpx.get(f"{base}/", headers={"Accept": "text/html,application/xhtml+xml"}, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for text in (f"{base}/graphql", "/feeds/sites/{id}.ics", "docs/graphql.md", "GraphiQL"):
        assert text in page.text, text
    info = httpx.get(f"{base}/", headers={"Accept": "application/json"}, timeout=10).json()
    assert info["graphql"] == f"{base}/graphql" and info["graphiql"] == f"{base}/graphql"
    assert info["feeds"]["site"] == f"{base}/feeds/sites/{{id}}.ics"
    assert all((ROOT / path).is_file() for path in info["docs"].values()), info["docs"]
    ide = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert ide.status_code == 200 and "static/graphiql/graphiql.min.js" in ide.text
    assert httpx.get(f"{base}/static/graphiql/graphiql.min.js", timeout=10).status_code == 200
