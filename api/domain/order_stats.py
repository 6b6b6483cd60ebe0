"""Figures of the service-order loop for a site subtree and a period, computed in the database.

Counts and averages are GROUP BY queries; a median is the middle row(s) of an ORDER BY with
OFFSET, which reads at most two rows on SQLite and PostgreSQL alike. No personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.functions import Avg, Count
from tortoise.queryset import QuerySet

from api.domain.clock import day_start
from api.domain.errors import DomainError
from api.domain.sites import subtree
from api.models.orders import Order, OrderStatus

COMPLETED = (OrderStatus.DONE, OrderStatus.RATED)


@dataclass(frozen=True)
class OrderStats:
    total: int
    by_status: dict[OrderStatus, int]  # every status, zeros included
    by_platform: list[tuple[int, int]]  # (platform id, orders), most ordered first
    median_minutes_to_dispatch: float | None
    median_minutes_to_accept: float | None
    completion_rate: float | None  # DONE or RATED, among all orders of the period
    average_rating: float | None
    rated: int


def orders_in(path: str, start: date | None, end: date | None) -> QuerySet[Order]:
    """Orders placed at a site's subtree between two days (both included)."""
    if start and end and end < start:
        raise DomainError(f"to ({end}) is before from ({start})", field="to", code="END_BEFORE_START")
    qs = Order.filter(subtree(path, "site_path"), deleted_at__isnull=True)
    if start:
        qs = qs.filter(created_at__gte=day_start(start))
    if end:
        qs = qs.filter(created_at__lt=day_start(end + timedelta(days=1)))
    return qs


async def median(qs: QuerySet[Order], column: str) -> float | None:
    """The median of a column over the rows it is set on (NULLs skipped), in SQL."""
    present = qs.filter(**{f"{column}__isnull": False})
    n = await present.count()
    if n == 0:
        return None
    middle = await present.order_by(column).offset((n - 1) // 2).limit(2 - n % 2).values_list(column, flat=True)
    return sum(middle) / len(middle)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


async def order_stats(path: str, start: date | None = None, end: date | None = None) -> OrderStats:
    qs = orders_in(path, start, end)
    statuses = dict(await qs.annotate(n=Count("id")).group_by("status").values_list("status", "n"))
    by_status = {s: int(statuses.get(s, statuses.get(s.value, 0))) for s in OrderStatus}
    total = sum(by_status.values())
    platforms = await qs.annotate(n=Count("id")).group_by("platform_id").values_list("platform_id", "n")
    rating = await qs.filter(rating__isnull=False).annotate(avg=Avg("rating"), n=Count("id")).values("avg", "n")
    rated = int(rating[0]["n"]) if rating else 0
    average = float(rating[0]["avg"]) if rated else None
    completed = sum(by_status[s] for s in COMPLETED)
    return OrderStats(
        total=total,
        by_status=by_status,
        by_platform=sorted(((int(p), int(n)) for p, n in platforms), key=lambda pn: (-pn[1], pn[0])),
        median_minutes_to_dispatch=_minutes(await median(qs, "seconds_to_dispatch")),
        median_minutes_to_accept=_minutes(await median(qs, "seconds_to_accept")),
        completion_rate=round(completed / total, 4) if total else None,
        average_rating=round(average, 2) if average is not None else None,
        rated=rated,
    )
