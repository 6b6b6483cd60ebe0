"""What every resolver gets as info.context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry import relay
from strawberry.types import Info as StrawberryInfo

from api.domain.errors import DomainError
from api.settings import Settings
from schema.loaders import Loaders


@dataclass
class Context:
    settings: Settings
    request: Any = None
    response: Any = None
    loaders: Loaders = field(default_factory=Loaders)
    # The app's change bus (api.live): writes announce on it, subscriptions listen to it.
    bus: Any = None


Info = StrawberryInfo[Context, None]


async def build_context(settings: Settings, request: Any, response: Any, *, bus: Any = None) -> Context:
    """One per HTTP request, and one per WebSocket connection."""
    return Context(settings=settings, request=request, response=response, bus=bus)


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
    try:
        return int(gid.node_id)
    except ValueError as exc:
        raise DomainError(f"{field_name}: {gid} is not a valid {type_name} id", field=field_name, code="BAD_ID") from exc


def node_pks(gids: list[relay.GlobalID] | None, type_name: str, field_name: str) -> list[int]:
    return [node_pk(g, type_name, field_name) for g in gids or []]  # type: ignore[misc]
