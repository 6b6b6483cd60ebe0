"""What a bulk demo load costs, stage by stage: wall and CPU of each stage and the slow statements.

    python3 bench/bench_demo_load.py [--url sqlite:///tmp/x.sqlite3] [--scale 10] [--province] [--code DIR]

Migrates the (empty) database at --url (default: a new SQLite file in a temporary folder), then
runs load_demo(bulk=True) with a progress callback that times each stage from its first report
to the next stage's, and prints every SQL statement that took over 0.4 s. CPU is this process's
(time.process_time: SQLite's connection thread included, the tokenising workers not: run it
under /usr/bin/time for those). --code runs another checkout's code (e.g. main's worktree) with
this script, for a before/after run side by side at the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

SLOW_SECONDS = 0.4


def _time_statements(slow: list[tuple[float, str]]) -> None:
    """Note every statement sent through Tortoise's clients that took over SLOW_SECONDS."""
    from tortoise.backends.asyncpg.client import AsyncpgDBClient
    from tortoise.backends.sqlite.client import SqliteClient

    for client in (AsyncpgDBClient, SqliteClient):
        for name in ("execute_query", "execute_script", "execute_many"):
            original = getattr(client, name)

            async def timed(self, query, *args, _original=original, **kwargs):
                started = time.perf_counter()
                try:
                    return await _original(self, query, *args, **kwargs)
                finally:
                    if (took := time.perf_counter() - started) > SLOW_SECONDS:
                        slow.append((took, " ".join(str(query).split())[:100]))

            setattr(client, name, timed)


async def run(url: str, scale: int, province: bool) -> None:
    from api import db
    from api.demo import load_demo

    stages: dict[str, tuple[float, float]] = {}
    current: list = [None, 0.0, 0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if stage != current[0]:
            now, cpu = time.perf_counter(), time.process_time()
            if current[0] is not None:
                stages[current[0]] = (now - current[1], cpu - current[2])
            current[:] = [stage, now, cpu]

    slow: list[tuple[float, str]] = []
    await db.migrate(url)
    _time_statements(slow)
    async with db.connected(url, timeouts=db.Timeouts(statement=None)):
        started, cpu = time.perf_counter(), time.process_time()
        counts = await load_demo(scale=scale, bulk=True, province=province, progress=progress)
        now = time.perf_counter()
        stages[current[0]] = (now - current[1], time.process_time() - current[2])
    print(f"load_demo: {now - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU, load average {os.getloadavg()[0]:.1f}")
    print(f"{counts['sites']} sites ({counts['sites'] / (now - started):.0f}/s), {counts['occurrences']} occurrences")
    for stage, (wall, stage_cpu) in stages.items():
        print(f"  {stage:28s} {wall:7.2f} s wall {stage_cpu:7.2f} s CPU")
    for took, query in slow:
        print(f"  slow statement {took:6.2f} s  {query}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--province", action="store_true")
    parser.add_argument("--code", default=str(Path(__file__).resolve().parent.parent), help="the checkout whose code runs")
    args = parser.parse_args()
    sys.path.insert(0, args.code)
    print(f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.url or f"sqlite://{tmp}/demo.sqlite3", args.scale, args.province))


if __name__ == "__main__":  # the tokenising workers are spawned: they import this file again
    main()
