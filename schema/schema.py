"""The strawberry schema, assembled once."""

from pathlib import Path

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.admin import AdminQuery
from schema.board import BoardQuery
from schema.calendar import Event, Occurrence
from schema.live import Subscription as LiveSubscription
from schema.mutations import Mutation
from schema.network import Campaign, Lecturer, Platform, Site, Team, Venue
from schema.orders import Order, OrderQuery, OrderSubscription, ServiceItem
from schema.people import Membership, Person
from schema.protection import EXTENSIONS
from schema.queries import NetworkQuery
from schema.stats import StatsQuery

SDL_PATH = Path(__file__).with_name("schema.graphql")


# Each area of the API contributes its root fields as a strawberry type; the roots inherit them.
@strawberry.type(description="Reading the practice-centre network, its calendars and its figures.")
class Query(NetworkQuery, BoardQuery, StatsQuery, AdminQuery, OrderQuery):
    pass


@strawberry.type(description="Live updates (graphql-transport-ws over WebSocket on /graphql).")
class Subscription(LiveSubscription, OrderSubscription):
    pass


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Site, Venue, Platform, Team, Lecturer, Campaign, Event, Occurrence, Person, Membership, Order, ServiceItem],
    extensions=EXTENSIONS,
    config=StrawberryConfig(auto_camel_case=True),
)


def sdl() -> str:
    return schema.as_str() + "\n"
