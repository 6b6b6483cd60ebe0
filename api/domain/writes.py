"""One write as a unit: the caller, the audit entries, and the occurrence changes to announce
once the transaction has committed. Optimistic versions and soft delete live here too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from tortoise.models import Model

from api.domain import audit
from api.domain.clock import now
from api.domain.errors import DomainError
from api.domain.permissions import Actor
from api.search import index as search_index

R = TypeVar("R", bound=Model)


@dataclass
class Write:
    actor: Actor
    occurrence_changes: list[Any] = field(default_factory=list)

    async def audit(self, action: str, obj: Model, *, site_path: str | None, before: dict | None = None) -> None:
        await audit.record(
            self.actor, action, type(obj).__name__, obj.pk, site_path=site_path, before=before,
            after=audit.snapshot(obj),
        )
        # Every audited write passes here, in its transaction: the search index follows it.
        await search_index.follow(obj)


def check_version(obj: Model, version: int, what: str) -> None:
    if obj.version != version:
        raise DomainError(
            f"{what} was changed by someone else since you read it (you read version {version}, "
            f"it is now at version {obj.version}); reload it and apply your change again",
            field="version",
            code="CONFLICT",
        )


async def save_versioned(obj: R, version: int, changes: dict[str, Any], what: str) -> R:
    """Apply changes if nobody else wrote since `version` was read (checked in the UPDATE too)."""
    check_version(obj, version, what)
    changes = {**changes, "version": version + 1, "updated_at": now()}
    updated = await type(obj).filter(pk=obj.pk, version=version).update(**changes)
    if updated == 0:  # a colleague's write landed between our read and this UPDATE
        fresh = await type(obj).get(pk=obj.pk)
        check_version(fresh, version, what)
    for name, value in changes.items():
        setattr(obj, name, value)
    return obj


async def soft_delete(obj: R, version: int, what: str) -> R:
    if obj.deleted_at is not None:
        raise DomainError(f"{what} is already deleted", field="id", code="ALREADY_DELETED")
    return await save_versioned(obj, version, {"deleted_at": now()}, what)


async def restore(obj: R, what: str) -> R:
    if obj.deleted_at is None:
        raise DomainError(f"{what} is not deleted", field="id", code="NOT_DELETED")
    return await save_versioned(obj, obj.version, {"deleted_at": None}, what)
