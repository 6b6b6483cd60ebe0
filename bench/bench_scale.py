"""Province scale (issue 18): every canonical query at a small and a big network, on SQLite and
PostgreSQL, as p50/p99 and the ratio big/small (goal: at most 1.5x).

For each backend and size it loads the demo (``wenming demo`` with the size's arguments, a
subprocess: load time and rate are the command's wall time), migrates, runs the horizon job
twice (a first start after loading, then a restart: rows written by each) and ANALYZE; then it
serves both networks at once (two child processes) and measures them over keep-alive
connections, interleaved request by request (small, big, next query ...), so load from other
processes on a shared machine hits both alike:

- county week: ``occurrences(within: centre, from: today, to: +7 days, first: 100)``
- station board: the board document POSTed (computed every time)
- sites + subtreeCounts: ``sites(within: centre, first: 100) { subtreeCounts }``
- stats: the stats document POSTed for the centre (this year so far)
- subtree feed, warm: ``/feeds/sites/<centre>.ics?subtree=1`` after a first request
- board 304: the trusted board document over GET with If-None-Match

The centre is the first county centre (the demo builds its sites the same at every scale;
its events differ a little, the planner's draws following the whole network) and the station
its busiest in the coming week. Figures also: database size and server RSS after the run.
``--history-years N`` gives the big network N years of past occurrences before it is measured
(``history``: the demo loads about one year around today; a province keeps years), so the
occurrence table approaches the issue's 5 million rows without weeks of loading. A big
database takes long to load: ``--reuse-sqlite``/``--reuse-postgres`` measure a database
loaded before (the load figures are then left out).

    .venv/bin/python bench/bench_scale.py [--small "--scale 1"] [--big "--scale 50"]
        [--backends sqlite,postgres] [--repeat 50] [--history-years N] [--reuse-sqlite [SMALL],BIG]
        [--reuse-postgres [URL_SMALL],URL_BIG]

PostgreSQL needs WENMING_BENCH_POSTGRES_URL (a server URL; the script creates and drops its
own databases there unless reusing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, measured_app, serving  # noqa: E402

WENMING = str(Path(sys.executable).parent / "wenming")
DOCUMENTS = ROOT / "schema" / "documents"

COUNTY_WEEK = """query($centre: ID!, $from: DateTime!, $to: DateTime!) {
  occurrences(within: $centre, from: $from, to: $to, first: 100) {
    edges { node { title startsAt endsAt status site { name } venue { name } platform { name } team { name } } }
  }
}"""
SITES = """query($centre: ID!) {
  sites(within: $centre, first: 100) { edges { node { name kind subtreeCounts { kind count } } } }
}"""


def gid(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def serve(url: str, port: int) -> None:
    import uvicorn

    app = measured_app(url, graphiql=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def load(url: str, demo_args: str) -> float:
    """`wenming demo ARGS` into an empty database; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([WENMING, "demo", *shlex.split(demo_args)], check=True, cwd=ROOT,
                   env=os.environ | {"WENMING_DATABASE_URL": url}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


HISTORY_MARK = "history:"  # external_key of the copies history() makes: a database has them or not
HISTORY_STEP = 364  # days back per year of history: whole weeks, so weekdays stay


def _shifted(dialect: str, column: str, days: int) -> str:
    """SQL for a datetime column moved ``days`` back. SQLite keeps them as text with the local
    offset (``2026-09-15 14:30:00+08:00``, perhaps with microseconds): move the first 19
    characters and keep the rest; China has no daylight saving, so the offset stays right."""
    if dialect == "postgres":
        return f"\"{column}\" - INTERVAL '{days} days'"
    return f"strftime('%Y-%m-%d %H:%M:%S', substr(\"{column}\", 1, 19), '-{days} days') || substr(\"{column}\", 20)"


async def history(years: int) -> tuple[int, float] | None:
    """Give a loaded network ``years`` of past: year k is a copy of the occurrences of the
    demo's year (``event_window``: the 365 days from three months ago that it plans lectures
    and activities on), with their events, moved back 364 x k days, so the years before it
    are as busy as it and no copy lands on today or later. In SQL (INSERT ... SELECT, one
    transaction per year). The copies are past series that the horizon job never extends
    (``materialised_until`` far ahead, marked complete); they have no lecturers, overrides or search entries
    (no canonical query reads those for the past). Then the figures kept on write are
    rebuilt from the occurrences. Returns (occurrences added, seconds), or None if the
    database has its history already."""
    from tortoise import connections
    from tortoise.fields import DatetimeField
    from tortoise.transactions import in_transaction

    from api.demo.programme import event_window
    from api.domain import clock, kept_figures
    from api.models.events import Event, Occurrence

    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    if await Event.filter(external_key__startswith=HISTORY_MARK).exists():
        return None
    started = time.perf_counter()
    if dialect == "sqlite":  # SQLite's default 2 MB page cache makes each year slower than the last (106 s, 231 s)
        await conn.execute_script("PRAGMA cache_size = -2000000")  # KiB: up to 2 GB, for this connection only
    first = clock.day_start(event_window(clock.local_date(clock.now()))[0])

    def instant(moment) -> str:
        text = f"'{clock.local(moment).isoformat(sep=' ')}'"  # as SQLite keeps them (local time, offset)
        return f"CAST({text} AS TIMESTAMPTZ)" if dialect == "postgres" else text

    year_of_demo = f'"starts_at" >= {instant(first)} AND "starts_at" < {instant(first + timedelta(days=HISTORY_STEP))}'
    strides = {Event: await _max_id(conn, "event"), Occurrence: await _max_id(conn, "occurrence")}
    copied = {  # which loaded rows each year copies (ids up to the stride: never earlier copies)
        Event: f'"id" IN (SELECT "event_id" FROM "occurrence" WHERE "id" <= {strides[Occurrence]} AND {year_of_demo})',
        Occurrence: f'"id" <= {strides[Occurrence]} AND {year_of_demo}',
    }
    never = instant(datetime(2100, 1, 1, tzinfo=clock.SHANGHAI))  # a horizon no job reaches: copies stay as made
    added = 0
    for year in range(1, years + 1):
        days = HISTORY_STEP * year
        async with in_transaction() as tx:
            for model in (Event, Occurrence):
                meta = model._meta
                columns, values = [], []
                for name in meta.db_fields:
                    field = meta.fields_map[meta.fields_db_projection_reverse[name]]
                    value = f'"{name}"'
                    if name == "id":
                        value = f'"id" + {year * strides[model]}'
                    elif name == "event_id":
                        value = f'"event_id" + {year * strides[Event]}'
                    elif name == "external_key":
                        value = f"'{HISTORY_MARK}{year}'"
                    elif name == "lineage_id":
                        value = "NULL"
                    elif name == "materialised_until":
                        value = never
                    elif name == "materialised_complete":
                        value = "TRUE"  # past series: out of the horizon job's index, as finished ones are
                    elif isinstance(field, DatetimeField):
                        value = _shifted(dialect, name, days)
                    columns.append(f'"{name}"')
                    values.append(value)
                table = meta.db_table
                await tx.execute_query(f'INSERT INTO "{table}" ({", ".join(columns)}) '
                                       f'SELECT {", ".join(values)} FROM "{table}" WHERE {copied[model]}')
        added = await Occurrence.filter(id__gt=strides[Occurrence]).count()
        print(f"  history: year {year} of {years}, {added:,} occurrences added, "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    if dialect == "postgres":  # rows inserted with their own ids do not move the sequences
        for table in ("event", "occurrence"):
            await conn.execute_query(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    await kept_figures.rebuild()
    return added, time.perf_counter() - started


async def _max_id(conn, table: str) -> int:
    _, rows = await conn.execute_query(f'SELECT MAX(id) AS m FROM "{table}"')
    return int(dict(rows[0])["m"])


def migrate(url: str) -> None:
    subprocess.run([WENMING, "migrate"], check=True, cwd=ROOT, env=os.environ | {"WENMING_DATABASE_URL": url},
                   stdout=subprocess.DEVNULL)


async def inspect(url: str, history_years: int = 0) -> dict:
    """History if asked for, counts, the horizon job twice (rows written and seconds), and the
    sites to ask about."""
    from tortoise import connections

    from api import db
    from api.db.statistics import analyze
    from api.domain import clock, occurrences
    from api.domain.occurrences import OccurrenceFilter
    from api.domain.sites import subtree
    from api.models.events import Event, Occurrence
    from api.models.sites import Site, SiteKind

    async with db.connected(url, timeouts=db.Timeouts(statement=None)):  # a big first start, ANALYZE
        made = await history(history_years) if history_years else None
        horizon = []
        for _ in range(2):  # the first start after loading, then a restart
            started = time.perf_counter()
            written = await occurrences.extend_horizon()
            horizon.append((written, time.perf_counter() - started))
        await analyze()  # as `wenming demo` does after loading (a reused database may predate that)
        centre = await Site.filter(kind=SiteKind.CENTER, deleted_at__isnull=True).order_by("id").first()
        start = clock.day_start(clock.local_date(clock.now()))
        week = OccurrenceFilter(start=start, end=start + timedelta(days=7), within_path=centre.path)
        busy: dict[int, int] = {}
        for site_id in await week.queryset().values_list("site_id", flat=True):
            busy[site_id] = busy.get(site_id, 0) + 1
        stations = await Site.filter(subtree(centre.path), kind=SiteKind.STATION, id__in=list(busy)).values_list("id", flat=True)
        station = max(stations, key=lambda i: (busy[i], -i))
        conn = connections.get("default")
        if conn.capabilities.dialect == "postgres":
            _, rows = await conn.execute_query("SELECT pg_database_size(current_database())")
            size = list(dict(rows[0]).values())[0]
        else:
            path = Path(url.split("://", 1)[1].split("?")[0])
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        return {
            "sites": await Site.all().count(), "events": await Event.all().count(),
            "occurrences": await Occurrence.all().count(), "horizon": horizon, "size": size,
            "centre": centre.id, "centre_week": sum(busy.values()), "station": station, "station_week": busy[station],
            "from": start.isoformat(), "to": (start + timedelta(days=7)).isoformat(), "history": made,
        }


def requests(found: dict) -> dict[str, dict]:
    centre, station = gid("Site", found["centre"]), gid("Site", found["station"])
    board = (DOCUMENTS / "board.graphql").read_text()
    stats = (DOCUMENTS / "stats.graphql").read_text()
    return {
        "county week occurrences": {"method": "POST", "url": "/graphql", "json": {
            "query": COUNTY_WEEK, "variables": {"centre": centre, "from": found["from"], "to": found["to"]}}},
        "station board (computed)": {"method": "POST", "url": "/graphql", "json": {
            "query": board, "variables": {"site": station}}},
        "sites(within) + subtreeCounts": {"method": "POST", "url": "/graphql", "json": {
            "query": SITES, "variables": {"centre": centre}}},
        "stats(within: centre)": {"method": "POST", "url": "/graphql", "json": {
            "query": stats, "variables": {"within": centre}}},
        "subtree feed, warm": {"method": "GET", "url": f"/feeds/sites/{found['centre']}.ics",
                               "params": {"subtree": "1"}},
        "board trusted document, 304": {"method": "GET", "url": "/graphql", "params": {
            "documentId": "board", "variables": json.dumps({"site": station})}, "etag": True},
    }


def measure(clients: list[httpx.Client], asks: list[dict[str, dict]], repeat: int) -> list[dict[str, list[float]]]:
    """Samples of each query on each server (one per network), interleaved request by request:
    on a shared machine, load that comes and goes hits both networks alike."""
    etags: list[dict[str, str]] = [{} for _ in clients]
    for client, ask_set, tags in zip(clients, asks, etags):  # first requests: fill caches, check answers
        for name, ask in ask_set.items():
            response = client.request(ask["method"], ask["url"], params=ask.get("params"), json=ask.get("json"))
            assert response.status_code == 200, (name, response.status_code, response.text[:500])
            if ask["url"] == "/graphql":
                assert "errors" not in response.json(), (name, response.text[:500])
            tags[name] = response.headers.get("etag", "")
    samples: list[dict[str, list[float]]] = [{name: [] for name in a} for a in asks]
    for i in range(repeat + 5):  # 5 warm-up rounds
        for name in asks[0]:
            for client, ask_set, tags, out in zip(clients, asks, etags, samples):
                ask = ask_set[name]
                headers = {"If-None-Match": tags[name]} if ask.get("etag") else {}
                started = time.perf_counter()
                response = client.request(ask["method"], ask["url"], params=ask.get("params"), json=ask.get("json"),
                                          headers=headers)
                response.read()
                elapsed = time.perf_counter() - started
                assert response.status_code == (304 if ask.get("etag") else 200), (name, response.status_code)
                if i >= 5:
                    out[name].append(elapsed)
    return samples


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(backend: str, url: str, demo_args: str | None, history_years: int = 0) -> dict:
    seconds = load(url, demo_args) if demo_args else None
    migrate(url)
    found = asyncio.run(inspect(url, history_years))
    found["load_seconds"], found["url"] = seconds, url
    print(f"[{backend}] {found['sites']} sites, {found['events']} events, {found['occurrences']} occurrences"
          + (f", loaded in {seconds:.0f} s" if seconds else " (reused)")
          + f"; horizon job: first start {found['horizon'][0][0]} rows in {found['horizon'][0][1]:.1f} s, "
          f"restart {found['horizon'][1][0]} rows in {found['horizon'][1][1]:.1f} s; "
          f"centre {found['centre_week']} occurrences in the week, station {found['station_week']}"
          + (f"; history: {found['history'][0]:,} occurrences added in {found['history'][1]:.0f} s"
             if found["history"] else ""), flush=True)
    return found


def run_pair(small: dict, big: dict, repeat: int) -> None:
    """Serve both networks at once (two child processes) and measure them interleaved."""
    with serving(__file__, small["url"]) as small_client, serving(__file__, big["url"]) as big_client:
        clients = [small_client, big_client]
        samples = measure(clients, [requests(small), requests(big)], repeat)
        for found, client, sample in zip((small, big), clients, samples):
            found["samples"] = sample
            found["rss"] = rss_mb(client.server_process.pid)  # type: ignore[attr-defined]


def report(backend: str, small: dict, big: dict) -> None:
    print(f"\n### {backend}: {small['sites']:,} sites / {small['occurrences']:,} occurrences against "
          f"{big['sites']:,} sites / {big['occurrences']:,} occurrences\n")
    print("| query | small p50 | small p99 | big p50 | big p99 | p50 big/small | p99 big/small |")
    print("|---|---|---|---|---|---|---|")
    for name in small["samples"]:
        s50, s99 = percentile(small["samples"][name], 50), percentile(small["samples"][name], 99)
        b50, b99 = percentile(big["samples"][name], 50), percentile(big["samples"][name], 99)
        print(f"| {name} | {s50:.1f} ms | {s99:.1f} ms | {b50:.1f} ms | {b99:.1f} ms | {b50 / s50:.2f}x | {b99 / s99:.2f}x |")
    print()
    print("| | small | big |")
    print("|---|---|---|")

    def load_cell(r: dict) -> str:
        if not r["load_seconds"]:
            return "(reused)"
        return (f"{r['load_seconds']:.0f} s ({r['sites'] / r['load_seconds']:.0f} sites/s, "
                f"{r['occurrences'] / r['load_seconds']:.0f} occurrences/s)")

    print(f"| load | {load_cell(small)} | {load_cell(big)} |")
    for label, i in (("horizon job, first start", 0), ("horizon job, restart", 1)):
        print(f"| {label} | {small['horizon'][i][0]:,} rows, {small['horizon'][i][1]:.1f} s "
              f"| {big['horizon'][i][0]:,} rows, {big['horizon'][i][1]:.1f} s |")
    if big["history"]:
        print(f"| history added | | {big['history'][0]:,} occurrences in {big['history'][1]:.0f} s "
              f"({big['history'][0] / big['history'][1]:.0f}/s) |")
    print(f"| database size | {small['size'] / 2**20:.0f} MiB | {big['size'] / 2**20:.0f} MiB |")
    print(f"| server RSS after the run | {small['rss']:.0f} MiB | {big['rss']:.0f} MiB |")
    print(f"| occurrences in the county's week / the station's | {small['centre_week']} / {small['station_week']} "
          f"| {big['centre_week']} / {big['station_week']} |", flush=True)


def _postgres_database(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(scheme="postgres", path=f"/{name}"))


def _psql(server: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(server.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default="--scale 1", help="wenming demo arguments of the small network")
    parser.add_argument("--big", default="--scale 50", help="wenming demo arguments of the big network")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=50, help="samples of each query")
    parser.add_argument("--history-years", type=int, default=0,
                        help="give the big network N years of past occurrences (copies of its loaded year; "
                             "once: a database that has them is left as it is)")
    parser.add_argument("--reuse-sqlite", help="SMALL,BIG: SQLite files loaded before (one may be empty: loaded)")
    parser.add_argument("--reuse-postgres", help="SMALL,BIG: PostgreSQL URLs loaded before (one may be empty: loaded)")
    parser.add_argument("--serve", nargs=2, metavar=("DB_URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", flush=True)

    for backend in args.backends.split(","):
        demos = (("small", args.small, 0), ("big", args.big, args.history_years))
        reuse = (args.reuse_sqlite if backend == "sqlite" else args.reuse_postgres) or ","
        reused = reuse.split(",")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                runs = [prepare(backend, f"sqlite://{Path(old).resolve()}", None, years) if old else
                        prepare(backend, f"sqlite://{tmp}/{label}.sqlite3", demo, years)
                        for (label, demo, years), old in zip(demos, reused)]
                run_pair(*runs, args.repeat)
        else:
            server = os.environ.get("WENMING_BENCH_POSTGRES_URL")
            if not server and not all(reused):
                print("[postgres] skipped: set WENMING_BENCH_POSTGRES_URL")
                continue
            runs, made = [], []
            try:
                for (label, demo, years), old in zip(demos, reused):
                    if old:
                        runs.append(prepare(backend, old, None, years))
                        continue
                    name = f"wenming_bench_scale_{label}_{os.getpid()}"
                    _psql(server, f"CREATE DATABASE {name}")
                    made.append(name)
                    runs.append(prepare(backend, _postgres_database(server, name), demo, years))
                run_pair(*runs, args.repeat)
            finally:
                for name in made:
                    _psql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        report(backend, *runs)


if __name__ == "__main__":
    main()
