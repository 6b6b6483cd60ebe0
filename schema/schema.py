"""The strawberry schema, assembled once from every area's types and root fields."""

from pathlib import Path

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.access.mutations import AccessMutation
from schema.access.queries import AdminQuery
from schema.calendar.mutations import EventMutation
from schema.calendar.queries import CalendarQuery
from schema.calendar.types import Event, Occurrence
from schema.china_calendar.mutations import ChinaCalendarMutation
from schema.china_calendar.queries import ChinaCalendarQuery
from schema.core.error_log import LoggingSchema
from schema.core.protection import EXTENSIONS
from schema.core.scalars import SCALAR_OVERRIDES
from schema.core.records import RecordMutation
from schema.network.mutations import NetworkMutation
from schema.network.queries import NetworkQuery
from schema.network.site_mutations import SiteMutation
from schema.network.types import Campaign, Lecturer, Platform, Site, Team, Venue
from schema.orders import Order, OrderMutation, OrderQuery, OrderSubscription, ServiceItem
from schema.people.mutations import PeopleMutation
from schema.people.types import Membership, Person
from schema.reports.live import ReportSubscription
from schema.reports.mutations import ReportMutation
from schema.reports.queries import ReportQuery
from schema.reports.types import Image, Report
from schema.screens.board import BoardQuery
from schema.screens.live import Subscription as LiveSubscription
from schema.screens.stats import StatsQuery
from schema.search.queries import SearchQuery
from schema.volunteers import (
    AttendanceMutation,
    HoursEntry,
    HoursQuery,
    PointsMutation,
    PointsQuery,
    Signup,
    VolunteerMutation,
    VolunteerQuery,
)
from schema.sheets.jobs import SheetJobMutation, SheetJobQuery, SheetJobSubscription
from schema.sheets.mutations import SheetMutation

SDL_PATH = Path(__file__).with_name("schema.graphql")


# Each area of the API contributes its root fields as a strawberry type; the roots inherit them.
@strawberry.type(description="Reading the practice-centre network, its calendars and its figures.")
class Query(NetworkQuery, CalendarQuery, ChinaCalendarQuery, BoardQuery, StatsQuery, AdminQuery, OrderQuery, SearchQuery,
            VolunteerQuery, ReportQuery,
            HoursQuery, PointsQuery, SheetJobQuery):
    pass


@strawberry.type(description="Writes. Each takes one input object and returns a payload with `errors`; needs an API token.")
class Mutation(SiteMutation, NetworkMutation, PeopleMutation, EventMutation, ChinaCalendarMutation, RecordMutation,
               AccessMutation, OrderMutation, VolunteerMutation, ReportMutation,
               AttendanceMutation, PointsMutation, SheetMutation, SheetJobMutation):
    pass


# Every mutation takes one `input` argument; it is described here once rather than 40 times.
for _field in Mutation.__strawberry_definition__.fields:
    for _argument in _field.arguments:
        if _argument.python_name == "input" and not _argument.description:
            _argument.description = "The mutation's input: one object, described by its type"


@strawberry.type(description="Live updates (graphql-transport-ws over WebSocket on /graphql).")
class Subscription(LiveSubscription, OrderSubscription, ReportSubscription, SheetJobSubscription):
    pass


schema = LoggingSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Site, Venue, Platform, Team, Lecturer, Campaign, Event, Occurrence, Person, Membership, Order, ServiceItem,
           Signup, Report, Image, HoursEntry],
    extensions=EXTENSIONS,
    scalar_overrides=SCALAR_OVERRIDES,
    config=StrawberryConfig(auto_camel_case=True),
)


def sdl() -> str:
    return schema.as_str() + "\n"
