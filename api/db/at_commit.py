"""Work a PostgreSQL transaction gathers while it runs and does once, just before COMMIT
(api/db/postgres.py's transaction runs it; a rollback drops it).

Why: the figures kept on write are rewritten under per-site locks held to the end of the
transaction. A transaction that writes step by step (a sheet import: one event after another)
took those locks step by step, in the order of its input, so two of them could each hold a
site the other wanted next and wait in a circle until PostgreSQL killed one ("deadlock
detected"). Gathered and done once at the end, the work takes all its locks at once, in the
one global order (ids ascending). SQLite has one writer at a time: its work is done at once.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Flush = Callable[[Any, Any], Awaitable[None]]  # (the transaction's client, what was gathered)

# By the transaction's asyncpg connection (a nested transaction, a savepoint, shares it):
# name -> (what was gathered, how to do it).
_OPEN: dict[int, dict[str, tuple[Any, Flush]]] = {}


def gather(client: Any, name: str, empty: Callable[[], T], flush: Flush) -> T | None:
    """The collection ``name`` of the transaction ``client`` runs in (made by ``empty()`` the
    first time; ``flush(client, collection)`` runs before COMMIT), or None when ``client`` is
    not in such a transaction: then the caller does its work at once."""
    actions = _OPEN.get(id(getattr(client, "_connection", None)))
    if actions is None:
        return None
    if name not in actions:
        actions[name] = (empty(), flush)
    return actions[name][0]


async def settle(client: Any, name: str) -> None:
    """Do the work gathered under ``name`` now: a reader of what it writes inside the same
    transaction (a mutation's answer under an Idempotency-Key) sees its own writes."""
    actions = _OPEN.get(id(getattr(client, "_connection", None)))
    if actions and name in actions:
        gathered, flush = actions.pop(name)
        await flush(client, gathered)


def discard(client: Any, name: str) -> None:
    """Forget the work gathered under ``name`` without doing it: the caller has just rewritten
    what it would write from the base tables, which already hold this transaction's writes (a
    rebuild). Done, it would count them twice."""
    actions = _OPEN.get(id(getattr(client, "_connection", None)))
    if actions:
        actions.pop(name, None)


def kept(connection: Any) -> dict[str, tuple[Any, Flush]]:
    """A copy of what this connection's transaction has gathered (at a savepoint's start)."""
    return copy.deepcopy(_OPEN.get(id(connection), {}))


def restore(connection: Any, actions: dict[str, tuple[Any, Flush]]) -> None:
    """Back to what was gathered at a savepoint's start, when it rolls back: its SQL is undone,
    so must be what it gathered, and what it wrote of the work gathered before it (settle)."""
    if id(connection) in _OPEN:
        _OPEN[id(connection)] = actions


def opened(connection: Any) -> None:
    _OPEN[id(connection)] = {}


def closed(connection: Any) -> dict[str, tuple[Any, Flush]]:
    """The work gathered on this connection's transaction, forgotten here (call once, at its end)."""
    return _OPEN.pop(id(connection), {})


async def run(client: Any, actions: dict[str, tuple[Any, Flush]]) -> None:
    """In name order, so two transactions take the locks of different kinds in one order too."""
    for name in sorted(actions):
        gathered, flush = actions[name]
        await flush(client, gathered)
