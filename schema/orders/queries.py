"""Reading orders: the public menu, the staff's order lists, the resident's order by token, figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from tortoise.expressions import Q

from api.domain import orders as rules
from api.domain.errors import DomainError, NotFound
from api.domain.order_stats import order_stats
from api.domain.permissions import Actor
from api.domain.sites import subtree
from api.models.accounts import Role
from api.models.orders import Order as OrderRow
from api.models.orders import OrderStatus
from api.models.orders import ServiceItem as ServiceItemRow
from schema.core.context import Info, node_pk
from schema.core.pagination import Connection, cursor_id, paginate
from schema.network.types import Platform
from schema.orders.types import Order, OrderStatusEnum, ServiceItem

First = Annotated[int | None, strawberry.argument(description="Page size, 0-100 (default 20)")]
After = Annotated[str | None, strawberry.argument(description="Cursor of the last item already seen")]


def staff_only(actor: Actor, what: str) -> None:
    if not actor.authenticated:
        raise GraphQLError(f"{what} is for staff: send 'Authorization: Bearer <token>' with a role on the site",
                           extensions={"code": "UNAUTHENTICATED"})


async def site_row(info: Info, gid: relay.GlobalID, field: str):
    row = await info.context.loaders.site.load(node_pk(gid, "Site", field))
    if row is None:
        raise NotFound("site", gid.node_id, field=field)
    return row


@strawberry.type(description="How many orders are in one status.")
class OrderStatusCount:
    status: OrderStatusEnum = strawberry.field(description="The status")
    count: int = strawberry.field(description="Orders in it")


@strawberry.type(description="How many orders one platform received.")
class OrderPlatformCount:
    platform: Platform | None = strawberry.field(description="The platform (平台)")
    count: int = strawberry.field(description="Orders for its services")


@strawberry.type(description="Figures of the order loop for a site's subtree and a period. No personal data.")
class OrderStatistics:
    total: int = strawberry.field(description="Orders placed in the period")
    by_status: list[OrderStatusCount] = strawberry.field(description="Orders by their current status, every status listed")
    by_platform: list[OrderPlatformCount] = strawberry.field(description="Orders by platform, most ordered first")
    median_minutes_to_dispatch: float | None = strawberry.field(
        description="Median minutes from ordering to the first dispatch (派单), over dispatched orders")
    median_minutes_to_accept: float | None = strawberry.field(
        description="Median minutes from the (last) dispatch to acceptance (接单), over accepted orders")
    completion_rate: float | None = strawberry.field(
        description="Share (0-1) of the period's orders that were carried out (DONE or RATED); null without orders")
    average_rating: float | None = strawberry.field(description="Average stars (评单) over rated orders; null if none")
    rated: int = strawberry.field(description="How many orders were rated")


@strawberry.type(description="Service orders: the menu, the dispatch desk's lists, the resident's order, figures.")
class OrderQuery:
    @strawberry.field(description="The service menu (服务菜单) of a site: what residents can order there, including "
                      "items offered by the sites above it. Public.")
    async def menu(
        self,
        info: Info,
        site: Annotated[relay.GlobalID, strawberry.argument(description="The resident's site (station or community)")],
        include_unpublished: Annotated[
            bool, strawberry.argument(description="Also withdrawn or draft items (VIEWER on the site)")
        ] = False,
    ) -> list[ServiceItem]:
        row = await site_row(info, site, "site")
        qs = ServiceItemRow.filter(site_links__site_id__in=rules.menu_site_ids(row), deleted_at__isnull=True)
        if include_unpublished:
            staff_only(info.context.actor, "includeUnpublished")
            info.context.actor.require(Role.VIEWER, row.path, where=f"the draft menu of {row.name}", field="includeUnpublished")
        else:
            qs = qs.filter(published=True)
        return [ServiceItem.from_row(r) for r in await qs.distinct().order_by("id")]

    @strawberry.field(description="Orders for the dispatch desk and the teams, newest first. Needs VIEWER on `within`, "
                      "or on the home site of `team` (a team sees the orders dispatched to it).")
    async def orders(
        self,
        info: Info,
        within: Annotated[relay.GlobalID | None, strawberry.argument(description="Orders at this site and its subtree")] = None,
        team: Annotated[relay.GlobalID | None, strawberry.argument(description="Orders dispatched to this team")] = None,
        status: Annotated[list[OrderStatusEnum] | None, strawberry.argument(description="Only these statuses")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Order]:
        actor = info.context.actor
        staff_only(actor, "orders")
        if within is None and team is None:
            raise DomainError("give within (a site) or team", field="within", code="REQUIRED")
        qs = OrderRow.filter(deleted_at__isnull=True)
        if within is not None:
            site = await site_row(info, within, "within")
            actor.require(Role.VIEWER, site.path, where=f"orders of {site.name}", field="within")
            qs = qs.filter(subtree(site.path, "site_path"))
        if team is not None:
            team_row = await info.context.loaders.team.load(node_pk(team, "Team", "team"))
            if team_row is None:
                raise NotFound("team", team.node_id, field="team")
            home = await info.context.loaders.site.load(team_row.home_site_id)
            if within is None:
                actor.require(Role.VIEWER, home.path, where=f"orders of team {team_row.name}", field="team")
            qs = qs.filter(team_id=team_row.id)
        if status:
            qs = qs.filter(status__in=[OrderStatus(s.value) for s in status])
        return await paginate(
            qs.order_by("-id"), first=first, after=after, key=lambda r: (r.id,),
            after_key=lambda k: Q(id__lt=cursor_id(k[0])), key_size=1, to_node=Order.of,
        )

    @strawberry.field(description="The resident's own order, by the private token from placeOrder; null if no order "
                      "has this token. Shows the resident's own name back, never anyone else's data.")
    async def order_by_token(
        self, token: Annotated[str, strawberry.argument(description="The order token (ord_...)")]
    ) -> Order | None:
        try:
            return Order.of(await rules.by_token(token), owner=True)
        except DomainError as error:
            if error.code == "NOT_FOUND":
                return None
            raise

    @strawberry.field(description="Figures of the order loop (by status and platform, median times to dispatch and "
                      "accept, completion rate, average rating) for a site's subtree and the orders placed in a period. "
                      "Public: aggregates only.")
    async def order_stats(
        self,
        info: Info,
        within: Annotated[relay.GlobalID, strawberry.argument(description="A site: orders in it and its whole subtree")],
        start: Annotated[date | None, strawberry.argument(name="from", description="First day (placed on or after)")] = None,
        end: Annotated[date | None, strawberry.argument(name="to", description="Last day, included")] = None,
    ) -> OrderStatistics:
        site = await site_row(info, within, "within")
        stats = await order_stats(site.path, start, end)
        platforms = await info.context.loaders.platform.load_many([p for p, _ in stats.by_platform])
        return OrderStatistics(
            total=stats.total,
            by_status=[OrderStatusCount(status=s, count=n) for s, n in stats.by_status.items()],
            by_platform=[OrderPlatformCount(platform=Platform.from_optional(p), count=n)
                         for p, (_, n) in zip(platforms, stats.by_platform, strict=True)],
            median_minutes_to_dispatch=stats.median_minutes_to_dispatch,
            median_minutes_to_accept=stats.median_minutes_to_accept,
            completion_rate=stats.completion_rate,
            average_rating=stats.average_rating,
            rated=stats.rated,
        )
