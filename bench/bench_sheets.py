"""Sheets at scale: import rate and peak memory for a big site sheet and event sheet, and the
cost of exporting the events and of the monthly plan over ~100,000 occurrences.

    .venv/bin/python bench/bench_sheets.py [--sites 50000] [--events 10000] [--series 2000]
    .venv/bin/python bench/bench_sheets.py --memory 5000,50000   # site imports only, at each size


Each phase runs in its own process (so its peak RSS is its own) against one temporary SQLite
file, through the same code as `wenming import` / `wenming export` / `wenming plan`:

1. sites: a generated .xlsx of SITES rows (institutes, then stations under them) is imported
   under one existing centre; then imported again (every row UNCHANGED);
2. events: EVENTS rows at those stations, SERIES of them weekly for a year (每周六，至...), the
   rest one-off; then imported again;
3. export: every event to .xlsx and .csv; the monthly plan of the busiest month.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CENTRE = "基准区新时代文明实践中心"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sheet(headers: list[str], rows) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": True})
    ws = book.add_worksheet()
    ws.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    book.close()
    return out.getvalue()


def institutes(count: int) -> list[str]:
    return [f"第{i}镇新时代文明实践所" for i in range(1, count + 1)]


def site_rows(total: int):
    towns = institutes(max(1, total // 1000))
    for town in towns:
        yield ["", CENTRE, town, "所"]
    for i in range(total - len(towns)):
        yield ["", f"{CENTRE}/{towns[i % len(towns)]}", f"第{i + 1}村新时代文明实践站", "站"]


def event_rows(total: int, series: int, stations: int, towns: int):
    first = date(2026, 1, 3)  # a Saturday
    for i in range(total):
        town = institutes(towns)[i % towns] if towns else ""
        station = f"{CENTRE}/{town}/第{(i % stations) // towns * towns + i % towns + 1}村新时代文明实践站"
        if i < series:
            day, words = first + timedelta(weeks=i % 4), "每周六，至2026年12月31日"
        else:
            day, words = first + timedelta(days=i % 360), ""
        yield ["活动" if i % 3 else "宣讲", f"基准活动{i + 1}", "文化服务", station, day.isoformat(), "09:30-11:00", words]


async def _connected(url: str):
    from api import db

    await db.migrate(url)
    return db.connected(url)


async def phase(name: str, url: str, args: argparse.Namespace) -> dict:
    from api.domain.permissions import OPERATOR
    from api.sheets import writers  # noqa: F401  (all the import's code loaded before base_rss_mb is taken)
    from api.sheets.imports import import_file

    async with await _connected(url):
        if name == "setup":
            from api.domain.sites import create_site
            from api.models.platforms import Platform
            from api.models.sites import SiteKind

            await Platform.create(code="CULTURE", name="文化服务")
            await create_site(kind=SiteKind.CENTER, name=CENTRE)
            return {}
        if name in ("sites", "sites-again"):
            base = peak_rss_mb()  # the code and the connection, before the file is read
            data = Path(args.files, "sites.xlsx").read_bytes()
            started = time.perf_counter()
            report = await import_file("sites", data, "sites.xlsx", actor=OPERATOR)
            took = time.perf_counter() - started
            assert not report.errors, report.errors[:3]
            return {"rows": report.rows, "created": report.count("CREATE"), "unchanged": report.count("UNCHANGED"),
                    "seconds": round(took, 1), "rows_per_s": round(report.rows / took), "file_kb": len(data) // 1024,
                    "base_rss_mb": round(base), "peak_rss_mb": round(peak_rss_mb())}
        if name in ("events", "events-again"):
            base = peak_rss_mb()
            data = Path(args.files, "events.xlsx").read_bytes()
            started = time.perf_counter()
            report = await import_file("events", data, "events.xlsx", actor=OPERATOR)
            took = time.perf_counter() - started
            assert not report.errors, report.errors[:3]
            from api.models.events import Occurrence

            return {"rows": report.rows, "created": report.count("CREATE"), "unchanged": report.count("UNCHANGED"),
                    "occurrences": await Occurrence.all().count(), "seconds": round(took, 1),
                    "rows_per_s": round(report.rows / took), "base_rss_mb": round(base), "peak_rss_mb": round(peak_rss_mb())}
        if name == "export":
            from api.models.sites import Site
            from api.sheets.exports import Export, write_csv, write_xlsx
            from api.sheets.plan import build_plan, plan_html, plan_xlsx

            out = {}
            for fmt, write in (("xlsx", write_xlsx), ("csv", write_csv)):
                started = time.perf_counter()
                body = await write(Export("events", OPERATOR, None))
                out[f"events_{fmt}"] = {"seconds": round(time.perf_counter() - started, 1), "kb": len(body) // 1024}
            centre = await Site.get(name=CENTRE)
            started = time.perf_counter()
            plan = await build_plan(centre, date(2026, 3, 1))
            xlsx_body, article = plan_xlsx(plan), plan_html(plan)
            out["plan_march"] = {"occurrences": plan.count, "seconds": round(time.perf_counter() - started, 1),
                                 "xlsx_kb": len(xlsx_body) // 1024, "html_kb": len(article.encode()) // 1024}
            out["peak_rss_mb"] = round(peak_rss_mb())
            return out
    raise SystemExit(f"no phase {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--series", type=int, default=2_000)
    parser.add_argument("--memory", help="comma-separated site counts: import (new, then again) at each and compare "
                        "the peak RSS over the base, to see whether memory grows with the file")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(asyncio.run(phase(args.phase, args.url, args)), ensure_ascii=False))
        return
    if args.memory:
        memory(args, [int(n) for n in args.memory.split(",")])
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        # The sheets are written here, so an import phase's peak RSS is the import's own.
        Path(tmp, "sites.xlsx").write_bytes(sheet(["外部编号", "上级", "名称", "类型"], site_rows(args.sites)))
        towns = max(1, args.sites // 1000)
        Path(tmp, "events.xlsx").write_bytes(sheet(["类型", "标题", "平台", "阵地", "日期", "时间", "重复"],
                                                   event_rows(args.events, args.series, args.sites - towns, towns)))
        for name in ("setup", "sites", "sites-again", "events", "events-again", "export"):
            run_phase(name, url, tmp, args)


def run_phase(name: str, url: str, tmp: str, args: argparse.Namespace) -> dict:
    """One phase in a process of its own (its peak RSS is its own); its figures, printed."""
    command = [sys.executable, __file__, "--phase", name, "--url", url, "--files", tmp, "--sites", str(args.sites),
               "--events", str(args.events), "--series", str(args.series)]
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    if result.returncode:
        sys.exit(f"{name} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures:
        print(f"{name:13s} {json.dumps(figures, ensure_ascii=False)}", flush=True)
    return figures


def memory(args: argparse.Namespace, sizes: list[int]) -> None:
    """Site imports at each size: how much the peak RSS over the base grows with the file."""
    extra: dict[tuple[str, int], int] = {}
    for size in sizes:
        args.sites = size
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite://{tmp}/bench.sqlite3"
            Path(tmp, "sites.xlsx").write_bytes(sheet(["外部编号", "上级", "名称", "类型"], site_rows(size)))
            run_phase("setup", url, tmp, args)
            for name in ("sites", "sites-again"):
                figures = run_phase(name, url, tmp, args)
                extra[name, size] = figures["peak_rss_mb"] - figures["base_rss_mb"]
    small, big = sizes[0], sizes[-1]
    for name in ("sites", "sites-again"):
        print(f"{name}: peak over base {extra[name, small]} MB at {small:,} sites, {extra[name, big]} MB at {big:,} "
              f"({big / small:g}x the rows, {extra[name, big] - extra[name, small]:+d} MB)", flush=True)


if __name__ == "__main__":
    main()
