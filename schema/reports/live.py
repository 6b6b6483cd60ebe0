"""reportChanges: big screens learn at once that a report was published, changed or taken down.

Public, like the reports themselves: only changes to what is or was public are sent (a draft
being written or reviewed is nobody's news), so anyone may subscribe, without a token."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay

from api.models.content import Report as ReportRow
from api.models.content import ReportStatus
from schema.core.context import Info, node_pk
from schema.core.loaders import Loaders
from schema.reports.types import Report, ReportStatusEnum

CHANNEL = "reports"


def message(row: ReportRow) -> dict:
    return {"report_id": row.id, "status": row.status.value, "site_path": row.site_path,
            "deleted": row.deleted_at is not None}


@strawberry.type(description="A published report that appeared, changed or was taken down (撤回 or deleted).")
class ReportChangeMessage:
    report_id: relay.GlobalID = strawberry.field(description="Global ID of the report")
    status: ReportStatusEnum = strawberry.field(description="Its status now (PUBLISHED, or UNPUBLISHED when taken down)")
    removed: bool = strawberry.field(description="true when it left the public lists (unpublished or deleted): drop it")
    report: Report | None = strawberry.field(description="The report as it is now; null when it is no longer public")


@strawberry.type(description="Live report updates.")
class ReportSubscription:
    @strawberry.subscription(
        description="Reports (活动报道) published, edited or taken down in a site's subtree, as they happen: for the "
        "big screen's 'latest' panel. Public: no token needed"
    )
    async def report_changes(
        self,
        info: Info,
        within: Annotated[relay.GlobalID | None, strawberry.argument(
            description="A site: reports of it and its whole subtree (default: the whole network)")] = None,
    ) -> AsyncGenerator[ReportChangeMessage, None]:
        path = ""
        if (pk := node_pk(within, "Site", "within")) is not None:
            site = await info.context.loaders.site.load(pk)
            if site is None:
                raise GraphQLError(f"within: site {within.node_id} does not exist", extensions={"code": "NOT_FOUND"})
            path = site.path
        bus = info.context.bus
        if bus is None:
            raise GraphQLError("live updates are not enabled on this server", extensions={"code": "NO_LIVE"})
        async with bus.subscribe(CHANNEL) as messages:
            async for sent in messages:
                if not str(sent.get("site_path", "")).startswith(path):
                    continue
                info.context.loaders = Loaders()  # fresh reads for every message
                row = await ReportRow.get_or_none(id=int(sent["report_id"]), status=ReportStatus.PUBLISHED,
                                                  deleted_at__isnull=True)
                yield ReportChangeMessage(
                    report_id=relay.GlobalID("Report", str(sent["report_id"])),
                    status=ReportStatus(sent["status"]),
                    removed=row is None,
                    report=Report.from_optional(row),
                )
