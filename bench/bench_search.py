"""What a search costs on a province-sized network: p50/p99 of two-, three- and four-character
queries through `api/search` (the index), as ratios to today's `name contains` scan on the same
data, at several event counts, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_search.py [--scale 121] [--sizes 5000,20000,50000,200000]
        [--backends sqlite,postgres] [--queries 20] [--repeat 3] [--data-cache NAME]

Data: the demo network at `--scale` (`wenming demo --scale 121`, written in bulk by
api/demo/bulk.py and indexed as it loads: 121 x 4 district centres, ~50,000 sites, ~238,000
events whose titles name their team, village or district: 活动 in many, 洪四村 in a few), then
ANALYZE. The events are then cut down to each size, largest first: each event gets a seeded
random rank, and at size N the events ranked N and above are deleted with their index entries
and occurrences (so the 5,000 are among the 20,000, and so on), then VACUUM (ANALYZE). The
sites, teams and lecturers stay as loaded at every size. `--data-cache NAME` keeps the loaded
network (SQLite: /tmp/NAME.sqlite3; PostgreSQL: a database NAME on the server) and starts
later runs from a copy of it instead of loading again.

Queries: for each length, `--queries` distinct substrings (seeded, the same every run) of the
titles of the events kept at the smallest size (three in four) and of site names (one in
four), from very common (活动) to rare (a village's name). The query mix is printed at each
size: how many event titles and site names hold each query.

Measured in one process against the database, both on the same path (no HTTP, no GraphQL, no
objects loaded, the same connection call `execute_query_dict`), for each query:
- search: one page of 20, `search(parse_query(q), Scope(), first=20)` (api/search/query.py:
  parsing the text, building the statement, the match, the score, the page: it reads 21 rows
  to know if there is a next page), ids, kinds and scores back; and
- scan: what `sites(name:)` and friends do today, for the four kinds: `name/title LIKE %q%` of
  live rows in id order, a page of 21 each (sites, teams, lecturers, events), ids back: the
  statements Tortoise sends for them, built once per query before the timing, so Tortoise's
  query building is not counted against the scan.
Each query is run `--repeat` times, the searches of a length in a block and then its scans
(see measure); p50/p99 are over every run of every query of a length.
On PostgreSQL the plan of the commonest two-character query's first page is printed at each
size, and what the server spends on each side (server_times: planning + execution by EXPLAIN
ANALYZE, one run of each query), a second table without the round trips and the waits for a
CPU that dominate the client-side times on a loaded machine.
PostgreSQL needs WENMING_BENCH_POSTGRES_URL (a server URL; a fresh database is made beside it).
Not a test: the figures go in docs/search.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from tortoise import connections  # noqa: E402
from tortoise.backends.base.executor import EXECUTOR_CACHE  # noqa: E402

from api import db  # noqa: E402
from api.db.statistics import analyze  # noqa: E402
from api.demo import load_demo  # noqa: E402
from api.models.events import Event, EventStatus  # noqa: E402
from api.models.people import Person  # noqa: E402
from api.models.search import SearchDoc  # noqa: E402
from api.models.sites import Site  # noqa: E402
from api.models.teams import Team  # noqa: E402
from api.search import query as search_query  # noqa: E402
from api.search.tokens import parse_query  # noqa: E402

BENCH_DB = f"wenming_bench_search_{os.getpid()}"
LIVE = {"deleted_at__isnull": True}
# Rows that hang off an event (deleted with it when the event table is cut to a size).
EVENT_CHILDREN = ("occurrence", "event_lecturer", "event_override")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def load_network(scale: int) -> None:
    started = time.perf_counter()
    counts = await load_demo(scale=scale, bulk=True)
    print(f"demo --scale {scale} loaded in {time.perf_counter() - started:.0f} s: "
          f"{counts['sites']} sites, {counts['events']} events, {counts['occurrences']} occurrences", flush=True)
    await analyze()


async def rank_events() -> int:
    """Give every event a seeded random rank (table bench_rank): a size keeps ranks below it."""
    conn = connections.get("default")
    ids = list(await Event.all().order_by("id").values_list("id", flat=True))
    random.Random(16).shuffle(ids)
    await conn.execute_script("DROP TABLE IF EXISTS bench_rank; "
                              "CREATE TABLE bench_rank (event_id INTEGER PRIMARY KEY, rank INTEGER NOT NULL)")
    for at in range(0, len(ids), 5000):
        chunk = ", ".join(f"({event_id}, {at + i})" for i, event_id in enumerate(ids[at:at + 5000]))
        await conn.execute_script(f"INSERT INTO bench_rank (event_id, rank) VALUES {chunk}")
    await conn.execute_script("CREATE INDEX bench_rank_rank ON bench_rank (rank)")
    return len(ids)


async def cut_events(size: int) -> None:
    """Delete the events ranked `size` and above, their index entries and their rows, then vacuum."""
    conn = connections.get("default")
    doomed = f"SELECT event_id FROM bench_rank WHERE rank >= {int(size)}"
    await conn.execute_script(f"DELETE FROM search_doc WHERE kind = 'EVENT' AND object_id IN ({doomed})")
    for table in EVENT_CHILDREN:
        await conn.execute_script(f"DELETE FROM {table} WHERE event_id IN ({doomed})")
    await conn.execute_script(f"DELETE FROM event WHERE id IN ({doomed})")
    await conn.execute_script(f"DELETE FROM bench_rank WHERE rank >= {int(size)}")
    await conn.execute_script("VACUUM ANALYZE" if conn.capabilities.dialect == "postgres" else "VACUUM")
    if conn.capabilities.dialect != "postgres":
        await analyze()


async def sample_queries(per_length: int, smallest: int) -> dict[int, list[str]]:
    """Distinct CJK substrings by length (seeded): three in four from the titles of the events
    kept at the smallest size (so every size holds each one), one in four from site names."""
    rng = random.Random(16)
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        f"SELECT e.title FROM event e JOIN bench_rank r ON r.event_id = e.id WHERE r.rank < {int(smallest)} "
        "AND e.deleted_at IS NULL ORDER BY e.id")
    titles = [r["title"] for r in rows]
    names = list(await Site.filter(**LIVE).order_by("id").values_list("name", flat=True))
    out: dict[int, list[str]] = {}
    for length in (2, 3, 4):
        seen: dict[str, None] = {}
        while len(seen) < per_length:
            text = rng.choice(titles if rng.random() < 0.75 else names)
            runs = [r for r in parse_query(text).terms if len(r) >= length and not r.isascii()] if text.strip() else []
            if not runs:
                continue
            run = rng.choice(runs)
            start = rng.randrange(0, len(run) - length + 1)
            seen[run[start:start + length]] = None
        out[length] = list(seen)
    return out


async def query_mix(queries: dict[int, list[str]]) -> None:
    """How many live event titles and site names hold each query, commonest first."""
    conn = connections.get("default")
    events = await Event.filter(status__not=EventStatus.DRAFT, **LIVE).count()
    sites = await Site.filter(**LIVE).count()
    for length, qs in queries.items():
        counts = []
        for q in qs:
            found = await conn.execute_query_dict(
                "SELECT (SELECT COUNT(*) FROM event WHERE deleted_at IS NULL AND status <> 'DRAFT' AND title LIKE $1) AS e, "
                "(SELECT COUNT(*) FROM site WHERE deleted_at IS NULL AND name LIKE $1) AS s"
                if conn.capabilities.dialect == "postgres" else
                "SELECT (SELECT COUNT(*) FROM event WHERE deleted_at IS NULL AND status <> 'DRAFT' AND title LIKE ?1) AS e, "
                "(SELECT COUNT(*) FROM site WHERE deleted_at IS NULL AND name LIKE ?1) AS s", [f"%{q}%"])
            counts.append((found[0]["e"], found[0]["s"], q))
        counts.sort(reverse=True)
        print(f"  query mix, {length} chars (event titles/site names holding it, of {events:,}/{sites:,}): "
              + ", ".join(f"{q} {e:,}/{s:,}" for e, s, q in counts), flush=True)


def scan_statements(q: str) -> list[tuple[str, list]]:
    """Today's `name contains` lists, a page of 21 each (what `sites(name:)` and friends run):
    the SQL and parameters Tortoise sends for them, made once per query outside the timing."""
    statements = []
    for qs in (
        Site.filter(name__contains=q, **LIVE),
        Team.filter(name__contains=q, **LIVE),
        Person.filter(name__contains=q, is_lecturer=True, **LIVE),
        Event.filter(title__contains=q, status__not=EventStatus.DRAFT, **LIVE),
    ):
        page = qs.order_by("id").limit(21).values_list("id", flat=True)
        page._make_query()  # Tortoise's own statement (private API: a bench may lean on it)
        statements.append(page.query.get_parameterized_sql())
    return statements


async def scan(statements: list[tuple[str, list]]) -> int:
    """The four lists through the connection call `search` uses (no ORM work timed)."""
    conn = connections.get("default")
    return sum([len(await conn.execute_query_dict(sql, params)) for sql, params in statements])


async def search(q: str) -> int:
    hits, _ = await search_query.search(parse_query(q), search_query.Scope(), first=20)
    return len(hits)


def _executed(node: dict) -> list[dict]:
    """The plan nodes that ran (an arm of the UNION ALL after the page is full never runs)."""
    if not node.get("Actual Loops"):
        return []
    return [node] + [n for child in node.get("Plans", []) for n in _executed(child)]


async def explain_first_page(q: str) -> dict:
    """PostgreSQL: EXPLAIN (ANALYZE) of the statement the first page of `q` sends."""
    conn = connections.get("default")
    seen: list[tuple[str, list]] = []
    original = conn.execute_query_dict

    async def capture(sql, values=None):
        seen.append((sql, values))
        return await original(sql, values)

    conn.execute_query_dict = capture
    try:
        await search(q)
    finally:
        conn.execute_query_dict = original
    sql, values = seen[-1]
    _, rows = await conn.execute_query(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", values)
    plan = rows[0]["QUERY PLAN"]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]


async def plan_of_first_page(q: str) -> str:
    """The node types that ran and the most rows any of them read (kept or filtered out). A
    common word must be read as an index range that stops at the page: no Seq Scan, no Sort of
    every match."""
    nodes = _executed((await explain_first_page(q))["Plan"])
    kinds = sorted({n["Node Type"] for n in nodes})
    widest = max(int((n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]) for n in nodes)
    bad = [k for k in kinds if k in ("Seq Scan", "Sort", "Bitmap Heap Scan")]
    return f"{q!r}: {', '.join(kinds)}; at most {widest} rows read by any node; {'NOT ' if bad else ''}a range read" + (
        f" ({', '.join(bad)})" if bad else "")


async def explain_scan(statements: list[tuple[str, list]]) -> float:
    """PostgreSQL: planning + execution of the four lists of the scan, by EXPLAIN ANALYZE (ms)."""
    conn = connections.get("default")
    total = 0.0
    for sql, params in statements:
        _, rows = await conn.execute_query(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = rows[0]["QUERY PLAN"]
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
        total += plan["Planning Time"] + plan["Execution Time"]
    return total


def _pct(samples: list[float], p: float) -> float:
    return percentile([s / 1000 for s in samples], p)


async def server_times(queries: dict[int, list[str]]) -> dict[int, dict[str, float]]:
    """PostgreSQL: what the server spends on each side, planning + execution by EXPLAIN ANALYZE
    (one run of each query, after the timed runs), without the round trips and the waits for a
    CPU that dominate the client-side times on a loaded machine."""
    out = {}
    for length, qs in queries.items():
        plans = [await explain_first_page(q) for q in qs]
        planning, execution = [p["Planning Time"] for p in plans], [p["Execution Time"] for p in plans]
        searches = [a + b for a, b in zip(planning, execution)]
        scans = [await explain_scan(scan_statements(q)) for q in qs]
        out[length] = {"search_p50": _pct(searches, 50), "search_p99": _pct(searches, 99),
                       "scan_p50": _pct(scans, 50), "scan_p99": _pct(scans, 99)}
        print(f"  {length} chars, server (EXPLAIN ANALYZE) search planning median {statistics.median(planning):.2f} "
              f"(most {max(planning):.2f}) ms, execution {statistics.median(execution):.2f} ({max(execution):.2f}) ms; "
              f"search p50 {out[length]['search_p50']:.2f} p99 {out[length]['search_p99']:.2f} ms | "
              f"scan p50 {out[length]['scan_p50']:.2f} p99 {out[length]['scan_p99']:.2f} ms", flush=True)
    return out


async def timed(fn, arg) -> float:
    started = time.perf_counter()
    await fn(arg)
    return time.perf_counter() - started


async def measure(queries: dict[int, list[str]], repeat: int) -> dict[int, dict[str, list[float]]]:
    """Per length: every query once on both sides (warming the caches), then `repeat` rounds of
    the searches, then `repeat` rounds of the scans. Not interleaved query by query: a scan
    burns 100-300 ms of CPU, and on a shared machine the scheduler then makes this process
    wait, so the search run right after it was charged for the scan (SQLite, 200,000 events,
    load average 13: search p50 3.7 ms interleaved, 0.2 ms on its own)."""
    results: dict[int, dict[str, list[float]]] = {}
    for length, qs in queries.items():
        statements = {q: scan_statements(q) for q in qs}
        for q in qs:
            await search(q), await scan(statements[q])
        runs = {"search": [], "scan": []}
        for _ in range(repeat):
            for q in qs:
                runs["search"].append(await timed(search, q))
        for _ in range(repeat):
            for q in qs:
                runs["scan"].append(await timed(scan, statements[q]))
        results[length] = runs
    return results


async def run_backend(name: str, url: str, sizes: list[int], per_length: int, repeat: int,
                      scale: int, loaded: bool) -> list[dict]:
    EXECUTOR_CACHE.clear()  # Tortoise caches INSERTs per connection name, not per dialect
    await db.migrate(url)
    rows = []
    # No statement limit: the load and the cuts are long statements.
    async with db.connected(url, timeouts=db.Timeouts(statement=None)):
        if not loaded:
            await load_network(scale)
        total = await rank_events()
        print(f"[{name}] {await Site.filter(**LIVE).count()} sites, {await Team.filter(**LIVE).count()} teams, "
              f"{total} events", flush=True)
        queries = await sample_queries(per_length, min(sizes))
        for size in sorted(sizes, reverse=True):
            if size > total:
                print(f"[{name}] {size} events: skipped, the network has {total}", flush=True)
                continue
            started = time.perf_counter()
            await cut_events(size)
            print(f"[{name}] {await Event.all().count()} events, {await SearchDoc.all().count()} index entries "
                  f"(cut in {time.perf_counter() - started:.0f} s)", flush=True)
            await query_mix(queries)
            if name == "postgres":
                counts_2 = [(await Event.filter(title__contains=q).count(), q) for q in queries[2]]
                commonest = max(counts_2)[1]
                print(f"[{name}] plan of the commonest two-character query ({max(counts_2)[0]} titles): "
                      f"{await plan_of_first_page(commonest)}", flush=True)
            measured = await measure(queries, repeat)
            server = await server_times(queries) if name == "postgres" else {}
            for length, runs in measured.items():
                row = {
                    "backend": name, "events": size, "length": length,
                    "search_p50": percentile(runs["search"], 50), "search_p99": percentile(runs["search"], 99),
                    "scan_p50": percentile(runs["scan"], 50), "scan_p99": percentile(runs["scan"], 99),
                    "server": server.get(length),
                }
                rows.append(row)
                print(
                    f"  {length} chars: search p50 {row['search_p50']:.2f} ms p99 {row['search_p99']:.2f} ms | "
                    f"scan p50 {row['scan_p50']:.2f} ms p99 {row['scan_p99']:.2f} ms | "
                    f"ratio p50 {row['scan_p50'] / row['search_p50']:.1f}x p99 {row['scan_p99'] / row['search_p99']:.1f}x",
                    flush=True,
                )
        await connections.get("default").execute_script("DROP TABLE bench_rank")
    return sorted(rows, key=lambda r: (r["events"], r["length"]))


async def _admin(server: str, *statements: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _database_exists(server: str, name: str) -> bool:
    conn = await asyncpg.connect(server)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def _with_database(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + f"/{name}"


async def run_postgres(server: str, args) -> list[dict]:
    """In a fresh database; with --data-cache, a copy (TEMPLATE) of the cached network, loaded
    into the cache first if it is not there."""
    loaded = False
    if args.data_cache:
        if not await _database_exists(server, args.data_cache):
            await _admin(server, f"CREATE DATABASE {args.data_cache}")
            cache_url = _with_database(server, args.data_cache)
            EXECUTOR_CACHE.clear()
            await db.migrate(cache_url)
            async with db.connected(cache_url, timeouts=db.Timeouts(statement=None)):
                await load_network(args.scale)
        await _admin(server, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)",
                     f"CREATE DATABASE {BENCH_DB} TEMPLATE {args.data_cache}")
        loaded = True
    else:
        await _admin(server, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)", f"CREATE DATABASE {BENCH_DB}")
    try:
        return await run_backend("postgres", _with_database(server, BENCH_DB), args.sizes, args.queries, args.repeat,
                                 args.scale, loaded)
    finally:
        await _admin(server, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def run_sqlite(args) -> list[dict]:
    """In a temporary file; with --data-cache, a copy of /tmp/NAME.sqlite3, loaded first if missing."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        loaded = False
        if args.data_cache:
            cache = Path(tempfile.gettempdir()) / f"{args.data_cache}.sqlite3"
            if not cache.exists():
                async def load() -> None:
                    EXECUTOR_CACHE.clear()
                    await db.migrate(f"sqlite://{path}")
                    async with db.connected(f"sqlite://{path}", timeouts=db.Timeouts(statement=None)):
                        await load_network(args.scale)
                asyncio.run(load())
                shutil.copyfile(path, cache)
            else:
                shutil.copyfile(cache, path)
            loaded = True
        return asyncio.run(run_backend("sqlite", f"sqlite://{path}", args.sizes, args.queries, args.repeat,
                                       args.scale, loaded))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=121, help="the demo network's scale (121: ~50,000 sites)")
    parser.add_argument("--sizes", default="5000,20000,50000,200000", help="event counts to measure at")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--queries", type=int, default=20, help="distinct queries per length")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query")
    parser.add_argument("--data-cache", default="", help="keep the loaded network under this name and reuse it")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[dict] = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            rows += run_sqlite(args)
        else:
            server = os.environ.get("WENMING_BENCH_POSTGRES_URL")
            if not server:
                print("[postgres] skipped: set WENMING_BENCH_POSTGRES_URL")
                continue
            rows += asyncio.run(run_postgres(server, args))
    print("\n| backend | events | query | search p50 | search p99 | scan p50 | scan p99 | p50 ratio | p99 ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['events']:,} | {r['length']} chars | {r['search_p50']:.2f} ms | {r['search_p99']:.2f} ms | "
            f"{r['scan_p50']:.2f} ms | {r['scan_p99']:.2f} ms | {r['scan_p50'] / r['search_p50']:.1f}x | "
            f"{r['scan_p99'] / r['search_p99']:.1f}x |"
        )
    served = [r for r in rows if r["server"]]
    if served:
        print("\nPostgreSQL, server time (EXPLAIN ANALYZE: planning + execution, one run of each query):")
        print("\n| events | query | search p50 | search p99 | scan p50 | scan p99 | p50 ratio | p99 ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for r in served:
            t = r["server"]
            print(f"| {r['events']:,} | {r['length']} chars | {t['search_p50']:.2f} ms | {t['search_p99']:.2f} ms | "
                  f"{t['scan_p50']:.2f} ms | {t['scan_p99']:.2f} ms | {t['scan_p50'] / t['search_p50']:.1f}x | "
                  f"{t['scan_p99'] / t['search_p99']:.1f}x |")


if __name__ == "__main__":
    main()
