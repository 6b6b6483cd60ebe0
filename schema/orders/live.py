"""The dispatch desk's live view: new and changed orders within a subtree, for staff only
(authenticated in connection_init: schema/core/context.py, connection_actor).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay

from api.models.accounts import Role
from api.models.orders import OrderStatus
from api.live.bus import is_resync
from schema.core.context import Info, connection_actor
from schema.core.loaders import Loaders
from schema.orders.mutations import CHANNEL
from schema.orders.queries import site_row
from schema.orders.types import Order, OrderStatusEnum, order_loaders


@strawberry.type(description="One new or changed order, pushed when it is written; or a resync message.")
class OrderChangeMessage:
    order_id: relay.GlobalID | None = strawberry.field(description="Global ID of the order; null on a resync message")
    status: OrderStatusEnum | None = strawberry.field(description="Its status now; null on a resync message")
    previous_status: OrderStatusEnum | None = strawberry.field(description="Its status before; null for a new order")
    order: Order | None = strawberry.field(description="The order as it is now, read when the message is sent")
    resync: bool = strawberry.field(default=False, description=(
        "True on a resync message (重新同步): orders may have changed unseen (the server's connection to the other "
        "workers was re-established, or this desk fell far behind). Refetch the desk's list; the other fields "
        "are null. False on every other message"))


@strawberry.type(description="Live order updates.")
class OrderSubscription:
    @strawberry.subscription(
        description="新单 and changes for the dispatch desk: every order placed or moved on at a site's subtree. "
        "Staff only (VIEWER on the site): authenticate in connection_init."
    )
    async def order_changes(
        self,
        info: Info,
        within: Annotated[relay.GlobalID, strawberry.argument(description="A site: orders in it and its whole subtree")],
    ) -> AsyncGenerator[OrderChangeMessage, None]:
        actor = await connection_actor(info, "orderChanges")
        site = await site_row(info, within, "within")
        actor.require(Role.VIEWER, site.path, where=f"orders of {site.name}", field="within")
        bus = info.context.bus
        if bus is None:
            raise GraphQLError("live updates are not enabled on this server", extensions={"code": "NO_LIVE"})
        async with bus.subscribe(CHANNEL) as messages:
            async for message in messages:
                if is_resync(message):
                    yield OrderChangeMessage(order_id=None, status=None, previous_status=None, order=None, resync=True)
                    continue
                if not str(message.get("site_path", "")).startswith(site.path):
                    continue
                info.context.loaders = Loaders()  # fresh reads for every message
                row = await order_loaders(info).order.load(int(message["order_id"]))
                previous = message.get("previous_status")
                yield OrderChangeMessage(
                    order_id=relay.GlobalID("Order", str(message["order_id"])),
                    status=OrderStatus(message["status"]),
                    previous_status=OrderStatus(previous) if previous else None,
                    order=Order.of(row) if row else None,
                )
