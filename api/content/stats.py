"""Reports published in a period, per month and per service platform (the platform of the event
a report is on; reports on no event have none), for the `stats` figures. In SQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tortoise import connections
from tortoise.expressions import RawSQL
from tortoise.functions import Count

from api.domain.sites import subtree
from api.domain.stats import Scope
from api.models.content import Report, ReportStatus
from api.models.events import Event


@dataclass(frozen=True)
class ReportRow:
    month: str  # "YYYY-MM", Asia/Shanghai
    platform_id: int | None
    published: int


def _month() -> str:
    # SQLite keeps datetimes as +08:00 text (api.domain.clock): its first 7 characters are the month.
    if connections.get("default").capabilities.dialect == "postgres":
        return "to_char(\"published_at\" AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return 'substr("published_at", 1, 7)'


async def published_by_month_and_platform(scope: Scope) -> list[ReportRow]:
    qs = Report.filter(status=ReportStatus.PUBLISHED, deleted_at__isnull=True,
                       published_at__gte=scope.start, published_at__lt=scope.end)
    if scope.within_path:
        qs = qs.filter(subtree(scope.within_path, "site_path"))
    rows = await (qs.annotate(month=RawSQL(_month()), n=Count("id")).group_by("month", "event_id")
                  .values("month", "event_id", "n"))
    event_ids = {r["event_id"] for r in rows if r["event_id"]}
    platforms = dict(await Event.filter(id__in=event_ids).values_list("id", "platform_id")) if event_ids else {}
    counts: Counter[tuple[str, int | None]] = Counter()
    for r in rows:
        counts[(r["month"], platforms.get(r["event_id"]))] += int(r["n"])
    return [ReportRow(month, platform, n) for (month, platform), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))]
