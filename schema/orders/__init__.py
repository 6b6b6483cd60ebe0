"""The service-order loop (点单 - 派单 - 接单 - 评单) in GraphQL: menu, orders, steps, live desk, figures."""

from schema.orders.live import OrderSubscription
from schema.orders.mutations import OrderMutation
from schema.orders.queries import OrderQuery
from schema.orders.types import Order, ServiceItem

__all__ = ["Order", "OrderMutation", "OrderQuery", "OrderSubscription", "ServiceItem"]
