"""Recording writes: who, when, what, and the values before and after."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from tortoise.models import Model

from api.domain.clock import local
from api.domain.permissions import Actor
from api.models.audit import AuditEntry

# Bookkeeping columns that every change moves (the audit shows what the editor changed),
# and secrets' hashes.
NOT_AUDITED = {"created_at", "updated_at", "token_hash", "materialised_until", "materialised_complete"}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: Model) -> dict[str, Any]:
    """The record's own columns (foreign keys as ids), JSON-ready."""
    names = sorted(obj._meta.db_fields | {f"{fk}_id" for fk in obj._meta.fk_fields})
    return {name: _json(getattr(obj, name)) for name in names if name not in NOT_AUDITED}


def changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict | None, dict | None]:
    """Only the keys whose value differs, so an entry shows the edit at a glance."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int,
    *,
    site_path: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    before, after = changed(before, after)
    return await AuditEntry.create(
        account_id=actor.account_id, token_id=actor.token_id, actor=actor.label, action=action,
        object_type=object_type, object_id=object_id, site_path=site_path, before=before, after=after,
    )
