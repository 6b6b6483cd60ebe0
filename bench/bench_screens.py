"""What a polling screen costs: the trusted `board` and `stats` documents over GET, as ratios
to a plain Starlette response of the same bytes on the same server.

    .venv/bin/python bench/bench_screens.py [--repeat 200] [--cold 10]

Loads the demo city (`wenming demo`: 371 sites, ~1,900 events) into a temporary SQLite file,
serves the real app with uvicorn on 127.0.0.1 (a free port, a subprocess) with two bench-only
routes (a plain route returning given bytes from memory, and one that clears the document
cache), and measures with httpx over one keep-alive connection, for three screens:

- "station board": `board` of the station with the most occurrences this week;
- "county board": `board` of the busiest centre with `within: true` (its whole subtree);
- "county stats": `stats` of that centre for this year so far;

each: the first request (document cache cleared before each sample: the document runs), a
repeated request (200 from the cache), a 304 (If-None-Match), and the plain response; medians
and ratios to plain; "304 read" is a 304 when the watermark is read on that request (it is
read once a second per process; "304" is the usual case within that second). And the SQL
statements of each kind of request with the watermark read every time. Not a test: the figures
go in docs/screens.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import measured_app, median_ms, serving, timed  # noqa: E402


async def build(url: str) -> dict:
    """Load the demo and pick the screens: the busiest station this week, the busiest centre."""
    from tortoise.functions import Count

    from api import db
    from api.demo import load_demo
    from api.domain import clock
    from api.domain.board import board_filter
    from api.domain.sites import subtree
    from api.models.events import Occurrence
    from api.models.sites import Site, SiteKind

    await db.migrate(url)
    async with db.connected(url):
        counts = await load_demo()
        window = board_filter(now=clock.now(), within_path="/")
        busiest = await (
            window.queryset().order_by().annotate(n=Count("id")).group_by("site_id").order_by("-n").limit(50).values("site_id", "n")
        )
        by_site = {r["site_id"]: r["n"] for r in busiest}
        station = await Site.filter(id__in=list(by_site), kind=SiteKind.STATION).order_by("id")
        station = max(station, key=lambda s: by_site[s.id])
        centres = await Site.filter(kind=SiteKind.CENTER).order_by("id")
        per_centre = {c.id: await window.queryset().filter(subtree(c.path, "site_path")).count() for c in centres}
        centre = max(centres, key=lambda c: per_centre[c.id])
        return {
            "counts": counts,
            "occurrences": await Occurrence.all().count(),
            "station": (station.id, by_site[station.id]),
            "centre": (centre.id, per_centre[centre.id]),
        }


def serve(url: str, port: int) -> None:
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from schema.http import GraphQLApp

    app = measured_app(url, graphiql=False)
    graphql = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp))
    plain: dict[str, bytes] = {}

    async def plain_route(request: Request) -> Response:
        name = request.path_params["name"]
        if request.method == "POST":
            plain[name] = await request.body()
            return Response("stored")
        return Response(plain[name], media_type="application/json")

    async def clear(request: Request) -> Response:
        graphql.documents.cache.clear()
        return Response("cleared")

    async def ttl(request: Request) -> Response:
        graphql.documents.watermark_ttl = float(request.query_params["seconds"])
        return Response("set")

    app.router.routes.append(Route("/bench/ttl", ttl, methods=["POST"]))
    app.router.routes.append(Route("/bench/plain/{name}", plain_route, methods=["GET", "POST"]))
    app.router.routes.append(Route("/bench/clear", clear, methods=["POST"]))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def gid(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def measure(client: httpx.Client, name: str, params: dict, repeat: int, cold: int) -> dict:
    firsts = []
    for _ in range(cold):
        client.post("/bench/clear")
        seconds, response = timed(client, "/graphql", params=params)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        firsts.append(seconds)
    body, etag = response.content, response.headers["etag"]
    client.post(f"/bench/plain/{name}", content=body)
    for _ in range(5):  # warm the connection and both routes
        client.get(f"/bench/plain/{name}")
        client.get("/graphql", params=params)
    repeated, not_modified, every, plain = [], [], [], []
    for _ in range(repeat):  # interleaved, so drift hits all four alike
        seconds, response = timed(client, "/graphql", params=params)
        assert response.status_code == 200 and response.content == body
        repeated.append(seconds)
        seconds, response = timed(client, "/graphql", params=params, headers={"If-None-Match": etag})
        assert response.status_code == 304
        not_modified.append(seconds)
        client.post("/bench/ttl", params={"seconds": 0})  # the watermark read on every request
        seconds, response = timed(client, "/graphql", params=params, headers={"If-None-Match": etag})
        assert response.status_code == 304
        every.append(seconds)
        client.post("/bench/ttl", params={"seconds": 1})
        seconds, response = timed(client, f"/bench/plain/{name}")
        assert response.content == body
        plain.append(seconds)
    return {"bytes": len(body), "first": median_ms(firsts), "repeated": median_ms(repeated),
            "304": median_ms(not_modified), "304 read": median_ms(every), "plain": median_ms(plain)}


async def statements(url: str, params: dict) -> dict[str, int]:
    """SQL statements of a first request, a repeated one and a 304, through the ASGI app."""
    import logging

    from api import db
    from api.app import create_app
    from api.settings import Settings

    sent: list[str] = []

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                sent.append(record.getMessage())

    logger = logging.getLogger("tortoise.db_client")
    logger.addHandler(Counter())
    logger.setLevel(logging.DEBUG)
    out = {}
    async with db.connected(url):
        app = create_app(Settings(database_url=url, graphiql=False), manage_db=False)
        graphql = next(r.endpoint for r in app.routes if hasattr(getattr(r, "endpoint", None), "documents"))
        graphql.documents.watermark_ttl = 0  # the most a request costs: the watermark read every time
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            etag = ""
            for label, headers in (("first", {}), ("repeated", {}), ("304", None)):
                sent.clear()
                if headers is None:
                    headers = {"If-None-Match": etag}
                response = await client.get("/graphql", params=params, headers=headers)
                etag = response.headers.get("etag", "")
                out[label] = len(sent)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200, help="samples of the repeated, 304 and plain requests")
    parser.add_argument("--cold", type=int, default=10, help="samples of the first request (cache cleared each time)")
    parser.add_argument("--serve", nargs=2, metavar=("DB_URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        started = time.perf_counter()
        found = asyncio.run(build(url))
        print(f"demo loaded in {time.perf_counter() - started:.1f} s: {found['counts']['sites']} sites, "
              f"{found['counts']['events']} events, {found['occurrences']} occurrences", flush=True)
        station, centre = found["station"], found["centre"]
        screens = {
            "station board": ({"documentId": "board", "variables": json.dumps({"site": gid("Site", station[0])})},
                              f"{station[1]} occurrences in 8 days"),
            "county board": ({"documentId": "board",
                              "variables": json.dumps({"site": gid("Site", centre[0]), "within": True})},
                             f"{centre[1]} occurrences in 8 days"),
            "county stats": ({"documentId": "stats", "variables": json.dumps({"within": gid("Site", centre[0])})},
                             "this year so far"),
        }
        sql = {name: asyncio.run(statements(url, params)) for name, (params, _) in screens.items()}
        with serving(__file__, url) as client:
            results = {name: measure(client, name.replace(" ", "-"), params, args.repeat, args.cold)
                       for name, (params, _) in screens.items()}

    print(f"\nmedians in ms ({args.cold} cold samples, {args.repeat} of each other), ratio to the plain response:")
    print(f"{'screen':<14} {'bytes':>7} | {'first':>15} {'repeated':>13} {'304':>12} {'304 read':>12} {'plain':>6} "
          "| SQL first/repeated/304")

    def cell(r: dict, key: str, width: int) -> str:
        return f"{r[key]:.2f} ({r[key] / r['plain']:.1f}x)".rjust(width)

    for name, r in results.items():
        s = sql[name]
        print(f"{name:<14} {r['bytes']:>7} | {cell(r, 'first', 15)} {cell(r, 'repeated', 13)} {cell(r, '304', 12)} "
              f"{cell(r, '304 read', 12)} {r['plain']:>6.2f} | {s['first']}/{s['repeated']}/{s['304']}   ({screens[name][1]})")


if __name__ == "__main__":
    main()
