"""A PostgreSQL primary with a streaming replica on one machine, two app instances on them, and
a read load with a writer: where reads go, how far the replica lags, what the primary's CPU
does with and without the replica (issue 18, docs/operations.md "The read replica").

    sudo .venv/bin/python bench/replica_pair.py [--seconds 20] [--concurrency 8] [--demo-args ""]

Needs root (the clusters run as the `postgres` OS user through runuser) and PostgreSQL 15's
binaries in /usr/lib/postgresql/15/bin. Everything is made under a temporary directory on free
ports and removed at the end, also after a failure: the two clusters, the two app servers, and
the Redis keys under this run's prefix (Redis is used when WENMING_BENCH_REDIS_URL or
redis://127.0.0.1:6379/0 answers).

Two phases over the same clusters and the same load, each with two fresh `wenming serve`
processes: "primary only" (no WENMING_DATABASE_REPLICA_URL), then "with replica". The load:
CONCURRENCY anonymous clients spread over both app instances, each request one of: the
county-week `occurrences` query, `sites(within)` with subtreeCounts, a station board as a
trusted document, a station's feed, the holiday feed, the centre's report feed (Atom); and one
editor with a token renaming a station every WRITE_EVERY seconds, who reads the name back at
once with the token (read-your-writes: any old name read is counted). Then, with the replica's
app servers still up, the primary is stopped and the anonymous load runs again (--outage-seconds,
no editor): how many answers came, how many were marked X-Wenming-Stale (from the replica
standing in), and how many failed. Not a test: figures go in the docs and notes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scale import COUNTY_WEEK, SITES  # noqa: E402 (the canonical queries)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
WENMING = str(Path(sys.executable).parent / "wenming")
DOCUMENT_BOARD = "board"
WRITE_EVERY = 1.0
TICKS = os.sysconf("SC_CLK_TCK")

SITE_NAME = "query($id: ID!) { node(id: $id) { ... on Site { name version } } }"
RENAME = "mutation($input: UpdateSiteInput!) { updateSite(input: $input) { site { name version } errors { code } } }"


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, text=True,
                          **kwargs)


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.url = f"postgres://postgres@127.0.0.1:{port}/wenming"

    def start(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.folder), "-l", str(self.folder.parent / f"{self.folder.name}.log"),
                    "-o", f"-p {self.port} -k {self.folder.parent} -c listen_addresses=127.0.0.1", "-w", "start")

    def stop(self) -> None:
        if (self.folder / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.folder),
                            "-m", "fast", "-w", "stop"], capture_output=True)

    def postmaster(self) -> int:
        return int((self.folder / "postmaster.pid").read_text().split()[0])

    def cpu_seconds(self) -> float:
        """utime + stime of the postmaster and of every backend it started that is alive, plus
        what its exited children left in its cutime + cstime (backends come and go)."""
        postmaster, total = self.postmaster(), 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            if pid == postmaster:
                total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
            elif int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / TICKS


def make_pair(folder: Path) -> tuple[Cluster, Cluster]:
    shutil.chown(folder, "postgres")
    primary = Cluster(folder / "primary", free_port())
    as_postgres(str(PG_BIN / "initdb"), "-D", str(primary.folder), "-A", "trust", "-U", "postgres", "--no-sync",
                "-E", "UTF8", "--locale", "C.UTF-8")
    with open(primary.folder / "postgresql.conf", "a") as conf:  # small: the machine is shared
        conf.write("shared_buffers = 64MB\nfsync = off\nmax_connections = 60\nwal_level = replica\n")
    primary.start()
    as_postgres(str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-c",
                "CREATE DATABASE wenming")
    return primary, Cluster(folder / "replica", free_port())


def start_replica(primary: Cluster, replica: Cluster) -> None:
    """pg_basebackup -R: a copy of the primary that streams from it (standby.signal, primary_conninfo)."""
    as_postgres(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                "-D", str(replica.folder), "-R", "-X", "stream", "-c", "fast")
    replica.start()


def wenming(*args: str, env: dict) -> str:
    return subprocess.run([WENMING, *args], check=True, cwd=ROOT, env=env, capture_output=True, text=True).stdout


@contextlib.contextmanager
def app_servers(env: dict, count: int = 2) -> Iterator[list[str]]:
    ports = [free_port() for _ in range(count)]
    procs = [subprocess.Popen([WENMING, "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 120
        for proc, base in zip(procs, bases, strict=True):
            while True:
                if proc.poll() is not None:
                    sys.exit(f"wenming serve exited early:\n{proc.stderr.read()}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    sys.exit("the app servers did not start")
                time.sleep(0.2)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)


async def targets(url: str) -> dict:
    """A centre, its busiest week's window, and stations with events this week."""
    conn = await asyncpg.connect(url)
    try:
        centre = await conn.fetchrow("SELECT id, path FROM site WHERE kind = 'CENTER' AND deleted_at IS NULL ORDER BY id LIMIT 1")
        stations = [r["site_id"] for r in await conn.fetch(
            "SELECT o.site_id, COUNT(*) FROM occurrence o JOIN site s ON s.id = o.site_id WHERE s.kind = 'STATION' "
            "AND o.starts_at >= now() AND o.starts_at < now() + interval '7 days' GROUP BY o.site_id "
            "ORDER BY COUNT(*) DESC, o.site_id LIMIT 12")]
    finally:
        await conn.close()
    now = time.time()
    day = time.strftime("%Y-%m-%dT00:00:00+08:00", time.gmtime(now + 8 * 3600))
    week = time.strftime("%Y-%m-%dT00:00:00+08:00", time.gmtime(now + 8 * 3600 + 7 * 86400))
    return {"centre": centre["id"], "stations": stations, "from": day, "to": week}


def anonymous_request(found: dict, rng: random.Random) -> dict:
    station = rng.choice(found["stations"])
    kind = rng.choice(["week", "sites", "board", "feed", "holidays", "reports"])
    if kind == "week":
        return {"method": "POST", "url": "/graphql", "json": {"query": COUNTY_WEEK, "variables": {
            "centre": gid("Site", found["centre"]), "from": found["from"], "to": found["to"]}}}
    if kind == "sites":
        return {"method": "POST", "url": "/graphql", "json": {"query": SITES, "variables": {"centre": gid("Site", found["centre"])}}}
    if kind == "board":
        return {"method": "GET", "url": "/graphql", "params": {
            "documentId": DOCUMENT_BOARD, "variables": json.dumps({"site": gid("Site", station)})}}
    if kind == "holidays":
        return {"method": "GET", "url": "/feeds/holidays.ics"}
    if kind == "reports":
        return {"method": "GET", "url": f"/feeds/sites/{found['centre']}/reports.atom"}
    return {"method": "GET", "url": f"/feeds/sites/{station}.ics"}


async def run_load(bases: list[str], found: dict, token: str | None, seconds: float, concurrency: int,
                   primary: Cluster, replica: Cluster) -> dict:
    """The load; ``token`` None: no editor (the primary is stopped), and no primary figures."""
    stop = time.monotonic() + seconds
    statuses: Counter[int] = Counter()
    stale_own_reads = writes = stale_answers = 0
    lags: list[float] = []
    lag_bytes: list[int] = []

    async def reader(i: int) -> None:
        nonlocal stale_answers
        rng = random.Random(i)
        async with httpx.AsyncClient(timeout=60) as client:
            while time.monotonic() < stop:
                ask = anonymous_request(found, rng)
                base = bases[rng.randrange(len(bases))]
                response = await client.request(ask["method"], base + ask["url"], json=ask.get("json"),
                                                params=ask.get("params"))
                statuses[response.status_code] += 1
                if "x-wenming-stale" in response.headers:
                    stale_answers += 1

    async def writer() -> None:
        nonlocal stale_own_reads, writes
        station = gid("Site", found["stations"][0])
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=60, headers=headers) as client:
            n = 0
            while time.monotonic() < stop:
                base = bases[n % len(bases)]  # written through one instance, read back through the other
                other = bases[(n + 1) % len(bases)]
                current = (await client.post(f"{base}/graphql", json={"query": SITE_NAME, "variables": {"id": station}})).json()
                node = current["data"]["node"]
                name = f"{node['name'].split(' #')[0]} #{n}"
                done = (await client.post(f"{base}/graphql", json={"query": RENAME, "variables": {"input": {
                    "id": station, "version": node["version"], "name": name}}})).json()
                assert not done["data"]["updateSite"]["errors"], done
                writes += 1
                back = (await client.post(f"{other}/graphql", json={"query": SITE_NAME, "variables": {"id": station}})).json()
                if back["data"]["node"]["name"] != name:
                    stale_own_reads += 1
                n += 1
                await asyncio.sleep(WRITE_EVERY)

    async def lag_sampler() -> None:
        conn = await asyncpg.connect(primary.url)
        try:
            while time.monotonic() < stop:
                row = await conn.fetchrow("SELECT EXTRACT(EPOCH FROM replay_lag) AS lag, "
                                          "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS bytes FROM pg_stat_replication")
                if row is not None:
                    lags.append(float(row["lag"] or 0))
                    lag_bytes.append(int(row["bytes"] or 0))
                await asyncio.sleep(0.25)
        finally:
            await conn.close()

    running = (primary, replica) if token else (replica,)
    before = {c: (c.cpu_seconds(), await transactions(c)) for c in running}
    started = time.monotonic()
    await asyncio.gather(*(reader(i) for i in range(concurrency)), *((writer(), lag_sampler()) if token else ()))
    elapsed = time.monotonic() - started
    after = {c: (c.cpu_seconds(), await transactions(c)) for c in running}
    spent = {c: (after[c][0] - before[c][0], after[c][1] - before[c][1]) for c in running}
    return {
        "seconds": elapsed, "requests": sum(statuses.values()), "statuses": dict(statuses),
        "writes": writes, "stale_own_reads": stale_own_reads, "stale_answers": stale_answers,
        "primary_cpu": spent.get(primary, (0, 0))[0], "replica_cpu": spent[replica][0],
        "primary_xacts": spent.get(primary, (0, 0))[1], "replica_xacts": spent[replica][1],
        "lag_ms": (1000 * statistics.median(lags), 1000 * max(lags)) if lags else None,
        "lag_bytes": (statistics.median(lag_bytes), max(lag_bytes)) if lag_bytes else None,
    }


async def transactions(cluster: Cluster) -> int:
    """Transactions (each statement outside one counts one) the cluster ran in the database."""
    conn = await asyncpg.connect(cluster.url.rsplit("/", 1)[0] + "/postgres")
    try:
        return await conn.fetchval("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'wenming'")
    finally:
        await conn.close()


def redis_url() -> str | None:
    url = os.environ.get("WENMING_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except Exception:
        return None


def forget_redis(url: str | None, prefix: str) -> None:
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*", count=1000):
        client.delete(key)


def report(name: str, r: dict) -> None:
    rate = r["requests"] / r["seconds"]
    per_k = 1000 / max(r["requests"], 1)
    print(f"## {name}")
    print(f"- {r['requests']} anonymous requests in {r['seconds']:.1f} s ({rate:.0f}/s), statuses {r['statuses']}, "
          f"{r['stale_answers']} marked X-Wenming-Stale; {r['writes']} writes, read back with the token through the "
          f"other instance: {r['stale_own_reads']} stale")
    print(f"- primary: {r['primary_cpu']:.2f} CPU s ({r['primary_cpu'] * per_k:.2f} per 1000 requests), "
          f"{r['primary_xacts']} transactions; replica: {r['replica_cpu']:.2f} CPU s, {r['replica_xacts']} transactions")
    if r["lag_ms"]:
        print(f"- replica lag (pg_stat_replication.replay_lag): median {r['lag_ms'][0]:.1f} ms, max {r['lag_ms'][1]:.1f} ms; "
              f"WAL behind: median {r['lag_bytes'][0]:.0f} B, max {r['lag_bytes'][1]:.0f} B")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--demo-args", default="", help="passed to `wenming demo` (e.g. --scale 4)")
    parser.add_argument("--outage-seconds", type=float, default=10, help="the load with the primary stopped (0: none)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the clusters run as the postgres OS user (runuser)")
    folder = Path(tempfile.mkdtemp(prefix="wenming-replica-pair-"))
    prefix = f"wenming-replica-bench-{os.getpid()}"
    redis = redis_url()
    clusters: list[Cluster] = []
    try:
        primary, replica = make_pair(folder)
        clusters += [primary, replica]
        base_env = os.environ | {"WENMING_DATABASE_URL": primary.url, "WENMING_RATE_LIMIT_PER_MINUTE": "0",
                                 "WENMING_FEED_RATE_LIMIT_PER_MINUTE": "0", "WENMING_GRAPHIQL": "false",
                                 "WENMING_PUBLIC_URL": "https://wenming.example.org", "WENMING_REDIS_PREFIX": prefix}
        base_env.pop("WENMING_DATABASE_REPLICA_URL", None)
        if redis:
            base_env["WENMING_REDIS_URL"] = redis
        started = time.monotonic()
        wenming("migrate", env=base_env)
        wenming("demo", *args.demo_args.split(), env=base_env)
        print(f"demo loaded into the primary in {time.monotonic() - started:.0f} s")
        token = wenming("admin", "create", "bench-writer", env=base_env).strip().splitlines()[-1].strip()
        start_replica(primary, replica)
        found = asyncio.run(targets(primary.url))
        print(f"clusters: primary :{primary.port}, replica :{replica.port}; Redis: {'yes' if redis else 'no'}; "
              f"load average before: {os.getloadavg()[0]:.1f}")
        results = {}
        for name, extra in (("primary only", {}), ("with replica", {"WENMING_DATABASE_REPLICA_URL": replica.url})):
            forget_redis(redis, prefix)  # each phase starts with empty shared caches
            with app_servers(base_env | extra) as bases:
                results[name] = asyncio.run(run_load(bases, found, token, args.seconds, args.concurrency, primary, replica))
                report(name, results[name])
                print(f"  (load average after: {os.getloadavg()[0]:.1f})")
                if extra and args.outage_seconds > 0:
                    primary.stop()
                    down = asyncio.run(run_load(bases, found, None, args.outage_seconds, args.concurrency, primary, replica))
                    report("with replica, primary stopped", down)
                    print(f"  (load average after: {os.getloadavg()[0]:.1f})")
        alone, shared = results["primary only"], results["with replica"]
        per_request = lambda r: r["primary_cpu"] / max(r["requests"], 1)  # noqa: E731
        print(f"primary CPU per request, with replica / primary only: {per_request(shared) / max(per_request(alone), 1e-9):.2f}x")
    finally:
        for cluster in reversed(clusters):
            cluster.stop()
        forget_redis(redis, prefix)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
