"""What an iCal feed of 10,000 occurrences costs to serve, as ratios to a plain response.

    .venv/bin/python bench/bench_feeds.py [--repeat 30] [--cold 5]

Builds a network in a temporary SQLite file through the domain functions (sites with
create_site, series with create_event and change_occurrence, one-off events in bulk with
occurrences.refresh), serves the real app with uvicorn on 127.0.0.1 (a free port, a
subprocess) with one extra plain Starlette route that returns the same bytes from memory, and
measures with httpx, in one run, for two feeds of the default window (90 days back, 365
ahead):

- "mixed": a county centre's subtree feed: 100 weekly series with 2 changed occurrences
  each, plus one-off events, ~10,000 occurrences in the window;
- "one-off": 10,000 one-off events, 10,000 VEVENTs: the most rendering a feed of that size
  can need.

For each: the first request (empty cache; the cache is cleared through a bench-only route
before each sample), a repeated request, a 304 (If-None-Match) and the plain response, as
medians and as ratios to the plain response. Not a test: the figures go in docs/feeds.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import measured_app, median_ms, serving, timed  # noqa: E402

TARGET_OCCURRENCES = 10_000
SERIES = 100


# -- building the network (in this process, before the server starts) -------------------


async def build(url: str) -> dict[str, int]:
    from api import db
    from api.domain import clock, occurrences
    from api.domain.clock import day_start
    from api.domain.events import change_occurrence, create_event
    from api.domain.occurrences import OccurrenceFilter
    from api.domain.sites import create_site
    from api.models.events import Event, EventKind, EventLecturer, EventStatus
    from api.models.people import Person
    from api.models.platforms import Platform
    from api.models.sites import Site, SiteKind

    await db.migrate(url)
    async with db.connected(url):
        today = clock.local_date(clock.now())
        midnight = day_start(today)
        window = (midnight - timedelta(days=90), midnight + timedelta(days=366))
        theory = await Platform.create(code="THEORY", name="理论宣讲", lead_unit="县委宣传部", sort_order=1)
        culture = await Platform.create(code="CULTURE", name="文化服务", lead_unit="县文旅局", sort_order=2)
        lecturers = [
            await Person.create(name=f"宣讲员{i:02d}", is_lecturer=True, title="新时代宣讲员") for i in range(20)
        ]

        async def county(name: str) -> tuple[Site, list[Site]]:
            centre = await create_site(kind=SiteKind.CENTER, name=f"{name}新时代文明实践中心", address=f"{name}人民路1号",
                                       latitude=24.9, longitude=118.6)
            stations = []
            for i in range(10):
                institute = await create_site(kind=SiteKind.INSTITUTE, name=f"{name}第{i + 1}镇新时代文明实践所", parent=centre)
                for j in range(10):
                    stations.append(await create_site(
                        kind=SiteKind.STATION, name=f"{name}第{i + 1}镇{j + 1}村新时代文明实践站", parent=institute,
                        address=f"{name}第{i + 1}镇{j + 1}村村委会", latitude=24.9 + i / 100, longitude=118.6 + j / 100,
                    ))
            return centre, stations

        async def one_offs(sites: list[Site], count: int, label: str) -> None:
            events = []
            step = (window[1] - window[0]) / count
            for k in range(count):
                start = (window[0] + step * k + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
                lecture = k % 2 == 0
                events.append(Event(
                    kind=EventKind.LECTURE if lecture else EventKind.ACTIVITY,
                    title=f"{label}{'宣讲' if lecture else '活动'}第{k + 1}场：党的二十大精神进村入户",
                    summary="面向村民的微宣讲，结合本村实际讲政策、讲变化。",
                    platform_id=(theory if lecture else culture).id, site_id=sites[k % len(sites)].id,
                    starts_at=start, ends_at=start + timedelta(hours=2), status=EventStatus.PUBLISHED,
                    topic="党的二十大精神" if lecture else "", audience="村民",
                ))
            for i in range(0, len(events), 1000):
                await Event.bulk_create(events[i : i + 1000])
            created = await Event.filter(title__startswith=label).order_by("id")
            await EventLecturer.bulk_create([
                EventLecturer(event_id=e.id, person_id=lecturers[e.id % len(lecturers)].id)
                for e in created if e.kind == EventKind.LECTURE
            ])
            for i in range(0, len(created), 500):
                await occurrences.refresh(created[i : i + 500])

        async def in_window(centre: Site) -> int:
            flt = OccurrenceFilter(start=window[0], end=window[0] + timedelta(days=400), within_path=centre.path)
            rest = OccurrenceFilter(start=window[0] + timedelta(days=400), end=window[1], within_path=centre.path)
            ids = set(await flt.queryset().values_list("id", flat=True)) | set(await rest.queryset().values_list("id", flat=True))
            return len(ids)

        # "mixed": weekly series across the whole window, two changed occurrences each.
        mixed, stations = await county("洛江区")
        first = midnight - timedelta(days=100) + timedelta(hours=19, minutes=30)
        for s in range(SERIES):
            start = first + timedelta(days=s % 7)
            series = await create_event(
                kind=EventKind.LECTURE, title=f"{stations[s].name[-12:]}周末夜校", platform_id=theory.id,
                site_id=stations[s].id, lecturer_ids=[lecturers[s % len(lecturers)].id], starts_at=start,
                ends_at=start + timedelta(hours=1, minutes=30), rrule="FREQ=WEEKLY;COUNT=75",
                exdates=[(start + timedelta(weeks=12)).isoformat()], status=EventStatus.PUBLISHED,
                summary="每周一次的理论微宣讲", topic="党的创新理论",
            )
            await change_occurrence(series, start + timedelta(weeks=20), cancelled=True)
            await change_occurrence(series, start + timedelta(weeks=30), starts_at=start + timedelta(weeks=30, days=1),
                                    ends_at=start + timedelta(weeks=30, days=1, hours=2))
        await one_offs(stations, TARGET_OCCURRENCES - await in_window(mixed), "洛江")
        # "one-off": nothing but one-off events.
        single, stations = await county("泉港区")
        await one_offs(stations, TARGET_OCCURRENCES, "泉港")
        return {"mixed": mixed.id, "one-off": single.id,
                "mixed_occurrences": await in_window(mixed), "one-off_occurrences": await in_window(single)}


# -- the server (a subprocess running this file with --serve) ------------------------------


def serve(url: str, port: int, plain_dir: str) -> None:

    import uvicorn
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route


    app = measured_app(url)
    service = next(r.feed_service for r in app.routes if hasattr(r, "feed_service"))
    plain: dict[str, bytes] = {}

    async def plain_route(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in plain:
            plain[name] = Path(plain_dir, f"{name}.ics").read_bytes()
        return Response(plain[name], media_type="text/calendar; charset=utf-8")

    async def clear(request: Request) -> Response:
        service.clear()
        return Response("cleared")

    app.router.routes.append(Route("/bench/plain/{name}", plain_route))
    app.router.routes.append(Route("/bench/clear", clear, methods=["POST"]))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def measure(client: httpx.Client, name: str, site_id: int, repeat: int, cold: int, plain_dir: str) -> dict:
    url = f"/feeds/sites/{site_id}.ics?subtree=1&days_back=90&days_ahead=365"  # named: a big scope's default is narrower
    firsts = []
    body = b""
    for _ in range(cold):
        client.post("/bench/clear")
        seconds, response = timed(client, url)
        assert response.status_code == 200, response.text
        firsts.append(seconds)
        body = response.content
    Path(plain_dir, f"{name}.ics").write_bytes(body)
    # The event loop while a cold feed renders in a worker thread: /health keeps answering.
    client.post("/bench/clear")
    worker = threading.Thread(target=lambda: httpx.get(f"{client.base_url}{url}", timeout=120))
    worker.start()
    health = []
    with httpx.Client(base_url=client.base_url, timeout=30) as other:
        while worker.is_alive():
            health.append(timed(other, "/health")[0])
    worker.join()
    etag = client.get(url).headers["etag"]
    for _ in range(3):  # warm the connection and the plain route
        client.get(f"/bench/plain/{name}")
        client.get(url)
    repeated, not_modified, revalidated, plain = [], [], [], []
    for _ in range(repeat):  # interleaved, so drift hits all three alike
        seconds, response = timed(client, url)
        assert response.status_code == 200 and response.content == body
        repeated.append(seconds)
        seconds, response = timed(client, url, headers={"If-None-Match": etag})
        assert response.status_code == 304
        not_modified.append(seconds)
        seconds, response = timed(client, url, headers={"If-None-Match": etag, "Cache-Control": "no-cache"})
        assert response.status_code == 304
        revalidated.append(seconds)
        seconds, response = timed(client, f"/bench/plain/{name}")
        assert response.content == body
        plain.append(seconds)
    return {
        "components": int(response.headers.get("x-feed-components", 0)) or body.count(b"BEGIN:VEVENT"),
        "vevents": body.count(b"BEGIN:VEVENT"),
        "bytes": len(body),
        "first": median_ms(firsts),
        "repeated": median_ms(repeated),
        "304": median_ms(not_modified),
        "304 no-cache": median_ms(revalidated),
        "plain": median_ms(plain),
        "health": (median_ms(health), max(health) * 1000, len(health)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30, help="samples of the repeated, 304 and plain requests")
    parser.add_argument("--cold", type=int, default=5, help="samples of the first request (cache cleared each time)")
    parser.add_argument("--serve", nargs=3, metavar=("DB_URL", "PORT", "PLAIN_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        started = time.perf_counter()
        ids = asyncio.run(build(url))
        print(f"built in {time.perf_counter() - started:.1f} s: {ids['mixed_occurrences']} occurrences in the "
              f"mixed feed's window, {ids['one-off_occurrences']} in the one-off feed's", flush=True)
        with serving(__file__, url, tmp) as client:
            results = {name: measure(client, name, ids[name], args.repeat, args.cold, tmp)
                       for name in ("mixed", "one-off")}

    print(f"\nmedians in ms ({args.cold} cold samples, {args.repeat} of each other), ratio to the plain response:")
    print(f"{'feed':<9} {'occurrences':>11} {'VEVENTs':>8} {'bytes':>10} | {'first':>16} {'repeated':>14} "
          f"{'304':>12} {'304 no-cache':>14} {'plain':>6}")
    def cell(r: dict, key: str, width: int) -> str:
        return f"{r[key]:.1f} ({r[key] / r['plain']:.1f}x)".rjust(width)

    for name, r in results.items():

        print(f"{name:<9} {ids[name + '_occurrences']:>11} {r['vevents']:>8} {r['bytes']:>10} | "
              f"{cell(r, 'first', 16)} {cell(r, 'repeated', 14)} {cell(r, '304', 12)} {cell(r, '304 no-cache', 14)} "
              f"{r['plain']:>6.1f}")
    print("\nGET /health while a cold feed renders (median, max, requests answered):")
    for name, r in results.items():
        median, worst, count = r["health"]
        print(f"{name:<9} {median:.1f} ms, {worst:.1f} ms, {count}")


if __name__ == "__main__":
    main()
