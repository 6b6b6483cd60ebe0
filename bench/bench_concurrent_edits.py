"""Editors and the horizon job at once, on PostgreSQL: do acknowledged edits reach the calendar?

    .venv/bin/python bench/bench_concurrent_edits.py [--postgres URL] [--events 10] [--editors 4]
        [--edits 95] [--workers 2]

Creates a fresh database on the PostgreSQL server named by --postgres (default:
WENMING_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/postgres), with `--events`
open-ended weekly series, and serves the real app with uvicorn on 127.0.0.1 (a subprocess,
no horizon task of its own). Then, at the same time:

- `--editors` threads each send `--edits` `updateEvent` calls over HTTP (new title, and a new
  time of day, so the series' occurrences all move), round-robin over the series, re-reading
  the version after a CONFLICT;
- `--workers` horizon jobs (`occurrences.extend_horizon()`, what every worker runs at start
  and daily) run in a loop in this process, as several workers would, until the editors stop.

It prints how many updates were acknowledged, refused with CONFLICT (a clear answer: another
editor won) or answered with an error ("Internal error"), how many horizon runs failed, and
how many series are stale afterwards: their occurrences differ from a fresh expansion of the
stored series. Not a test: the figures go in docs/design.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import measured_app, serving  # noqa: E402

UPDATE = """mutation($input: UpdateEventInput!) { updateEvent(input: $input) { event { version } errors { code } } }"""
VERSION = """query($id: ID!) { node(id: $id) { ... on Event { version } } }"""
TIMES = ["09:30", "14:30", "19:00"]


def gid(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def fresh_database(server_url: str) -> str:
    import asyncpg

    name = f"wenming_bench_concurrent_{os.getpid()}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return urlunsplit(urlsplit(server_url)._replace(scheme="postgres", path=f"/{name}"))


async def build(url: str, n_events: int) -> tuple[str, list[tuple[int, str]]]:
    """A centre with n weekly series; an EDITOR token on it."""
    from datetime import datetime

    from api import db
    from api.domain import accounts
    from api.domain.clock import SHANGHAI
    from api.domain.events import create_event
    from api.domain.sites import create_site
    from api.models.accounts import Role
    from api.models.events import EventKind, EventStatus
    from api.models.platforms import Platform
    from api.models.sites import SiteKind

    await db.migrate(url)
    async with db.connected(url):
        platform = await Platform.create(code="CULTURE", name="文化服务", lead_unit="县文旅局", sort_order=1)
        centre = await create_site(kind=SiteKind.CENTER, name="洛江区新时代文明实践中心", region_code="350504")
        token = (await accounts.create_token("bench", site=centre, role=Role.EDITOR))[1]
        events = []
        for i in range(n_events):
            day = datetime(2026, 3, 1 + i, 9, 30, tzinfo=SHANGHAI)
            event = await create_event(
                kind=EventKind.ACTIVITY, title=f"志愿服务{i}", platform_id=platform.id, site_id=centre.id,
                starts_at=day, ends_at=day.replace(hour=11), rrule="FREQ=WEEKLY", status=EventStatus.PUBLISHED,
            )
            events.append((event.id, day.date().isoformat()))
    return token, events


def serve(url: str, port: int) -> None:
    import uvicorn

    app = measured_app(url, graphiql=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def editor(base_url: str, token: str, events: list[tuple[int, str]], n: int, args, tally: dict, lock: threading.Lock) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for k in range(args.edits):
            pk, day = events[(k * args.editors + n) % len(events)]  # at each step the editors pick different series
            version = client.post("/graphql", json={"query": VERSION, "variables": {"id": gid("Event", pk)}}).json()
            version = version["data"]["node"]["version"]
            hh, mm = TIMES[(n + k) % len(TIMES)].split(":")
            start, end = f"{day}T{hh}:{mm}:00+08:00", f"{day}T{int(hh) + 1:02d}:{mm}:00+08:00"
            response = client.post("/graphql", json={"query": UPDATE, "variables": {"input": {
                "id": gid("Event", pk), "version": version, "title": f"编辑{n}-{k}", "startsAt": start, "endsAt": end}}})
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            if response.status_code != 200 or body.get("errors"):
                outcome = "error"
            elif body["data"]["updateEvent"]["errors"]:
                outcome = body["data"]["updateEvent"]["errors"][0]["code"]
            else:
                outcome = "acknowledged"
            with lock:
                tally[outcome] = tally.get(outcome, 0) + 1


async def stale_series() -> int:
    from api.domain import occurrences
    from api.domain.recurrence import Change, expand
    from api.models.events import Event, EventOverride, Occurrence

    until = occurrences.horizon_end()
    stale = 0
    for event in await Event.all():
        changes = {o.recurrence_id: Change(o.cancelled, o.starts_at, o.ends_at, o.title, o.venue_id)
                   for o in await EventOverride.filter(event_id=event.id)}
        expected = sorted(
            (i.recurrence_id.timestamp(), i.starts_at.timestamp(), i.ends_at.timestamp(), i.title or event.title)
            for i in expand(starts_at=event.starts_at, ends_at=event.ends_at, all_day=event.all_day, rule_text=event.rrule,
                            exdates=event.exdates, changes=changes, until=until))
        stored = sorted((o.recurrence_id.timestamp(), o.starts_at.timestamp(), o.ends_at.timestamp(), o.title)
                        for o in await Occurrence.filter(event_id=event.id))
        stale += stored != expected
    return stale


async def measure(url: str, base_url: str, token: str, events: list, args) -> dict:
    from api import db
    from api.domain import occurrences

    tally: dict[str, int] = {}
    horizon = {"runs": 0, "failed": 0}
    lock = threading.Lock()
    async with db.connected(url):
        done = asyncio.Event()

        async def worker() -> None:
            while not done.is_set():
                try:
                    await occurrences.extend_horizon()
                except Exception as error:  # what a worker would log
                    horizon["failed"] += 1
                    horizon.setdefault("first failure", f"{type(error).__name__}: {str(error).splitlines()[0]}")
                horizon["runs"] += 1

        workers = [asyncio.create_task(worker()) for _ in range(args.workers)]
        started = time.perf_counter()
        await asyncio.gather(*(asyncio.to_thread(editor, base_url, token, events, n, args, tally, lock)
                               for n in range(args.editors)))
        done.set()
        await asyncio.gather(*workers)
        elapsed = time.perf_counter() - started
        stale = await stale_series()
    return {"tally": tally, "horizon": horizon, "stale": stale, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = os.environ.get("WENMING_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--postgres", default=default, help="a PostgreSQL server URL (a fresh database is made beside it)")
    parser.add_argument("--events", type=int, default=10, help="weekly series")
    parser.add_argument("--editors", type=int, default=4, help="editor threads")
    parser.add_argument("--edits", type=int, default=95, help="updateEvent calls per editor")
    parser.add_argument("--workers", type=int, default=2, help="horizon jobs running in a loop")
    parser.add_argument("--serve", nargs=2, metavar=("DB_URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    url = asyncio.run(fresh_database(args.postgres))
    token, events = asyncio.run(build(url, args.events))
    with serving(__file__, url) as client:
        result = asyncio.run(measure(url, str(client.base_url), token, events, args))
    tally, horizon = result["tally"], result["horizon"]
    print(f"{args.editors} editors x {args.edits} updateEvent on {args.events} weekly series, "
          f"{args.workers} horizon jobs in a loop, {result['seconds']:.1f} s:")
    print(f"  updates: {sum(tally.values())}: acknowledged {tally.get('acknowledged', 0)}, "
          f"CONFLICT {tally.get('CONFLICT', 0)}, internal errors {tally.get('error', 0)}"
          + "".join(f", {k} {v}" for k, v in tally.items() if k not in ("acknowledged", "CONFLICT", "error")))
    print(f"  horizon runs: {horizon['runs']}, failed {horizon['failed']}"
          + (f" (first: {horizon['first failure']})" if horizon["failed"] else ""))
    print(f"  stale series afterwards: {result['stale']} of {args.events}")


if __name__ == "__main__":
    main()
