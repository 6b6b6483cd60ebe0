"""Anonymous GraphQL queries over HTTP may read from the read replica (api/db/replica.py).

Decided when the operation is known (its type is parsed by then): a query, over HTTP, with no
Authorization header. Mutations, subscriptions, anything over a WebSocket and any request with
a token read the primary, so an editor sees their own writes. A request whose place was
already decided (a trusted document, schema/core/persisted.py) keeps it."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.db import replica


class ReplicaReads(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if replica.decided():
            yield
            return
        stale_ok = (context.operation_type == OperationType.QUERY and isinstance(request, Request)
                    and "authorization" not in request.headers)
        with replica.stale_reads_allowed() if stale_ok else replica.primary():
            yield
