"""What every resolver gets as info.context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info as StrawberryInfo

from api.domain.accounts import authenticate
from api.domain.errors import DomainError
from api.domain.permissions import ANONYMOUS, Actor, Unauthenticated
from api.domain.validation import record_id
from api.settings import Settings
from schema.core.loaders import Loaders


@dataclass
class Context:
    settings: Settings
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)
    # The app's change bus (api.live): writes announce on it, subscriptions listen to it.
    bus: Any = None
    # The app's background imports (api.sheets.jobs.ImportJobs).
    import_jobs: Any = None
    actor: Actor = ANONYMOUS
    # The graphql-transport-ws connection_init payload (strawberry fills it in when the field
    # exists): browsers cannot set headers on a WebSocket, so a desk sends its token here.
    connection_params: dict | None = None

    async def announce(self, occurrence_changes: list) -> None:
        """Tell live subscribers (through the bus) what a committed write changed."""
        deferred = getattr(getattr(self.request, "state", None), "deferred_announcements", None)
        if deferred is not None:  # the request's own transaction has not committed yet (core/idempotency.py)
            deferred.extend(occurrence_changes)
            return
        if self.bus is not None and occurrence_changes:
            from api.live.occurrences import announce

            await announce(self.bus, occurrence_changes)


Info = StrawberryInfo[Context, None]


async def build_context(settings: Settings, request: Any, response: Any, *, bus: Any = None,
                        import_jobs: Any = None) -> Context:
    """One per HTTP request, and one per WebSocket connection.

    A request without credentials is anonymous; one with a bad credential is refused (401)
    rather than quietly served as anonymous, so a broken token is noticed at once.
    """
    try:
        actor = await authenticate(request.headers.get("authorization")) if request is not None else None
    except Unauthenticated as exc:
        raise HTTPException(401, exc.message) from exc
    return Context(settings=settings, request=request, response=response, bus=bus, import_jobs=import_jobs,
                   actor=actor or ANONYMOUS)


def node_pk(gid: relay.GlobalID | None, type_name: str, field_name: str) -> int | None:
    """The database id inside a global ID, checked to be of the expected type."""
    if gid is None:
        return None
    if gid.type_name != type_name:
        raise DomainError(
            f"{field_name} must be the id of a {type_name}, got the id of a {gid.type_name}",
            field=field_name,
            code="WRONG_ID_TYPE",
        )
    pk = record_id(gid.node_id)
    if pk is None:
        shown = gid.node_id if len(gid.node_id) <= 24 else gid.node_id[:24] + "…"
        raise DomainError(f"{field_name}: {shown!r} is not a {type_name} id", field=field_name, code="BAD_ID")
    return pk


def node_pks(gids: list[relay.GlobalID] | None, type_name: str, field_name: str) -> list[int]:
    return [node_pk(g, type_name, field_name) for g in gids or []]  # type: ignore[misc]


async def connection_actor(info: Info, subscription: str) -> Actor:
    """The caller of a WebSocket: from its Authorization header, else from connection_init.

    Browsers cannot set headers on a WebSocket, so the token may come in the graphql-transport-ws
    `connection_init` payload, `{"authorization": "Bearer <token>"}`. Strawberry 0.341 stores that
    payload on the context as `context.connection_params` (only when the context has such an
    attribute); a connection that sent the header itself is authenticated already."""
    actor = info.context.actor
    if actor.authenticated:
        return actor
    params = getattr(info.context, "connection_params", None) or {}
    header = params.get("authorization") or params.get("Authorization") if isinstance(params, dict) else None
    try:
        found = await authenticate(header) if isinstance(header, str) else None
    except Unauthenticated as exc:
        raise GraphQLError(exc.message, extensions={"code": "UNAUTHENTICATED"}) from exc
    if found is None:
        raise GraphQLError(
            f"{subscription} is for staff: send {{\"authorization\": \"Bearer <token>\"}} as the connection_init payload",
            extensions={"code": "UNAUTHENTICATED"},
        )
    info.context.actor = found  # the connection's caller, for the private fields of what it is sent
    return found
