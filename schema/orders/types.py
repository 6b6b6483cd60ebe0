"""The service menu and orders as GraphQL types, and who may see an order's private fields."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from api.domain.clock import local
from api.domain.orders import resident_reads, steps_from
from api.models.accounts import Role
from api.models.orders import Order as OrderRow
from api.models.orders import OrderStatus, OrderTransition, Party
from api.models.orders import ServiceItem as ServiceItemRow
from api.models.sites import Site as SiteRow
from api.models.teams import Team as TeamRow
from schema.calendar.types import Event
from schema.core.context import Info
from schema.core.enums import graphql_enum
from schema.core.nodes import row_values
from schema.network.types import Platform, Site, Team

OrderStatusEnum = graphql_enum(OrderStatus, "Where an order is in the loop 点单 - 派单 - 接单 - 评单.", {
    "ORDERED": "已点单: placed by a resident, waiting for the centre to dispatch it",
    "DISPATCHED": "已派单: the centre gave it to a team, waiting for the team to accept",
    "ACCEPTED": "已接单: the team took it, a date is to be fixed",
    "DECLINED": "已拒单: the team cannot do it (see declineReason); the centre dispatches it again",
    "SCHEDULED": "已排期: a date is fixed and the activity is on the calendar",
    "DONE": "已完成: carried out, attendance recorded; waiting for the resident's rating",
    "RATED": "已评单: the resident rated it (final)",
    "CANCELLED": "已取消: cancelled by the resident (final)",
})
PartyEnum = graphql_enum(Party, "Who takes a step of the order loop.", {
    "STAFF": "中心 / 所: staff with EDITOR on the order's site",
    "TEAM": "队伍: the assigned team (EDITOR on the team's home site)",
    "RESIDENT": "群众: the resident, with the order token",
})


class OrderLoaders:
    """Per-request loaders for the order area; they live on the request's Loaders (below)."""

    def __init__(self) -> None:
        self.item = DataLoader(self._items)
        self.order = DataLoader(self._orders)
        self.item_sites = DataLoader(self._item_sites)
        self.item_teams = DataLoader(self._item_teams)
        self.history = DataLoader(self._history)

    @staticmethod
    async def _items(ids: Sequence[int]) -> list[ServiceItemRow | None]:
        rows = {r.id: r for r in await ServiceItemRow.filter(id__in=list(ids), deleted_at__isnull=True)}
        return [rows.get(i) for i in ids]

    @staticmethod
    async def _orders(ids: Sequence[int]) -> list[OrderRow | None]:
        rows = {r.id: r for r in await OrderRow.filter(id__in=list(ids), deleted_at__isnull=True)}
        return [rows.get(i) for i in ids]

    @staticmethod
    async def _linked(model: Any, ids: Sequence[int]) -> list[list[Any]]:
        rows = await model.filter(service_item_links__item_id__in=list(ids), deleted_at__isnull=True).order_by(
            "id"
        ).values_list("service_item_links__item_id", "id")
        wanted = {i for _, i in rows}
        by_id = {r.id: r for r in await model.filter(id__in=list(wanted))} if wanted else {}
        groups: dict[int, list[Any]] = defaultdict(list)
        for item_id, pk in rows:
            groups[item_id].append(by_id[pk])
        return [groups[i] for i in ids]

    async def _item_sites(self, ids: Sequence[int]) -> list[list[SiteRow]]:
        return await self._linked(SiteRow, ids)

    async def _item_teams(self, ids: Sequence[int]) -> list[list[TeamRow]]:
        return await self._linked(TeamRow, ids)

    @staticmethod
    async def _history(ids: Sequence[int]) -> list[list[OrderTransition]]:
        groups: dict[int, list[OrderTransition]] = defaultdict(list)
        for row in await OrderTransition.filter(order_id__in=list(ids)).order_by("at", "id"):
            groups[row.order_id].append(row)
        return [groups[i] for i in ids]


def order_loaders(info: Info) -> OrderLoaders:
    # Kept on the request's Loaders object, so they are as fresh as the others (a subscription
    # replaces Loaders for every message, and these go with it).
    return vars(info.context.loaders).setdefault("_orders", OrderLoaders())


async def staff_sees(info: Info, row: OrderRow) -> bool:
    """Private fields are for VIEWER+ on the order's site, or on the home site of the team
    serving it (volunteers must be able to call the resident)."""
    actor = info.context.actor
    if not actor.authenticated:
        return False
    if actor.can(Role.VIEWER, row.site_path):
        return True
    if row.team_id is None:
        return False
    team = await info.context.loaders.team.load(row.team_id)
    home = await info.context.loaders.site.load(team.home_site_id) if team else None
    return home is not None and actor.can(Role.VIEWER, home.path)


def mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


@strawberry.type(description="An entry of a service menu (服务菜单): what residents can order, e.g. 理发, 法律咨询, 科普表演.")
class ServiceItem(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name, e.g. 为老人义务理发")
    description: str = strawberry.field(description="What the service is")
    typical_minutes: int = strawberry.field(description="Typical duration in minutes (the default length when scheduled)")
    published: bool = strawberry.field(description="On the menu: only published items can be ordered")
    version: int = strawberry.field(description="Grows by one on every change (send it back when updating)")
    updated_at: datetime = strawberry.field(description="When it last changed")
    _row: strawberry.Private[ServiceItemRow]

    @classmethod
    def from_row(cls, row: ServiceItemRow) -> Self:
        return cls(**row_values(cls, row), _row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        rows = await order_loaders(info).item.load_many([_int(i) for i in node_ids])
        return [cls.from_row(r) if r and (r.published or info.context.actor.authenticated) else None for r in rows]

    @strawberry.field(description="The service platform (平台) it belongs to")
    async def platform(self, info: Info) -> Platform | None:
        return Platform.from_optional(await info.context.loaders.platform.load(self._row.platform_id))

    @strawberry.field(description="Sites offering it: it is on the menu of each and of every site below them")
    async def sites(self, info: Info) -> list[Site]:
        return [Site.from_row(r) for r in await order_loaders(info).item_sites.load(self.id)]

    @strawberry.field(description="Teams that offer it (the dispatch desk's first choices)")
    async def teams(self, info: Info) -> list[Team]:
        return [Team.from_row(r) for r in await order_loaders(info).item_teams.load(self.id)]


@strawberry.type(description="A step the order can take next, and who takes it.")
class OrderStep:
    action: str = strawberry.field(description="The step: the mutation is `<action>Order`, e.g. dispatch -> dispatchOrder")
    to: OrderStatusEnum = strawberry.field(description="The status it leads to")
    by: PartyEnum = strawberry.field(description="Who may take it")


@strawberry.type(description="One step in an order's history.")
class OrderHistoryEntry:
    from_status: OrderStatusEnum | None = strawberry.field(description="The status before (null when the order was placed)")
    to_status: OrderStatusEnum = strawberry.field(description="The status after")
    by: PartyEnum = strawberry.field(description="Who took the step: staff, the team or the resident")
    at: datetime = strawberry.field(description="When, Asia/Shanghai")
    note: str = strawberry.field(
        description="The note, decline reason or rating comment given with the step. Notes between staff and the "
        "team (dispatch, accept, scheduling, completion) are for them: the resident, with the order token, sees "
        "those empty, and reads their own notes (rating comment, cancel reason) and a decline reason"
    )
    actor: str | None = strawberry.field(description="The account or token that took it; staff only (null otherwise)")


@strawberry.type(description="A resident's service order (点单). Staff see it in full; the resident follows it with "
                 "the order token; nobody else sees it.")
class Order(relay.Node):
    id: relay.NodeID[int]
    status: OrderStatusEnum = strawberry.field(description="Where it is in the loop")
    preferred_times: str = strawberry.field(description="When the resident would like it, as they wrote it")
    decline_reason: str = strawberry.field(description="Why the team declined (empty unless DECLINED)")
    attendance: int | None = strawberry.field(description="How many took part, recorded when DONE")
    rating: int | None = strawberry.field(description="The resident's stars, 1-5 (评单)")
    rating_comment: str = strawberry.field(description="The resident's comment with the rating")
    version: int = strawberry.field(description="Grows by one on every step (send it back with the next step)")
    updated_at: datetime = strawberry.field(description="When it last changed")
    _row: strawberry.Private[OrderRow]
    _owner: strawberry.Private[bool] = False

    @classmethod
    def of(cls, row: OrderRow, *, owner: bool = False) -> Self:
        return cls(**row_values(cls, row), _row=row, _owner=owner)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):
        rows = await order_loaders(info).order.load_many([_int(i) for i in node_ids])
        return [cls.of(r) if r and await staff_sees(info, r) else None for r in rows]

    @strawberry.field(description="When it was placed")
    def ordered_at(self) -> datetime:
        return local(self._row.created_at)

    @strawberry.field(description="What was ordered")
    async def item(self, info: Info) -> ServiceItem | None:
        row = await order_loaders(info).item.load(self._row.item_id)
        return ServiceItem.from_row(row) if row else None

    @strawberry.field(description="The platform (平台) of the service")
    async def platform(self, info: Info) -> Platform | None:
        return Platform.from_optional(await info.context.loaders.platform.load(self._row.platform_id))

    @strawberry.field(description="The site (the resident's station or community) it was ordered at")
    async def site(self, info: Info) -> Site | None:
        return Site.from_optional(await info.context.loaders.site.load(self._row.site_id))

    @strawberry.field(description="The team it is dispatched to (the last one, after a decline)")
    async def team(self, info: Info) -> Team | None:
        tid = self._row.team_id
        return Team.from_optional(await info.context.loaders.team.load(tid)) if tid else None

    @strawberry.field(description="The activity on the calendar, once SCHEDULED")
    async def event(self, info: Info) -> Event | None:
        eid = self._row.event_id
        return Event.from_optional(await info.context.loaders.event.load(eid)) if eid else None

    @strawberry.field(description="Private: the resident's name, for staff and the serving team; shown back to the resident")
    async def resident_name(self, info: Info) -> str | None:
        return self._row.resident_name if self._owner or await staff_sees(info, self._row) else None

    @strawberry.field(description="Private: the resident's phone, for staff and the serving team; the resident sees it masked")
    async def resident_phone(self, info: Info) -> str | None:
        if await staff_sees(info, self._row):
            return self._row.resident_phone
        return mask_phone(self._row.resident_phone) if self._owner else None

    @strawberry.field(description="Private: the resident's note, for staff, the serving team and the resident")
    async def note(self, info: Info) -> str | None:
        return self._row.note if self._owner or await staff_sees(info, self._row) else None

    @strawberry.field(description="The steps that can be taken from here, and by whom (empty when final)")
    def next_steps(self) -> list[OrderStep]:
        return [OrderStep(action=s.action, to=s.target, by=s.party) for s in steps_from(self._row.status)]

    @strawberry.field(description="Every step so far, oldest first: who and when")
    async def history(self, info: Info) -> list[OrderHistoryEntry]:
        staff = await staff_sees(info, self._row)
        return [
            OrderHistoryEntry(from_status=t.from_status, to_status=t.to_status, by=t.party, at=local(t.at),
                              note=t.note if staff or resident_reads(t.party, t.to_status) else "",
                              actor=t.actor if staff else None)
            for t in await order_loaders(info).history.load(self.id)
        ]


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1  # never matches: an unknown node resolves to null
