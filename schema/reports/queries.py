"""The root field `reports`, and the same list as seen from a site, an event or a campaign."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from tortoise.expressions import Q

from api.content.reports import visible
from api.domain.errors import DomainError, NotFound
from api.domain.sites import subtree
from api.domain.validation import calendar_date
from api.models.content import Report as ReportRow
from api.models.content import ReportStatus
from schema.core.context import Info, node_pk
from schema.core.pagination import Connection, cursor_id, paginate
from schema.reports.types import Report, ReportStatusEnum

First = Annotated[int | None, strawberry.argument(description="Page size, 0-100 (default 20)")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the last report already seen")]


def _newest_first() -> dict:
    """paginate() keywords for publication order: newest first (listed_at, then id, descending)."""

    def after_key(key: list[Any]) -> Q:
        try:
            at, pk = datetime.fromisoformat(key[0]), cursor_id(key[1])
        except (TypeError, ValueError) as exc:
            raise DomainError("after: not a cursor for this list", field="after", code="BAD_CURSOR") from exc
        return Q(listed_at__lt=at) | Q(listed_at=at, id__lt=pk)

    return dict(key=lambda r: (r.listed_at.isoformat(), r.id), after_key=after_key, key_size=2)


async def report_page(
    info: Info, *, site_path: str | None = None, site_id: int | None = None, event_id: int | None = None,
    campaign_id: int | None = None, on_or_after: datetime | None = None, before: datetime | None = None,
    status: list[ReportStatusEnum] | None = None, first: int | None = None, after: str | None = None,
) -> Connection[Report]:
    """Reports the caller may read, newest first: published ones for everyone; drafts and reports
    under review only for editors of their site's subtree, and only when `status` asks for them."""
    statuses = [ReportStatus(s.value) for s in status] if status else [ReportStatus.PUBLISHED]
    qs = ReportRow.filter(visible(info.context.actor), status__in=statuses)
    if site_path:
        qs = qs.filter(subtree(site_path, "site_path"))
    if site_id:
        qs = qs.filter(site_id=site_id)
    if event_id:
        qs = qs.filter(event_id=event_id)
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    for value, name in ((on_or_after, "from"), (before, "to")):
        if value is not None:
            calendar_date(value, name)
    if on_or_after:
        qs = qs.filter(listed_at__gte=on_or_after)
    if before:
        qs = qs.filter(listed_at__lt=before)
    return await paginate(qs.order_by("-listed_at", "-id"), first=first, after=after, to_node=Report.from_row,
                          **_newest_first())


@strawberry.type(description="Reports (活动报道), newest first.")
class ReportQuery:
    @strawberry.field(description="Reports (活动报道) in publication order, newest first. Only PUBLISHED ones are public; "
                      "editors see drafts and reports under review in their subtree when they ask for those statuses")
    async def reports(
        self,
        info: Info,
        within: Annotated[relay.GlobalID | None, strawberry.argument(description="A site: reports of it and its whole subtree")] = None,
        site: Annotated[relay.GlobalID | None, strawberry.argument(description="A site: only its own reports (not its subtree's)")] = None,
        event: Annotated[relay.GlobalID | None, strawberry.argument(description="An event: the reports on it")] = None,
        campaign: Annotated[relay.GlobalID | None, strawberry.argument(description="A campaign: the reports on it")] = None,
        on_or_after: Annotated[datetime | None, strawberry.argument(name="from", description="Published at or after this")] = None,
        before: Annotated[datetime | None, strawberry.argument(name="to", description="Published before this")] = None,
        status: Annotated[list[ReportStatusEnum] | None, strawberry.argument(
            description="Statuses to list (default PUBLISHED); others only where you are an EDITOR")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Report]:
        path = None
        if (pk := node_pk(within, "Site", "within")) is not None:
            row = await info.context.loaders.site.load(pk)
            if row is None:
                raise NotFound("site", within.node_id, field="within")
            path = row.path
        return await report_page(
            info, site_path=path, site_id=node_pk(site, "Site", "site"), event_id=node_pk(event, "Event", "event"),
            campaign_id=node_pk(campaign, "Campaign", "campaign"), on_or_after=on_or_after, before=before,
            status=status, first=first, after=after,
        )
