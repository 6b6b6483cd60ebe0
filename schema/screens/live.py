"""Live updates over graphql-transport-ws: changes to occurrences within a site's subtree."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry import relay

from api.domain.errors import DomainError, NotFound
from api.domain.occurrences import OccurrenceChangeKind
from api.live.bus import is_resync
from api.live.occurrences import CHANNEL
from schema.calendar.types import Occurrence, occurrence_key
from schema.core.context import Info, node_pk
from schema.core.enums import EventKindEnum, graphql_enum
from schema.core.loaders import Loaders

OccurrenceChangeKindEnum = graphql_enum(OccurrenceChangeKind, "What happened to an occurrence, as the public sees it.", {
    "CREATED": "新增: newly public (a new event or instance, or a draft published)",
    "CHANGED": "变更: moved, retitled, reassigned or no longer cancelled",
    "CANCELLED": "取消: still listed, now cancelled",
    "DELETED": "删除: no longer public (deleted, or back to draft); occurrence is null",
})


RESYNC_DESCRIPTION = (
    "True on a resync message (重新同步): changes may have been missed (the server's connection to the other "
    "workers was re-established, or this subscriber fell far behind). Refetch what you show; the other fields "
    "are null. False on every other message"
)


@strawberry.type(description="One change to one occurrence, pushed as it is written; or a resync message.")
class OccurrenceChangeMessage:
    change: OccurrenceChangeKindEnum | None = strawberry.field(description="What happened; null on a resync message")
    occurrence_id: relay.GlobalID | None = strawberry.field(
        description="Global ID of the occurrence that changed; null on a resync message"
    )
    occurrence: Occurrence | None = strawberry.field(
        description="The occurrence as it is now, read when the message is sent; null once it is no longer public"
    )
    resync: bool = strawberry.field(default=False, description=RESYNC_DESCRIPTION)


def _matches(message: dict, within_path: str, kinds: set[str]) -> bool:
    if kinds and message.get("event_kind") not in kinds:
        return False
    paths = (message.get("site_path"), message.get("previous_site_path"))
    return any(p and p.startswith(within_path) for p in paths)


async def _fresh_occurrence(info: Info, occurrence_id: str) -> Occurrence | None:
    key = occurrence_key(occurrence_id)
    row = await info.context.loaders.occurrence.load(key) if key else None
    return Occurrence.from_row(row) if row is not None else None


@strawberry.type(description="Live updates (graphql-transport-ws over WebSocket on /graphql).")
class Subscription:
    @strawberry.subscription(
        description="Changes to occurrences at a site and its whole subtree: created, changed, cancelled, "
        "deleted. An occurrence that moves out of the subtree arrives once more, as it leaves."
    )
    async def occurrence_changes(
        self,
        info: Info,
        within: Annotated[relay.GlobalID, strawberry.argument(description="A site: changes in it and its whole subtree")],
        kinds: Annotated[
            list[EventKindEnum] | None, strawberry.argument(description="Only lectures, or only activities (default both)")
        ] = None,
    ) -> AsyncGenerator[OccurrenceChangeMessage, None]:
        bus = info.context.bus
        if bus is None:
            raise DomainError("live updates are not enabled on this server", field="within", code="NO_LIVE")
        site = await info.context.loaders.site.load(node_pk(within, "Site", "within"))
        if site is None:
            raise NotFound("site", within, field="within")
        wanted = {k.value for k in kinds or ()}
        async with bus.subscribe(CHANNEL) as messages:
            async for message in messages:
                if is_resync(message):
                    yield OccurrenceChangeMessage(change=None, occurrence_id=None, occurrence=None, resync=True)
                    continue
                if not _matches(message, site.path, wanted):
                    continue
                # get_context runs once per WebSocket: fresh loaders per message, or the
                # connection's first read would be served again for every later change.
                info.context.loaders = Loaders()
                occurrence = await _fresh_occurrence(info, message["occurrence_id"])
                yield OccurrenceChangeMessage(
                    change=OccurrenceChangeKindEnum(message["change"]),
                    occurrence_id=relay.GlobalID("Occurrence", message["occurrence_id"]),
                    occurrence=occurrence,
                )
