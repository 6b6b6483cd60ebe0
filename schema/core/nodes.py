"""Shared plumbing for node types: build a type from a model row, resolve global IDs by loader,
and reach a type of an area above through its lazy reference."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self, get_args

from strawberry import relay

from api.domain.clock import local
from api.domain.validation import record_id


def row_values(cls: type, row: Any, **overrides: Any) -> dict[str, Any]:
    """Field values copied from a model row for every plain field the type declares."""
    values = {}
    for f in cls.__strawberry_definition__.fields:
        if f.base_resolver is not None or f.python_name in overrides or f.python_name == "_row":
            continue
        if f.python_name == "id":
            values["id"] = row.id
            continue
        if not hasattr(row, f.python_name):
            continue
        value = getattr(row, f.python_name)
        values[f.python_name] = local(value) if isinstance(value, datetime) else value
    return values | overrides


class LoadedNode(relay.Node):
    """A node whose rows come from a per-request DataLoader named by ``_loader``."""

    _loader: str

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(**row_values(cls, row), _row=row)  # type: ignore[call-arg]

    @classmethod
    def from_optional(cls, row: Any | None) -> Self | None:
        return None if row is None else cls.from_row(row)

    @classmethod
    async def resolve_nodes(cls, *, info, node_ids: Iterable[str], required: bool = False):
        # An id no row can have (not a number, past the INT column) is unknown: null, no query.
        ids = [pk if (pk := record_id(i)) is not None else -1 for i in node_ids]
        rows = await getattr(info.context.loaders, cls._loader).load_many(ids)
        return [cls.from_optional(r) for r in rows]


def lazy_class(ref: Any) -> type:
    """The class that ``Annotated["Name", strawberry.lazy("module")]`` names, imported on first use.

    GraphQL's edges go both ways (a site lists its occurrences, an occurrence names its site);
    imports between areas go one way (docs/design.md). A type that returns a node of an area
    above its own names it with a lazy reference, as strawberry does, and builds it through this.
    """
    name, reference = get_args(ref)[0], ref.__metadata__[0]
    return reference.resolve_forward_ref(name).resolve_type()
