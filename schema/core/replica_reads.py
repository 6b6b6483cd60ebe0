"""Anonymous GraphQL queries over HTTP may read from the read replica (api/db/replica.py).

Decided when the operation is known (its type is parsed by then): a query, over HTTP, with no
Authorization header. Mutations, subscriptions, anything over a WebSocket and any request with
a token read the primary, so an editor sees their own writes; so does a query reading a
resident's or volunteer's own record by the private token in its arguments (orderByToken right
after placeOrder). A request whose place was already decided (a trusted document,
schema/core/persisted.py) keeps it. While the replica stands in for an unreachable primary
(schema/http.py runs an anonymous request there), the same rule decides: a query that may be
stale reads the replica, anything else the primary, and fails with the outage error."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.requests import Request
from graphql import BREAK, DocumentNode, FieldNode, Visitor, visit
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

import api.db.replica as replica


# Fields that read the caller's own record by a private token (a write of a moment ago).
BY_PRIVATE_TOKEN = frozenset({"orderByToken", "signupByToken", "volunteerByToken"})


class _ByPrivateToken(Visitor):
    found = False

    def enter_field(self, node: FieldNode, *_: object) -> object:
        if node.name.value in BY_PRIVATE_TOKEN:
            self.found = True
            return BREAK
        return None


def reads_by_private_token(document: DocumentNode | None) -> bool:
    finder = _ByPrivateToken()
    if document is not None:
        visit(document, finder)
    return finder.found


class ReplicaReads(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if replica.decided() and not replica.standing_in():
            yield
            return
        stale_ok = (context.operation_type == OperationType.QUERY and isinstance(request, Request)
                    and "authorization" not in request.headers
                    and not reads_by_private_token(context.graphql_document))
        if isinstance(request, Request):
            request.state.stale_reads_ok = stale_ok  # schema/http.py: may run again on the replica
        with replica.stale_reads_allowed() if stale_ok else replica.primary():
            yield
