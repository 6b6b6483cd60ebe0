"""What a search costs: p50/p99 of two-, three- and four-character queries through
`api/search` (the index), as ratios to today's `name contains` scan on the same data, at
several sizes, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_search.py [--sizes 5000,20000,50000] [--backends sqlite,postgres]
        [--queries 30] [--repeat 3]

Data: the demo city (`wenming demo`: 371 sites, 404 teams, 43 lecturers, ~1,900 events with
real titles and descriptions), indexed by `reindex()` (its time is printed), then its events
copied (INSERT ... SELECT, each copy moved to another site) with their index entries until the
event table holds each size (see grow_events). On PostgreSQL the plan of the commonest
two-character query's first page is printed at each size (plan_of_first_page). Queries: for each length, `--queries` distinct substrings of
event titles and site names (seeded, so every run asks the same), from very common (宣讲)
to rare (a village name).

Measured in one process against the database, both on the same path (no HTTP, no GraphQL, no
objects loaded, the same connection call `execute_query_dict`), for each query:
- search: one page of 20, `search(parse_query(q), Scope(), first=20)` (api/search/query.py:
  parsing the text, building the statement, the match, the score, the page: it reads 21 rows
  to know if there is a next page), ids, kinds and scores back; and
- scan: what `sites(name:)` and friends do today, for the four kinds: `name/title LIKE %q%` of
  live rows in id order, a page of 21 each (sites, teams, lecturers, events), ids back: the
  statements Tortoise sends for them, built once per query before the timing, so Tortoise's
  query building (~0.35 ms a list) is not counted against the scan.
Each query is run `--repeat` times; p50/p99 are over every run of every query of a length.
The data is the demo city's 371 sites with its events copied: a province's 50,000 sites are
not made (the site list is scanned whole only for a word no site name has).
PostgreSQL needs WENMING_BENCH_POSTGRES_URL (a server URL; a fresh database is made beside it).
Not a test: the figures go in docs/search.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
from api.demo import load_demo  # noqa: E402
from api.models.events import Event, EventStatus  # noqa: E402
from api.models.people import Person  # noqa: E402
from api.models.search import SearchDoc  # noqa: E402
from api.models.sites import Site  # noqa: E402
from api.models.teams import Team  # noqa: E402
from api.search import query as search_query  # noqa: E402
from api.search.index import reindex  # noqa: E402
from api.search.tokens import parse_query  # noqa: E402

BENCH_DB = f"wenming_bench_search_{os.getpid()}"
LIVE = {"deleted_at__isnull": True}


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def grow_events(target: int) -> None:
    """Copy events (text and all) until there are `target`, each copy at another live site, and
    copy each one's index entry with it (the same tokens `reindex()` would write for the same
    text; the site path of the copy's site; the source's last_end, so the demo's mix of past and
    upcoming events carries over). Bulk SQL: 200,000 events load in minutes, not hours."""
    conn = connections.get("default")
    site_ids = await Site.filter(**LIVE).order_by("id").values_list("id", flat=True)
    await conn.execute_script(
        "DROP TABLE IF EXISTS bench_site_map; CREATE TABLE bench_site_map (idx INTEGER PRIMARY KEY, site_id INTEGER NOT NULL);"
        "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (new_id INTEGER PRIMARY KEY, src_id INTEGER NOT NULL)"
    )
    values = ", ".join(f"({i}, {sid})" for i, sid in enumerate(site_ids))
    await conn.execute_script(f"INSERT INTO bench_site_map (idx, site_id) VALUES {values}")
    columns = ("kind, title, summary, description, platform_id, topic, format, starts_at, ends_at, all_day, "
               "exdates, status, audience, created_at, updated_at, version, skip_holidays, on_makeup_workdays, "
               "calendar_exdates, calendar_rdates")
    while (count := await Event.all().count()) < target:
        top = (await Event.all().order_by("-id").first().values_list("id", flat=True)) or 0
        n = min(count, target - count)
        shift = random.Random(count).randrange(1, len(site_ids))
        sources = await Event.filter(id__lte=top).order_by("id").limit(n).values_list("id", flat=True)
        await conn.execute_script(
            f"INSERT INTO event ({columns}, site_id) SELECT {', '.join('e.' + c.strip() for c in columns.split(','))}, m.site_id "
            f"FROM event e JOIN bench_site_map m ON m.idx = (e.id + {shift}) % {len(site_ids)} "
            f"WHERE e.id <= {int(top)} ORDER BY e.id LIMIT {int(n)}"
        )
        copies = await Event.filter(id__gt=top).order_by("id").values_list("id", flat=True)
        await conn.execute_script("DELETE FROM bench_copy")
        pairs = list(zip(copies, sources, strict=True))
        for at in range(0, len(pairs), 5000):
            chunk = ", ".join(f"({new}, {src})" for new, src in pairs[at:at + 5000])
            await conn.execute_script(f"INSERT INTO bench_copy (new_id, src_id) VALUES {chunk}")
        rows = await conn.execute_query_dict(
            "SELECT COUNT(*) AS n FROM bench_copy c JOIN event a ON a.id = c.new_id JOIN event b ON b.id = c.src_id "
            "WHERE a.title <> b.title")
        assert rows[0]["n"] == 0, "copies out of step with their sources"
        await conn.execute_script(
            "INSERT INTO search_doc (kind, object_id, site_path, title_len, title_key, last_end, title_tokens, body_tokens, initials_tokens) "
            "SELECT d.kind, c.new_id, s.path, d.title_len, d.title_key, d.last_end, d.title_tokens, d.body_tokens, d.initials_tokens "
            "FROM bench_copy c JOIN search_doc d ON d.kind = 'EVENT' AND d.object_id = c.src_id "
            "JOIN event e ON e.id = c.new_id JOIN site s ON s.id = e.site_id ORDER BY c.new_id"
        )
    await conn.execute_script("DROP TABLE bench_site_map; DROP TABLE bench_copy")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script("VACUUM ANALYZE")  # as autovacuum would: visibility map for index-only scans


async def sample_queries(per_length: int) -> dict[int, list[str]]:
    """Distinct CJK substrings of titles and names, by length (seeded)."""
    rng = random.Random(16)
    titles = await Event.filter(**LIVE).order_by("id").limit(3000).values_list("title", flat=True)
    names = await Site.filter(**LIVE).order_by("id").values_list("name", flat=True)
    texts = list(titles) + list(names)
    out: dict[int, list[str]] = {}
    for length in (2, 3, 4):
        seen: dict[str, None] = {}
        while len(seen) < per_length:
            text = rng.choice(texts)
            runs = [r for r in parse_query(text).terms if len(r) >= length and not r.isascii()] if text.strip() else []
            if not runs:
                continue
            run = rng.choice(runs)
            start = rng.randrange(0, len(run) - length + 1)
            seen[run[start:start + length]] = None
        out[length] = list(seen)
    return out


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


async def plan_of_first_page(q: str) -> str:
    """PostgreSQL: how the first page of `q` is read (EXPLAIN ANALYZE of the search statement):
    the node types that ran and the most rows any of them read (kept or filtered out). A common word must be read
    as an index range that stops at the page: no Seq Scan, no Sort of every match."""
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
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = _executed(plan[0]["Plan"])
    kinds = sorted({n["Node Type"] for n in nodes})
    widest = max(int((n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"]) for n in nodes)
    bad = [k for k in kinds if k in ("Seq Scan", "Sort", "Bitmap Heap Scan")]
    return f"{q!r}: {', '.join(kinds)}; at most {widest} rows read by any node; {'NOT ' if bad else ''}a range read" + (
        f" ({', '.join(bad)})" if bad else "")


async def timed(fn, arg) -> float:
    started = time.perf_counter()
    await fn(arg)
    return time.perf_counter() - started


async def measure(queries: dict[int, list[str]], repeat: int) -> dict[int, dict[str, list[float]]]:
    results: dict[int, dict[str, list[float]]] = {}
    for length, qs in queries.items():
        runs = {"search": [], "scan": []}
        for q in qs:
            statements = scan_statements(q)
            await search(q), await scan(statements)  # warm the page cache for both
            for _ in range(repeat):
                runs["search"].append(await timed(search, q))
                runs["scan"].append(await timed(scan, statements))
        results[length] = runs
    return results


async def run_backend(name: str, url: str, sizes: list[int], per_length: int, repeat: int) -> list[dict]:
    EXECUTOR_CACHE.clear()  # Tortoise caches INSERTs per connection name, not per dialect
    await db.migrate(url)
    rows = []
    # No statement limit: growing to 200,000 events copies tens of thousands of rows per statement.
    async with db.connected(url, timeouts=db.Timeouts(statement=None)):
        started = time.perf_counter()
        await load_demo(scale=1)
        print(f"[{name}] demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
        queries = await sample_queries(per_length)
        started = time.perf_counter()
        counts = await reindex()
        took = time.perf_counter() - started
        docs = sum(counts.values())
        print(f"[{name}] index of the demo ({docs} rows) built by reindex() in {took:.0f} s ({docs / took:.0f} rows/s)",
              flush=True)
        for size in sizes:
            started = time.perf_counter()
            await grow_events(size)
            print(f"[{name}] {size} events, {await SearchDoc.all().count()} index entries "
                  f"(grown in {time.perf_counter() - started:.0f} s)", flush=True)
            if name == "postgres":
                counts_2 = [(await Event.filter(title__contains=q).count(), q) for q in queries[2]]
                commonest = max(counts_2)[1]
                print(f"[{name}] plan of the commonest two-character query ({max(counts_2)[0]} titles): "
                      f"{await plan_of_first_page(commonest)}", flush=True)
            for length, runs in (await measure(queries, repeat)).items():
                row = {
                    "backend": name, "events": size, "length": length,
                    "search_p50": percentile(runs["search"], 50), "search_p99": percentile(runs["search"], 99),
                    "scan_p50": percentile(runs["scan"], 50), "scan_p99": percentile(runs["scan"], 99),
                }
                rows.append(row)
                print(
                    f"  {length} chars: search p50 {row['search_p50']:.2f} ms p99 {row['search_p99']:.2f} ms | "
                    f"scan p50 {row['scan_p50']:.2f} ms p99 {row['scan_p99']:.2f} ms | "
                    f"ratio p50 {row['scan_p50'] / row['search_p50']:.1f}x p99 {row['scan_p99'] / row['search_p99']:.1f}x",
                    flush=True,
                )
    return rows


async def postgres_url(server: str) -> str:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        await conn.close()
    return server.rsplit("/", 1)[0] + f"/{BENCH_DB}"


async def drop_postgres(server: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,20000,50000", help="event counts to measure at, ascending")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--queries", type=int, default=30, help="distinct queries per length")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[dict] = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                rows += asyncio.run(run_backend("sqlite", f"sqlite://{folder}/bench.sqlite3", sizes, args.queries, args.repeat))
        else:
            server = os.environ.get("WENMING_BENCH_POSTGRES_URL")
            if not server:
                print("[postgres] skipped: set WENMING_BENCH_POSTGRES_URL")
                continue

            async def pg() -> list[dict]:
                url = await postgres_url(server)
                try:
                    return await run_backend("postgres", url, sizes, args.queries, args.repeat)
                finally:
                    await drop_postgres(server)

            rows += asyncio.run(pg())
    print("\n| backend | events | query | search p50 | search p99 | scan p50 | scan p99 | p50 ratio | p99 ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['events']:,} | {r['length']} chars | {r['search_p50']:.2f} ms | {r['search_p99']:.2f} ms | "
            f"{r['scan_p50']:.2f} ms | {r['scan_p99']:.2f} ms | {r['scan_p50'] / r['search_p50']:.1f}x | "
            f"{r['scan_p99'] / r['search_p99']:.1f}x |"
        )


if __name__ == "__main__":
    main()
