"""Turning input objects into what the domain takes: loaded rows and the fields that were set."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, TypeVar

import strawberry
from strawberry import relay
from tortoise.models import Model

from api.domain.errors import NotFound
from schema.core.context import node_pk

M = TypeVar("M", bound=Model)


def provided(input: Any, *, exclude: set[str] = frozenset()) -> dict[str, Any]:
    """The input's fields that the caller set (UNSET ones are left alone), by model column name."""
    values = {}
    for f in dataclasses.fields(input):
        value = getattr(input, f.name)
        if f.name in exclude or value is strawberry.UNSET:
            continue
        values[f.name] = value.value if isinstance(value, Enum) else value
    return values


async def load(model: type[M], gid: relay.GlobalID | None, type_name: str, field: str, *, deleted: bool = False) -> M:
    """The live (or, with deleted=True, the soft-deleted) row a global ID names, or NOT_FOUND."""
    pk = node_pk(gid, type_name, field)
    row = await model.get_or_none(id=pk, deleted_at__isnull=not deleted)
    if row is None:
        state = "deleted " if deleted else ""
        raise NotFound(f"{state}{type_name}", gid.node_id if gid else None, field=field)
    return row


async def load_optional(model: type[M], gid: relay.GlobalID | None, type_name: str, field: str) -> M | None:
    return None if gid is None else await load(model, gid, type_name, field)
