"""Held figures kept on write (issue 18): ``site_day_stats`` holds, per site and local day, the
countable occurrences (published, not cancelled) with what ``stats`` sums of them (api/domain/
stats.py has the definitions), so ``stats`` reads a few rows per site and day instead of
every occurrence joined with its event, its ledger and its team.

A row's key is (site, day the occurrences start, day they end, platform, kind, team): "held"
means ended by now, so stats takes whole rows for days that ended before today and reads
only today's endings from the occurrences themselves. The team stays in the key because the
volunteer-hours estimate multiplies by its members as of now.

The rule, in one place: ``recompute`` rewrites the rows of some sites' days from the base
tables. Every write that changes what they sum calls it inside its transaction: occurrence
rewrites (api/domain/occurrences.py: edits, the horizon job, holiday corrections), recorded
attendance, the service-hours ledger; site moves carry ``site_path`` along with the
occurrences' (a write copying a site's path and a move of that site take turns:
``sites.hold_paths``). ``rebuild`` recomputes everything (the migration, a bulk load, ``wenming
reindex``). On PostgreSQL two writers at one site take turns (an advisory lock per site), so
neither rewrites the rows from a read that misses the other's occurrences; a transaction
rewrites its site-days once, before COMMIT, taking those locks in id order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from tortoise import connections

from api.db import at_commit
from api.domain import clock
from api.models.events import EventKind, EventStatus, Occurrence

ALL_DAY_HOURS_PER_DAY = 8

RANGES_PER_STATEMENT = 200
REBUILD_SITES = 1000
TABLE = "site_day_stats"
LOCK_NAMESPACE = 18  # pg_advisory_xact_lock(namespace, site id): this module's locks only

COLUMNS = ("site_id", "site_path", "day", "end_day", "platform_id", "kind", "team_id",
           "held", "reached", "hours", "recorded_minutes", "unrecorded_hours")


def _day(dialect: str, column: str) -> str:
    """The local (Asia/Shanghai) date of a datetime column. SQLite keeps +08:00 text."""
    if dialect == "postgres":
        return f"CAST(({column} AT TIME ZONE 'Asia/Shanghai') AS DATE)"
    return f"substr({column}, 1, 10)"


def _select(dialect: str, where: str) -> str:
    """The rows of ``site_day_stats`` computed from the occurrences matching ``where``."""
    expr = occurrence_sql(dialect)
    o = '"occurrence"'
    return (
        f"SELECT {o}.site_id, {o}.site_path, {_day(dialect, o + '.starts_at')}, {_day(dialect, o + '.ends_at')}, "
        f"{o}.platform_id, {o}.kind, {o}.team_id, COUNT(*), "
        f"COALESCE(SUM(CASE WHEN {o}.kind = '{EventKind.LECTURE.value}' THEN e.attendance ELSE e.beneficiaries END), 0), "
        f"COALESCE(SUM({expr['hours']}), 0), COALESCE(SUM({expr['recorded_minutes']}), 0), "
        f"COALESCE(SUM(CASE WHEN {expr['recorded_minutes']} IS NULL THEN {expr['hours']} ELSE 0 END), 0) "
        f"FROM {o} JOIN event e ON e.id = {o}.event_id "
        f"WHERE {o}.event_status = '{EventStatus.PUBLISHED.value}' AND {o}.cancelled = {_false(dialect)} AND ({where}) "
        f"GROUP BY {o}.site_id, {o}.site_path, 3, 4, {o}.platform_id, {o}.kind, {o}.team_id"
    )


def occurrence_sql(dialect: str) -> dict[str, str]:
    """The definitions, as SQL on an ``occurrence`` row: its local month, its service hours
    (an all-day one counts ALL_DAY_HOURS_PER_DAY a day) and the minutes its ledger records
    (NULL when nobody checked in and out). SQLite keeps datetimes as +08:00 text
    (api.domain.clock), so its first seven characters are the local month."""
    o = '"occurrence"'
    if dialect == "postgres":
        seconds = f"EXTRACT(EPOCH FROM ({o}.\"ends_at\" - {o}.\"starts_at\"))"
        month = f"to_char({o}.\"starts_at\" AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    else:
        seconds = f"(CAST(strftime('%s', {o}.\"ends_at\") AS INTEGER) - CAST(strftime('%s', {o}.\"starts_at\") AS INTEGER))"
        month = f"substr({o}.\"starts_at\", 1, 7)"
    hours = f"(CASE WHEN {o}.\"all_day\" THEN {seconds} * {ALL_DAY_HOURS_PER_DAY} / 24 ELSE {seconds} END) / 3600.0"
    recorded_minutes = (
        f"(SELECT SUM(h.minutes) FROM service_hours h WHERE h.event_id = {o}.\"event_id\" "
        f"AND h.recurrence_id = {o}.\"recurrence_id\")"
    )
    return {"month": month, "hours": hours, "recorded_minutes": recorded_minutes}


def members_sql(team_id: str) -> str:
    """The members of a team as of now (the volunteer-hours estimate multiplies by them)."""
    return f"(SELECT COUNT(*) FROM membership m WHERE m.team_id = {team_id} AND m.deleted_at IS NULL)"


def _false(dialect: str) -> str:
    return "FALSE" if dialect == "postgres" else "0"


def _marks(dialect: str, n: int, start: int = 1) -> list[str]:
    return [f"${i}" if dialect == "postgres" else "?" for i in range(start, start + n)]


async def recompute(site_days: Iterable[tuple[int, date]], conn=None) -> None:
    """Rewrite the rows of these (site id, local start day) pairs from the base tables (call
    inside the write's transaction, after it). In a PostgreSQL transaction the pairs are
    gathered and rewritten once, just before it commits (api/db/at_commit.py): all its sites'
    locks are then taken at once, in id order, so two writers that each touch several sites
    one after another (two sheet imports) never wait for each other in a circle."""
    site_days = set(site_days)
    if not site_days:
        return
    conn = conn or connections.get("default")
    later = at_commit.gather(conn, TABLE, set, _rewrite)
    if later is not None:
        later.update(site_days)
        return
    await _rewrite(conn, site_days)


async def _rewrite(conn, site_days: set[tuple[int, date]]) -> None:
    """Rewrite now. A site's consecutive days are read as one range of its (site_id,
    starts_at) index; other days of the site are not read."""
    dialect = conn.capabilities.dialect
    if dialect == "postgres":  # one place, one order for every writer: site ids ascending
        for site_id in sorted({s for s, _ in site_days}):
            await conn.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, site_id])
    ranges = _runs(site_days)
    for i in range(0, len(ranges), RANGES_PER_STATEMENT):
        chunk = ranges[i:i + RANGES_PER_STATEMENT]
        marks = iter(_marks(dialect, 3 * len(chunk)))
        by_day = " OR ".join(f"(site_id = {next(marks)} AND day >= {next(marks)} AND day <= {next(marks)})" for _ in chunk)
        await conn.execute_query(f"DELETE FROM site_day_stats WHERE {by_day}",
                                 [v for r in chunk for v in (r[0], _date(dialect, r[1]), _date(dialect, r[2]))])
        marks = iter(_marks(dialect, 3 * len(chunk)))
        by_start = " OR ".join(
            f'("occurrence".site_id = {next(marks)} AND "occurrence".starts_at >= {next(marks)} '
            f'AND "occurrence".starts_at < {next(marks)})' for _ in chunk
        )
        await conn.execute_query(
            f"INSERT INTO site_day_stats ({', '.join(COLUMNS)}) {_select(dialect, by_start)}",
            [v for r in chunk for v in (r[0], clock.day_start(r[1]), clock.day_start(r[2]) + clock.days(1))],
        )


def _runs(site_days: set[tuple[int, date]]) -> list[tuple[int, date, date]]:
    """(site id, first day, last day) for each run of consecutive days of a site."""
    runs: list[tuple[int, date, date]] = []
    for site_id, day in sorted(site_days):
        if runs and runs[-1][0] == site_id and (day - runs[-1][2]).days == 1:
            runs[-1] = (site_id, runs[-1][1], day)
        else:
            runs.append((site_id, day, day))
    return runs


def _date(dialect: str, day: date) -> date | str:
    return day if dialect == "postgres" else day.isoformat()


def site_days(rows: Iterable[dict]) -> set[tuple[int, date]]:
    """The (site id, local start day) pairs of occurrence rows (dicts with site_id, starts_at)."""
    return {(r["site_id"], clock.local_date(r["starts_at"])) for r in rows}


async def recompute_occurrence(event_id: int, recurrence_id: datetime) -> None:
    """Rewrite the day of one occurrence (its ledger changed)."""
    rows = await Occurrence.filter(event_id=event_id, recurrence_id=clock.local(recurrence_id)).values("site_id", "starts_at")
    await recompute(site_days(rows))


async def recompute_events(event_ids: Iterable[int]) -> None:
    """Rewrite every day of these events' occurrences (their attendance changed)."""
    await recompute(site_days(await Occurrence.filter(event_id__in=list(event_ids)).values("site_id", "starts_at")))


async def rebuild(conn=None) -> int:
    """Recompute every row from the base tables, REBUILD_SITES sites per statement (each a
    range of the occurrences' site index, so no statement outgrows a timeout); returns how
    many rows it keeps."""
    conn = conn or connections.get("default")
    at_commit.discard(conn, TABLE)  # this transaction's gathered site-days: rebuilt below with the rest
    dialect = conn.capabilities.dialect
    await conn.execute_query("DELETE FROM site_day_stats")
    _, rows = await conn.execute_query("SELECT MAX(id) FROM site")
    last = _first(rows) or 0
    a, b = _marks(dialect, 2)
    for first in range(0, last + 1, REBUILD_SITES):
        where = f'"occurrence".site_id >= {a} AND "occurrence".site_id < {b}'
        await conn.execute_query(f"INSERT INTO site_day_stats ({', '.join(COLUMNS)}) {_select(dialect, where)}",
                                 [first, first + REBUILD_SITES])
    _, rows = await conn.execute_query("SELECT COUNT(*) FROM site_day_stats")
    return int(_first(rows))


def _first(rows: list) -> int | None:
    row = rows[0]
    return (list(row.values()) if hasattr(row, "values") else list(row))[0]
