"""Order mutations: placing (anonymous), each step of the loop, and editing the menu.

Each runs through `perform` (one transaction, UserErrors, audit); after the commit the order's
new status is published on the bus's "orders" channel for the dispatch desk.
"""

from __future__ import annotations

import logging
from datetime import datetime

import strawberry
from strawberry import relay

from api.domain import audit
from api.domain import orders as rules
from api.domain.errors import DomainError
from api.domain.scope import require_team_link
from api.domain.writes import Write, save_versioned
from api.models.accounts import Role
from api.models.orders import Order as OrderRow
from api.models.orders import OrderStatus
from api.models.orders import ServiceItem as ServiceItemRow
from api.models.orders import ServiceItemTeam as ServiceItemTeamRow
from api.models.platforms import Platform as PlatformRow
from api.models.sites import Site as SiteRow
from api.models.teams import Team as TeamRow
from schema.core.context import Info, node_pk, node_pks
from schema.core.inputs import load, provided
from schema.core.mutation import UserError, payload, perform
from schema.orders.types import Order, ServiceItem

UNSET = strawberry.UNSET
CHANNEL = "orders"
log = logging.getLogger("wenming.orders")
OrderPayload = payload("OrderPayload", "order", Order, "order")
ServiceItemPayload = payload("ServiceItemPayload", "item", ServiceItem, "service menu item")


@strawberry.type(description="The result of placing an order: the order and its private token, shown this once.")
class PlaceOrderPayload:
    order: Order | None = strawberry.field(default=None, description="The new order; null when errors is not empty")
    token: str | None = strawberry.field(
        default=None,
        description="The order token (ord_...): keep it. It is shown only now, and it is the only way to follow, "
        "cancel and rate the order (orderByToken, cancelOrder, rateOrder)",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success; otherwise why nothing changed")


@strawberry.input(description="A resident's order (点单). No account is needed.")
class PlaceOrderInput:
    item_id: relay.GlobalID = strawberry.field(description="The menu item (from `menu(site:)`)")
    site_id: relay.GlobalID = strawberry.field(description="The site where it is wanted: the resident's station or community")
    resident_name: str = strawberry.field(description="Private: the resident's name (staff and the serving team see it)")
    resident_phone: str = strawberry.field(description="Private: a phone number the team can call")
    preferred_times: str | None = strawberry.field(default="", description="When it would suit, free text, e.g. 周六上午")
    note: str | None = strawberry.field(default="", description="Anything the team should know (private)")


@strawberry.input(description="Dispatch (派单) an ORDERED or DECLINED order to a team.")
class DispatchOrderInput:
    id: relay.GlobalID = strawberry.field(description="The order")
    version: int = strawberry.field(description="The order's version you read")
    team_id: relay.GlobalID = strawberry.field(description="The team; its home site must be within your scope")
    note: str | None = strawberry.field(default="", description="A note for the team")


@strawberry.input(description="The team accepts (接单) a DISPATCHED order.")
class AcceptOrderInput:
    id: relay.GlobalID = strawberry.field(description="The order")
    version: int = strawberry.field(description="The order's version you read")
    note: str | None = strawberry.field(default="", description="A note, e.g. who will come")


@strawberry.input(description="The team declines a DISPATCHED order, with the reason; the centre dispatches it again.")
class DeclineOrderInput:
    id: relay.GlobalID = strawberry.field(description="The order")
    version: int = strawberry.field(description="The order's version you read")
    reason: str = strawberry.field(description="Why, up to 200 characters (the centre reads it)")


@strawberry.input(description="Fix the date of an ACCEPTED order: this puts a published activity on the calendar.")
class ScheduleOrderInput:
    id: relay.GlobalID = strawberry.field(description="The order")
    version: int = strawberry.field(description="The order's version you read")
    starts_at: datetime = strawberry.field(description="Start, with offset, e.g. 2026-03-07T09:00:00+08:00")
    ends_at: datetime | None = strawberry.field(default=None, description="End; default start + the item's typical duration")
    venue_id: relay.GlobalID | None = strawberry.field(default=None, description="A venue (场地) of the order's site")
    title: str | None = strawberry.field(default=None, description="The activity's public title; default the item's name")


@strawberry.input(description="Record a SCHEDULED order as done (已完成), with its attendance.")
class CompleteOrderInput:
    id: relay.GlobalID = strawberry.field(description="The order")
    version: int = strawberry.field(description="The order's version you read")
    attendance: int = strawberry.field(description="How many people took part (also recorded on the activity)")
    note: str | None = strawberry.field(default="", description="A note for the record")


@strawberry.input(description="The resident rates (评单) a DONE order, with the order token.")
class RateOrderInput:
    token: str = strawberry.field(description="The order token from placeOrder")
    rating: int = strawberry.field(description="1 to 5 stars")
    comment: str | None = strawberry.field(default="", description="A comment, up to 500 characters")


@strawberry.input(description="The resident cancels the order, with the order token, any time before it is DONE.")
class CancelOrderInput:
    token: str = strawberry.field(description="The order token from placeOrder")
    reason: str | None = strawberry.field(default="", description="Why (optional)")


@strawberry.input(description="A new service menu item.")
class CreateServiceItemInput:
    platform_id: relay.GlobalID = strawberry.field(description="The platform (平台) it belongs to")
    name: str = strawberry.field(description="Name, up to 100 characters")
    site_ids: list[relay.GlobalID] = strawberry.field(description="Sites offering it (you need EDITOR on each); their subtrees see it too")
    description: str | None = strawberry.field(default="", description="What the service is")
    typical_minutes: int | None = strawberry.field(default=90, description="Typical duration in minutes, 10-1440")
    team_ids: list[relay.GlobalID] | None = strawberry.field(default=None, description="Teams that offer it")
    published: bool | None = strawberry.field(default=False, description="Put it on the menu now")


@strawberry.input(description="Changes to a menu item; fields left out keep their value.")
class UpdateServiceItemInput:
    id: relay.GlobalID = strawberry.field(description="The item")
    version: int = strawberry.field(description="The version you read")
    platform_id: relay.GlobalID | None = strawberry.field(default=UNSET, description="Another platform")
    name: str | None = strawberry.field(default=UNSET, description="Name, up to 100 characters")
    description: str | None = strawberry.field(default=UNSET, description="What the service is")
    typical_minutes: int | None = strawberry.field(default=UNSET, description="Typical duration in minutes, 10-1440")
    published: bool | None = strawberry.field(default=UNSET, description="On the menu or withdrawn")
    site_ids: list[relay.GlobalID] | None = strawberry.field(default=UNSET, description="Replace the sites offering it")
    team_ids: list[relay.GlobalID] | None = strawberry.field(default=UNSET, description="Replace the teams offering it")


# --- the work ----------------------------------------------------------------------------------


async def _publish(info: Info, order: OrderRow | None, previous: OrderStatus | None) -> None:
    """Tell the dispatch desk, after the commit; a lost message must not fail the write."""
    bus = info.context.bus
    if bus is None or order is None:
        return
    try:
        await bus.publish(CHANNEL, rules.order_message(order, previous))
    except Exception:
        log.exception("announcing order %s failed", order.id)


async def _load_order(gid: relay.GlobalID) -> OrderRow:
    return await load(OrderRow, gid, "Order", "id")


async def _take(info: Info, action: str, find, given: rules.StepInput, *, owner: bool = False) -> OrderPayload:  # type: ignore[valid-type]
    async def work(write: Write) -> tuple[OrderRow, OrderStatus]:
        order = await find()
        previous = order.status  # read in the run that commits (a run again may see another)
        return await rules.step(write, order, action, given), previous

    done, errors = await perform(info, work, anonymous=owner)
    row = done[0] if done else None
    if done is not None:
        await _publish(info, *done)
    return OrderPayload(order=Order.of(row, owner=owner) if row else None, errors=errors)


async def _sites(gids: list[relay.GlobalID], write: Write) -> list[SiteRow]:
    if not gids:
        raise DomainError("siteIds must name at least one site", field="siteIds", code="REQUIRED")
    pks = node_pks(gids, "Site", "siteIds")
    sites = await SiteRow.filter(id__in=pks, deleted_at__isnull=True)
    if missing := sorted(set(pks) - {s.id for s in sites}):
        raise DomainError(f"sites {missing} do not exist", field="siteIds", code="NOT_FOUND")
    for site in sites:
        write.actor.require(Role.EDITOR, site.path, where=f"the menu of {site.name}", field="siteIds")
    return sites


async def _teams(gids: list[relay.GlobalID] | None, write: Write, linked: set[int] = frozenset()) -> list[TeamRow]:
    """The named teams; each one not already linked must be within the caller's scope."""
    pks = node_pks(gids, "Team", "teamIds")
    teams = await TeamRow.filter(id__in=pks, deleted_at__isnull=True) if pks else []
    if missing := sorted(set(pks) - {t.id for t in teams}):
        raise DomainError(f"teams {missing} do not exist", field="teamIds", code="NOT_FOUND")
    for team in teams:
        if team.id not in linked:
            await require_team_link(write.actor, team, field="teamIds")
    return list(teams)


async def _create_item(write: Write, input: CreateServiceItemInput) -> ServiceItemRow:
    platform = await load(PlatformRow, input.platform_id, "Platform", "platformId")
    sites = await _sites(input.site_ids, write)
    teams = await _teams(input.team_ids, write)
    values = await rules.check_item_fields(provided(input, exclude={"platform_id", "site_ids", "team_ids"}))
    item = await ServiceItemRow.create(platform=platform, **values)
    await rules.offer(item, sites=sites, teams=teams)
    await write.audit("CREATE", item, site_path=min(s.path for s in sites))
    return item


async def _update_item(write: Write, input: UpdateServiceItemInput) -> ServiceItemRow:
    item = await load(ServiceItemRow, input.id, "ServiceItem", "id")
    current = await rules.offered_at(item)
    for site in current:  # editing an item needs EDITOR wherever it is offered now
        write.actor.require(Role.EDITOR, site.path, where=f"the menu of {site.name}", field="id")
    before = audit.snapshot(item)
    changes = await rules.check_item_fields(provided(input, exclude={"id", "version", "platform_id", "site_ids", "team_ids"}))
    if input.platform_id is not UNSET:
        changes["platform_id"] = (await load(PlatformRow, input.platform_id, "Platform", "platformId")).id
    item = await save_versioned(item, input.version, changes, f"menu item {item.name}")
    if input.site_ids is not UNSET:
        sites = await _sites(input.site_ids or [], write)
        await rules.offer(item, sites=sites)
        current = sites
    if input.team_ids is not UNSET:
        linked = set(await ServiceItemTeamRow.filter(item_id=item.id).values_list("team_id", flat=True))
        teams = await _teams(input.team_ids, write, linked)
        await rules.offer(item, teams=teams)
    await write.audit("UPDATE", item, site_path=min(s.path for s in current) if current else None, before=before)
    return item


@strawberry.type(description="The service-order loop (点单 - 派单 - 接单 - 评单) and the service menu.")
class OrderMutation:
    @strawberry.mutation(description="点单: a resident orders a service from a site's menu. No token needed; the answer "
                         "carries the private order token, shown only this once")
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        async def work(write: Write) -> tuple[OrderRow, str]:
            item = await load(ServiceItemRow, input.item_id, "ServiceItem", "itemId")
            site = await load(SiteRow, input.site_id, "Site", "siteId")
            return await rules.place(
                write, item=item, site=site, resident_name=input.resident_name, resident_phone=input.resident_phone,
                preferred_times=input.preferred_times or "", note=input.note or "",
            )

        placed, errors = await perform(info, work, anonymous=True)
        if placed is None:
            return PlaceOrderPayload(errors=errors)
        await _publish(info, placed[0], None)
        return PlaceOrderPayload(order=Order.of(placed[0], owner=True), token=placed[1])

    @strawberry.mutation(description="派单: staff (EDITOR on the order's site) give an ORDERED or DECLINED order to a team "
                         "whose home site is within their scope")
    async def dispatch_order(self, info: Info, input: DispatchOrderInput) -> OrderPayload:  # type: ignore[valid-type]
        async def find() -> OrderRow:
            order = await _load_order(input.id)
            given.team = await load(TeamRow, input.team_id, "Team", "teamId")
            return order

        given = rules.StepInput(version=input.version, note=input.note or "")
        return await _take(info, "dispatch", find, given)

    @strawberry.mutation(description="接单: the assigned team (EDITOR on its home site) accepts a DISPATCHED order")
    async def accept_order(self, info: Info, input: AcceptOrderInput) -> OrderPayload:  # type: ignore[valid-type]
        given = rules.StepInput(version=input.version, note=input.note or "")
        return await _take(info, "accept", lambda: _load_order(input.id), given)

    @strawberry.mutation(description="The assigned team declines a DISPATCHED order, with a reason")
    async def decline_order(self, info: Info, input: DeclineOrderInput) -> OrderPayload:  # type: ignore[valid-type]
        given = rules.StepInput(version=input.version, reason=input.reason)
        return await _take(info, "decline", lambda: _load_order(input.id), given)

    @strawberry.mutation(description="The assigned team fixes the date of an ACCEPTED order: a published activity "
                         "appears in `occurrences` and the site's iCal feed")
    async def schedule_order(self, info: Info, input: ScheduleOrderInput) -> OrderPayload:  # type: ignore[valid-type]
        given = rules.StepInput(
            version=input.version, starts_at=input.starts_at, ends_at=input.ends_at, title=input.title,
            venue_id=node_pk(input.venue_id, "Venue", "venueId"),
        )
        return await _take(info, "schedule", lambda: _load_order(input.id), given)

    @strawberry.mutation(description="The assigned team records a SCHEDULED order as DONE, with its attendance")
    async def complete_order(self, info: Info, input: CompleteOrderInput) -> OrderPayload:  # type: ignore[valid-type]
        given = rules.StepInput(version=input.version, attendance=input.attendance, note=input.note or "")
        return await _take(info, "complete", lambda: _load_order(input.id), given)

    @strawberry.mutation(description="评单: the resident rates a DONE order, 1-5 stars, with the order token (no account)")
    async def rate_order(self, info: Info, input: RateOrderInput) -> OrderPayload:  # type: ignore[valid-type]
        given = rules.StepInput(rating=input.rating, note=input.comment or "", token=input.token)
        return await _take(info, "rate", lambda: rules.by_token(input.token), given, owner=True)

    @strawberry.mutation(description="The resident cancels the order before it is DONE, with the order token; "
                         "a scheduled activity is marked cancelled")
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> OrderPayload:  # type: ignore[valid-type]
        given = rules.StepInput(reason=input.reason or "", token=input.token)
        return await _take(info, "cancel", lambda: rules.by_token(input.token), given, owner=True)

    @strawberry.mutation(description="Add an item to the service menu of one or more sites (EDITOR on each)")
    async def create_service_item(self, info: Info, input: CreateServiceItemInput) -> ServiceItemPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _create_item(w, input))
        return ServiceItemPayload(item=ServiceItem.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(description="Edit, publish or withdraw a menu item (EDITOR wherever it is offered)")
    async def update_service_item(self, info: Info, input: UpdateServiceItemInput) -> ServiceItemPayload:  # type: ignore[valid-type]
        row, errors = await perform(info, lambda w: _update_item(w, input))
        return ServiceItemPayload(item=ServiceItem.from_row(row) if row else None, errors=errors)
