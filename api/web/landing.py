"""GET /: what this server offers, for whoever opens it in a browser (HTML) or asks for JSON."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api.domain.feed_urls import SEGMENT

# The guides, in the source tree (docs/ is not installed with the package).
DOCS = {
    "quickstart": ("docs/quickstart.md", "Install, run, first queries, PostgreSQL and Redis"),
    "graphql": ("docs/graphql.md", "Conventions and working queries for a portal and a kiosk"),
    "feeds": ("docs/feeds.md", "Subscribing to the iCal feeds; URLs and parameters"),
    "screens": ("docs/screens.md", "Kiosks and big screens: boards, statistics, live updates"),
    "editing": ("docs/editing.md", "Roles, API tokens, mutations, the audit log"),
    "orders": ("docs/orders.md", "Service orders: 点单 - 派单 - 接单 - 评单"),
}
FEED_IDS = {"platform": "{code}"}


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def describe(base: str, graphiql: bool) -> dict:
    feeds = {scope: f"{base}/feeds/{segment}/{FEED_IDS.get(scope, '{id}')}.ics" for scope, segment in SEGMENT.items()}
    feeds["site_and_subtree"] = f"{base}/feeds/sites/{{id}}.ics?subtree=1"
    return {
        "name": "Wenming (文明)",
        "about": "GraphQL and iCal API of the New Era Civilization Practice Centres (新时代文明实践中心)",
        "graphql": f"{base}/graphql",
        "graphiql": f"{base}/graphql" if graphiql else None,
        "board": f"{base}/graphql?documentId=board&variables={{\"site\":\"<Site id>\"}}",
        "feeds": feeds,
        "health": f"{base}/health",
        "docs": {name: path for name, (path, _) in DOCS.items()},
    }


def render_html(info: dict) -> str:
    feeds = "".join(f"<li><code>{escape(url)}</code></li>" for url in info["feeds"].values())
    docs = "".join(f"<li><code>{escape(path)}</code>: {escape(what)}</li>" for path, what in DOCS.values())
    graphiql = (
        f'<p class="lead"><a href="{escape(info["graphql"])}">打开 GraphiQL · Open GraphiQL</a> to explore the '
        "described schema and run queries in the browser.</p>"
        if info["graphiql"] else "<p>GraphiQL is switched off on this server (WENMING_GRAPHIQL).</p>"
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wenming (文明)</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; margin: 0;
  color: #1a1a1a; background: #fffaf0; line-height: 1.5; }}
header {{ background: #b71c1c; color: #fff; padding: 1.2em 2em; }}
header h1 {{ margin: 0; font-size: 1.6em; }} header p {{ margin: 0.2em 0 0; opacity: 0.9; }}
main {{ max-width: 60em; padding: 1em 2em 2em; }}
h2 {{ color: #b71c1c; font-size: 1.15em; border-bottom: 2px solid #b71c1c; }}
code {{ background: #f3ecdc; padding: 0 0.25em; border-radius: 3px; }} a {{ color: #b71c1c; }}
.lead {{ font-size: 1.15em; }}
</style></head>
<body>
<header><h1>Wenming (文明)</h1><p>{escape(info["about"])}</p></header>
<main>
<h2>GraphQL</h2>
<p><code>POST {escape(info["graphql"])}</code> (or <code>GET</code> for queries).</p>
{graphiql}
<h2>日历订阅 · Calendar feeds</h2>
<ul>{feeds}</ul>
<h2>触屏与大屏 · Kiosks and big screens</h2>
<p><code>{escape(info["board"])}</code> (cached, with ETags)</p>
<h2>Documentation</h2>
<ul>{docs}</ul>
<p>Health check: <code>{escape(info["health"])}</code>. This page as JSON: <code>Accept: application/json</code>.</p>
</main></body></html>
"""


async def landing(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    info = describe(base, graphiql=bool(request.app.state.graphiql))
    if wants_json(request):
        return JSONResponse(info)
    return HTMLResponse(render_html(info))
