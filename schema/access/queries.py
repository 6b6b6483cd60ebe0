"""Who am I, and the audit trail (for administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from tortoise.expressions import Q

from api.domain.clock import local
from api.domain.errors import NotFound
from api.domain.permissions import Role
from api.domain.sites import subtree
from api.domain import validation
from api.domain.validation import MAX_BIG_ID
from api.models.audit import AuditEntry as AuditRow
from api.models.sites import Site as SiteRow
from schema.core.context import Info, node_pk
from schema.core.enums import RoleEnum
from schema.core.pagination import Connection, cursor_id, paginate


ACTOR_MAX = 120  # the audit_entry.actor column's length


@strawberry.type(description="A role held on a site and everything below it.")
class RoleGrant:
    site_path: strawberry.Private[str]
    role: RoleEnum = strawberry.field(description="The role")
    site_name: str = strawberry.field(description="The site it is held on (its subtree is covered)")


@strawberry.type(description="The caller, as the API sees them.")
class Viewer:
    label: str = strawberry.field(description="How writes by this caller appear in the audit log")
    grants: list[RoleGrant] = strawberry.field(description="Roles on site subtrees")


@strawberry.type(description="One recorded write: who, when, what, and the values before and after.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="Entry number (grows with time)")
    at: datetime = strawberry.field(description="When the write was committed")
    actor: str = strawberry.field(description="Who: 'account <username>' or 'token <name> (<prefix>…)'")
    action: str = strawberry.field(description="CREATE, UPDATE, DELETE, RESTORE, PUBLISH, UNPUBLISH, ...")
    object_type: str = strawberry.field(description="Type of the object written, e.g. Site, Event")
    object_id: relay.GlobalID = strawberry.field(description="Global ID of the object written")
    before: JSON | None = strawberry.field(description="The changed fields' old values (null on create)")
    after: JSON | None = strawberry.field(description="The changed fields' new values")

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row.id)), at=local(row.at), actor=row.actor, action=row.action,
            object_type=row.object_type, object_id=relay.GlobalID(row.object_type, str(row.object_id)),
            before=row.before, after=row.after,
        )


@strawberry.type(description="Identity and audit.")
class AdminQuery:
    @strawberry.field(description="The caller: null when anonymous")
    def me(self, info: Info) -> Viewer | None:
        actor = info.context.actor
        if not actor.authenticated:
            return None
        grants = [RoleGrant(site_path=g.site_path, role=RoleEnum(g.role.value), site_name=g.site_name) for g in actor.grants]
        return Viewer(label=actor.label, grants=grants)

    @strawberry.field(
        description="Recorded writes within a site's subtree, newest first (needs ADMIN there); "
        "for a centre, network-wide objects (platforms, campaigns, people with no site) too"
    )
    async def audit_log(
        self,
        info: Info,
        within: Annotated[relay.GlobalID, strawberry.argument(description="A site: writes to it and its subtree")],
        from_: Annotated[datetime | None, strawberry.argument(name="from", description="Only writes at or after this time")] = None,
        to: Annotated[datetime | None, strawberry.argument(description="Only writes before this time")] = None,
        actor: Annotated[str | None, strawberry.argument(description="Only writes by this actor (as shown in `actor`)")] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size, 0-100 (default 20)")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor of the last entry already seen")] = None,
    ) -> Connection[AuditEntry]:
        site = await SiteRow.get_or_none(id=node_pk(within, "Site", "within"))
        if site is None:
            raise NotFound("site", within.node_id, field="within")
        info.context.actor.require(Role.ADMIN, site.path, where=f"the audit log of {site.name}", field="within")
        scope = subtree(site.path, "site_path")
        if site.parent_id is None:  # a centre's admins also see network-wide objects (platforms, campaigns)
            scope |= Q(site_path__isnull=True)
        qs = AuditRow.filter(scope)
        if from_ is not None:
            qs = qs.filter(at__gte=local(from_))
        if to is not None:
            qs = qs.filter(at__lt=local(to))
        if actor := validation.search_text(actor, "actor", max_length=ACTOR_MAX):
            qs = qs.filter(actor=actor)
        return await paginate(
            qs.order_by("-id"), first=first, after=after, to_node=AuditEntry.from_row,
            key=lambda r: (r.id,), after_key=lambda k: Q(id__lt=cursor_id(k[0], MAX_BIG_ID)), key_size=1,
        )
