"""Cached reads under a steady write load: board and feed throughput while editors write 1 or 5
times a second, as a ratio to the same reads with no writes.

    .venv/bin/python bench/bench_write_load.py [--seconds 15] [--rates 0 1 5] [--modes scoped unscoped]

Loads the demo city (`wenming demo`: 4 districts, 371 sites, ~1,900 events) into a temporary
SQLite file, serves the real app with uvicorn on 127.0.0.1 (a free port, a subprocess, no
horizon task), and for each write rate runs three threads for `--seconds`:

- a writer: `updateEvent` over GraphQL (a county ADMIN token per district) retitling a random
  published event of the city, at the given rate (what several editors across the city do);
- a board reader: GET of the trusted `board` document, round-robin over the 10 busiest
  stations and 2 townships (`within: true`), one request at a time (kiosks);
- a feed reader: GET of iCal feeds, round-robin over 6 townships' subtree feeds and 4 teams'
  feeds (default window), one request at a time (calendar apps).

Reads are plain GETs (no If-None-Match), so every one is a cached 200 unless a write made the
answer stale. It prints each reader's requests per second, its ratio to the run without
writes, and the 99th percentile latency. Mode "unscoped" (a bench-only route) makes every
change stale every cached answer, as before scoped freshness: the figures show what scoping
buys. Not a test: the figures go in docs/feeds.md and docs/screens.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import measured_app, serving  # noqa: E402

STATION_BOARDS = 10
TOWNSHIP_BOARDS = 2
TOWNSHIP_FEEDS = 6
TEAM_FEEDS = 4
UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) { event { version } errors { code message } } }"""


def gid(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def build(url: str) -> dict:
    """Load the demo; pick the screens and feeds; a county ADMIN token per district."""
    from tortoise.functions import Count

    from api import db
    from api.demo import load_demo
    from api.domain import accounts, clock
    from api.domain.board import board_filter
    from api.models.accounts import Role
    from api.models.events import Event, EventStatus
    from api.models.sites import Site, SiteKind
    from api.models.teams import Team

    await db.migrate(url)
    async with db.connected(url):
        counts = await load_demo()
        window = board_filter(now=clock.now(), within_path="/")
        busiest = await (
            window.queryset().order_by().annotate(n=Count("id")).group_by("site_id").order_by("-n").limit(200)
            .values("site_id", "n")
        )
        ranked = [r["site_id"] for r in busiest]
        kinds = dict(await Site.filter(id__in=ranked).values_list("id", "kind"))
        stations = [s for s in ranked if kinds[s] == SiteKind.STATION][:STATION_BOARDS]
        townships = list(await Site.filter(kind=SiteKind.INSTITUTE).order_by("id").values_list("id", "path"))
        random.Random(1).shuffle(townships)
        teams = await Event.filter(status=EventStatus.PUBLISHED, team_id__isnull=False).annotate(n=Count("id")) \
            .group_by("team_id").order_by("-n").limit(TEAM_FEEDS).values_list("team_id", flat=True)
        centres = await Site.filter(kind=SiteKind.CENTER).order_by("id")
        tokens = {c.path: (await accounts.create_token(f"bench editor {c.id}", site=c, role=Role.ADMIN))[1] for c in centres}
        events = await Event.filter(status=EventStatus.PUBLISHED, deleted_at__isnull=True).values_list(
            "id", "version", "site__path")
        assert await Team.filter(id__in=list(teams)).count() == len(teams)
        return {
            "counts": counts,
            "stations": stations,
            "townships": [t[0] for t in townships],
            "teams": list(teams),
            "tokens": tokens,
            "events": [(pk, version, next(t for p, t in tokens.items() if path.startswith(p))) for pk, version, path in events],
        }


def serve(url: str, port: int) -> None:
    import types

    import uvicorn
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from schema.http import GraphQLApp

    # The readers ask faster than one client may (rate limiting off: this measures the caches).
    app = measured_app(url, graphiql=False, rate_limit_per_minute=0, feed_rate_limit_per_minute=0)
    documents = next(r.endpoint for r in app.routes if isinstance(getattr(r, "endpoint", None), GraphQLApp)).documents
    feeds = next(r.feed_service for r in app.routes if hasattr(r, "feed_service"))
    trackers = (documents.tracker, feeds.tracker)
    scoped = {id(t): t.unchanged for t in trackers}

    async def mode(request: Request) -> Response:
        """'unscoped': any change makes every cached answer stale (the behaviour before)."""
        for tracker in trackers:
            if request.query_params["mode"] == "unscoped":
                tracker.unchanged = types.MethodType(lambda self, deps, since: since >= self.generation, tracker)
            else:
                tracker.unchanged = scoped[id(tracker)]
        return Response(request.query_params["mode"])

    async def counters(request: Request) -> Response:
        return Response(json.dumps({"feed states computed": feeds.computes, "boards computed": documents.executions}))

    app.router.routes.append(Route("/bench/mode", mode, methods=["POST"]))
    app.router.routes.append(Route("/bench/counters", counters))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def reader(base_url: str, paths: list[tuple[str, dict]], stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        i = 0
        while not stop.is_set():
            path, params = paths[i % len(paths)]
            started = time.perf_counter()
            response = client.get(path, params=params)
            response.read()
            assert response.status_code == 200, response.text[:300]
            out.append(time.perf_counter() - started)
            i += 1


def writer(base_url: str, events: list, versions: dict[int, int], rate: float, stop: threading.Event,
           done: list[float]) -> None:
    """Retitle random events at `rate` per second; `versions` carries over from run to run."""
    if rate <= 0:
        return
    rng = random.Random(len(versions) + sum(versions.values()))
    with httpx.Client(base_url=base_url, timeout=120) as client:
        next_at = time.perf_counter()
        n = 0
        while not stop.is_set():
            pk, _, token = rng.choice(events)
            n += 1
            body = {"query": UPDATE, "variables": {"input": {
                "id": gid("Event", pk), "version": versions[pk], "scope": "ALL", "title": f"压力测试标题{n}"}}}
            started = time.perf_counter()
            answer = client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"}).json()
            payload = answer["data"]["updateEvent"]
            assert not payload["errors"], payload["errors"]
            versions[pk] = payload["event"]["version"]
            done.append(time.perf_counter() - started)
            next_at += 1 / rate
            stop.wait(max(0.0, next_at - time.perf_counter()))


def run(base_url: str, found: dict, versions: dict[int, int], rate: float, seconds: float) -> dict:
    boards = [("/graphql", {"documentId": "board", "variables": json.dumps({"site": gid("Site", s)})})
              for s in found["stations"]]
    boards += [("/graphql", {"documentId": "board", "variables": json.dumps({"site": gid("Site", s), "within": True})})
               for s in found["townships"][:TOWNSHIP_BOARDS]]
    feeds = [(f"/feeds/sites/{s}.ics", {"subtree": "1"}) for s in found["townships"][:TOWNSHIP_FEEDS]]
    feeds += [(f"/feeds/teams/{t}.ics", {}) for t in found["teams"]]
    with httpx.Client(base_url=base_url, timeout=300) as warm:  # every answer cached before the clock starts
        for path, params in boards + feeds:
            warm.get(path, params=params).read()
    stop = threading.Event()
    board_times: list[float] = []
    feed_times: list[float] = []
    writes: list[float] = []
    threads = [
        threading.Thread(target=reader, args=(base_url, boards, stop, board_times)),
        threading.Thread(target=reader, args=(base_url, feeds, stop, feed_times)),
        threading.Thread(target=writer, args=(base_url, found["events"], versions, rate, stop, writes)),
    ]
    before = httpx.get(f"{base_url}/bench/counters").json()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    after = httpx.get(f"{base_url}/bench/counters").json()

    def p99(samples: list[float]) -> float:
        return statistics.quantiles(samples, n=100)[98] * 1000 if len(samples) > 1 else float("nan")

    return {"boards": len(board_times) / seconds, "boards p99": p99(board_times),
            "feeds": len(feed_times) / seconds, "feeds p99": p99(feed_times), "writes": len(writes) / seconds,
            "board reads": len(board_times), "feed reads": len(feed_times),
            **{k: after[k] - before[k] for k in after}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15, help="length of each measured run")
    parser.add_argument("--rates", type=float, nargs="+", default=[0, 1, 5], help="writes per second (0 first)")
    parser.add_argument("--modes", nargs="+", default=["scoped", "unscoped"], choices=["scoped", "unscoped"])
    parser.add_argument("--serve", nargs=2, metavar=("DB_URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        started = time.perf_counter()
        found = asyncio.run(build(url))
        counts = found["counts"]
        print(f"demo loaded in {time.perf_counter() - started:.1f} s: {counts['sites']} sites, {counts['events']} events; "
              f"reading {len(found['stations']) + TOWNSHIP_BOARDS} boards and {TOWNSHIP_FEEDS + len(found['teams'])} feeds, "
              f"writing to {len(found['events'])} published events", flush=True)
        results: dict[tuple[str, float], dict] = {}
        versions = {pk: version for pk, version, _ in found["events"]}
        with serving(__file__, url) as client:
            base_url = str(client.base_url)
            for mode in args.modes:
                client.post("/bench/mode", params={"mode": mode})
                for rate in args.rates:
                    results[(mode, rate)] = run(base_url, found, versions, rate, args.seconds)
                    r = results[(mode, rate)]
                    print(f"  {mode:<8} {rate:>4g} writes/s: boards {r['boards']:7.1f}/s (p99 {r['boards p99']:6.1f} ms), "
                          f"feeds {r['feeds']:6.1f}/s (p99 {r['feeds p99']:7.1f} ms), writes done {r['writes']:.2f}/s; "
                          f"computed {r['boards computed']} of {r['board reads']} boards, "
                          f"{r['feed states computed']} of {r['feed reads']} feed states",
                          flush=True)

    print(f"\nthroughput as a ratio to the same mode without writes ({args.seconds:g} s per run, one reader each):")
    print(f"{'mode':<9} {'writes/s':>8} | {'boards/s':>9} {'ratio':>6} {'p99 ms':>8} | {'feeds/s':>8} {'ratio':>6} {'p99 ms':>8}")
    for (mode, rate), r in results.items():
        base = results.get((mode, 0.0)) or results.get((mode, 0))
        ratio_b = r["boards"] / base["boards"] if base else float("nan")
        ratio_f = r["feeds"] / base["feeds"] if base else float("nan")
        print(f"{mode:<9} {rate:>8g} | {r['boards']:>9.1f} {ratio_b:>6.2f} {r['boards p99']:>8.1f} | "
              f"{r['feeds']:>8.1f} {ratio_f:>6.2f} {r['feeds p99']:>8.1f}")


if __name__ == "__main__":
    main()
