"""The root Mutation: every area contributes a strawberry type of mutations (see base.py)."""

import strawberry

from schema.mutations.access import AccessMutation
from schema.mutations.events import EventMutation
from schema.mutations.network import NetworkMutation
from schema.orders.mutations import OrderMutation
from schema.mutations.people import PeopleMutation
from schema.mutations.records import RecordMutation
from schema.mutations.sites import SiteMutation


@strawberry.type(description="Writes. Each takes one input object and returns a payload with `errors`; needs an API token.")
class Mutation(SiteMutation, NetworkMutation, PeopleMutation, EventMutation, RecordMutation, AccessMutation, OrderMutation):
    pass


# Every mutation takes one `input` argument; it is described here once rather than 40 times.
for _field in Mutation.__strawberry_definition__.fields:
    for _argument in _field.arguments:
        if _argument.python_name == "input" and not _argument.description:
            _argument.description = "The mutation's input: one object, described by its type"
