"""What a hostile request costs the server once it is refused, and what the limits cost an
ordinary portal query.

    .venv/bin/python bench/bench_hostile.py [--repeat 40] [--rounds 6] [--batch 50]

Loads the demo city (`wenming demo`) into a temporary SQLite file and serves the real app
with uvicorn and the options of `wenming serve` (a subprocess on a free port). The server's
CPU time (user + system, /proc/<pid>/stat) is read before and after each batch, so the
figures are the server's own work, whatever the client costs.

1. Refused requests: each kind `--repeat` times, every request a different text (a comment
   numbered per request), so the parser and validation caches never help, as an attacker
   would arrange: server CPU per request, its answer's status and code. `/health` is the
   floor (what any request costs).
2. The limits on an ordinary query: the portal example of docs/graphql.md (a centre's page
   with its month of occurrences: this month, which the demo's programme always fills, at the
   centre with the most occurrences in it) against two servers on the same file, one with the limits
   and one without (no shape rule, cost check, deadline, nor HTTP limit middleware; the
   plain uvicorn protocol), in alternating batches: server CPU per request, medians over the
   rounds, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import serving  # noqa: E402

PORTAL = """query CentrePage($centre: ID!, $from: DateTime!, $to: DateTime!) {
  site(id: $centre) {
    name kind address fiveHaves { score } subtreeCounts { kind count }
    children { id name kind } teams { name category memberCount }
  }
  occurrences(within: $centre, from: $from, to: $to, first: 50) {
    pageInfo { hasNextPage endCursor }
    edges { node { title startsAt endsAt allDay status site { name } venue { name } platform { name }
                   lecturers { name title } } }
  }
}"""
YEAR = {"from": "2026-01-01T00:00:00+08:00", "to": "2027-02-04T00:00:00+08:00"}  # 400 days


def chain(levels: int, leaf: str) -> str:
    parts = ["query Chain { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ {leaf} }}")
    return "\n".join(parts)


def hostile() -> dict[str, dict]:
    """Each kind of refused request: a JSON body (made unique per request by `# n`), or raw bytes."""
    stats = "{" + " ".join(f"s{i}: stats {{ held {{ lectures }} byMonth {{ month }} }}" for i in range(30)) + "}"
    occurrences = "query($from: DateTime!, $to: DateTime!) {" + " ".join(
        f"o{i}: occurrences(from: $from, to: $to, first: 100) {{ totalCount edges {{ node {{ title }} }} }}"
        for i in range(30)) + "}"
    deep = "{ sites { edges { node { %s name %s } } } }" % ("children { " * 10, " }" * 10)
    return {
        "fragment chain, 30 levels": {"query": chain(30, "platforms { code }")},
        "fragment chain, 60 levels": {"query": chain(60, "platforms { code }")},
        "fragment chain, 60 levels, aliased": {"query": chain(60, "a: platforms { code }")},
        "30 aliased stats": {"query": stats},
        "30 aliased occurrences, 400 days": {"query": occurrences, "variables": YEAR},
        "depth 13": {"query": deep},
        "nodes(ids:) with 10,000 ids": {"query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                        "variables": {"ids": ["U2l0ZToxMjM0NQ=="] * 10_000}},
        "20,000 enums in a list variable": {"query": "query($k: [SiteKind!]) { sites(kind: $k) { totalCount } }",
                                            "variables": {"k": ["STATION"] * 20_000}},
    }


def this_month() -> dict[str, str]:
    """The portal's window: this month in Asia/Shanghai (the demo's programme runs from three
    months before the load day to nine after, so this month always has occurrences)."""
    from api.domain.clock import day_start, local_date, now

    first = local_date(now()).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return {"from": day_start(first).isoformat(), "to": day_start(following).isoformat()}


async def build(url: str) -> dict:
    from tortoise.functions import Count

    from api import db
    from api.demo import load_demo
    from api.models.events import Occurrence
    from api.models.sites import Site, SiteKind

    await db.migrate(url)
    window = this_month()
    async with db.connected(url):
        counts = await load_demo()
        centres = await Site.filter(kind=SiteKind.CENTER).order_by("id")
        per = await (Occurrence.filter(starts_at__gte=window["from"], starts_at__lt=window["to"])
                     .annotate(n=Count("id")).group_by("site_path").values("site_path", "n"))
        busiest = max(centres, key=lambda c: sum(r["n"] for r in per if r["site_path"].startswith(c.path)))
        in_month = sum(r["n"] for r in per if r["site_path"].startswith(busiest.path))
        return {"counts": counts, "centre": busiest.id, "window": window, "in_month": in_month}


def serve(url: str, port: int, mode: str) -> None:
    """The real app; `off` strips every limit this issue added, to measure what they cost."""
    import uvicorn

    from api.limits.server import uvicorn_options
    from api.settings import Settings

    if mode == "off":
        import api.app
        from schema.core import protection

        protection.EXTENSIONS[:] = [e for e in protection.EXTENSIONS
                                    if e not in (protection.CostLimiter, protection.QueryDeadline)
                                    and getattr(e, "args", None) != (protection.VALIDATION_RULES,)]
        api.app.limit_middleware = lambda settings, counter: []
    from api.app import create_app

    # Rate limiting stays on (it is part of the cost), with a limit the bench never reaches.
    settings = Settings(database_url=url, graphiql=False, rate_limit_per_minute=10**9)
    options = uvicorn_options(settings) if mode == "on" else {}
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                **{k: v for k, v in options.items() if k != "log_config"})


def server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ms_per_request(client: httpx.Client, pid: int, send, count: int) -> tuple[float, httpx.Response | None]:
    before = server_cpu(pid)
    last = None
    for i in range(count):
        last = send(client, i)
    return (server_cpu(pid) - before) * 1000 / count, last


def post_json(body: dict):
    def send(client: httpx.Client, i: int) -> httpx.Response:
        numbered = dict(body, query=f"{body['query']}\n# {i}")
        return client.post("/graphql", json=numbered, headers={"accept": "application/graphql-response+json"})
    return send


def ten_megabytes(client: httpx.Client, i: int) -> httpx.Response | None:
    payload = b'{"query": "{ platforms { code } }", "variables": {"x": "' + b"x" * 10_000_000 + b'"}}'
    try:
        return client.post("/graphql", content=payload, headers={"content-type": "application/json"})
    except httpx.TransportError:  # the server answered 413 and closed before taking it all
        return None


def describe(response: httpx.Response | None) -> str:
    if response is None:
        return "closed"
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return str(response.status_code)
    code = errors[0].get("extensions", {}).get("code") if errors else None
    return f"{response.status_code} {code or ''}".strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "MODE"))
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        started = time.perf_counter()
        built = asyncio.run(build(url))
        print(f"demo loaded in {time.perf_counter() - started:.0f} s: {built['counts']}")
        script = str(Path(__file__).resolve())
        with serving(script, url, "on") as on:
            pid = on.server_process.pid
            print(f"\nRefused requests: server CPU per request, {args.repeat} each, every text different")
            floor, _ = cpu_ms_per_request(on, pid, lambda c, i: c.get("/health"), args.repeat)
            print(f"  {'/health (the floor: any request)':40} {floor:7.2f} ms   200")
            for name, body in hostile().items():
                ms, last = cpu_ms_per_request(on, pid, post_json(body), args.repeat)
                print(f"  {name:40} {ms:7.2f} ms   {describe(last)}")
            ms, last = cpu_ms_per_request(on, pid, ten_megabytes, max(3, args.repeat // 10))
            print(f"  {'10 MB body':40} {ms:7.2f} ms   {describe(last)}")

            with serving(script, url, "off") as off:
                gid = base64.b64encode(f"Site:{built['centre']}".encode()).decode()
                variables = {"centre": gid, **built["window"]}
                body = {"query": PORTAL, "variables": variables}
                answer = on.post("/graphql", json=body).json()
                assert "errors" not in answer, answer
                assert answer == off.post("/graphql", json=body).json()
                shown = len(answer["data"]["occurrences"]["edges"])
                assert shown, f"the portal's window {built['window']} holds no occurrence: the ratio would mean nothing"

                def portal(client: httpx.Client, i: int) -> httpx.Response:
                    return client.post("/graphql", json=body)

                samples: dict[str, list[float]] = {"on": [], "off": []}
                for client, label in ((on, "on"), (off, "off")):
                    cpu_ms_per_request(client, client.server_process.pid, portal, 10)  # warm up
                for _ in range(args.rounds):
                    for client, label in ((on, "on"), (off, "off")):
                        ms, _ = cpu_ms_per_request(client, client.server_process.pid, portal, args.batch)
                        samples[label].append(ms)
                with_limits, without = statistics.median(samples["on"]), statistics.median(samples["off"])
                print(f"\nPortal page (centre {built['centre']}, {built['window']['from'][:7]}: {built['in_month']} "
                      f"occurrences start in the month, {shown} shown): server CPU per "
                      f"request, median of {args.rounds} batches of {args.batch}")
                print(f"  with the limits    {with_limits:6.2f} ms   batches: {', '.join(f'{x:.2f}' for x in samples['on'])}")
                print(f"  without the limits {without:6.2f} ms   batches: {', '.join(f'{x:.2f}' for x in samples['off'])}")
                print(f"  ratio {with_limits / without:.3f}")


if __name__ == "__main__":
    main()
