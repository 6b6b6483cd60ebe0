"""The mutation convention: one input object; a payload with the result and `errors`.

`perform` runs a write as one transaction with its audit entries: a broken rule rolls it all
back and comes back as a UserError; nothing is half-written. A transaction PostgreSQL aborted
for a lock cycle runs again (api/domain/retry.py), and comes back as TRY_AGAIN if it kept failing.
Calling a mutation without a valid token is a top-level UNAUTHENTICATED error (authentication
is not an input problem).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from tortoise.transactions import in_transaction

from api.domain.errors import DomainError
from api.domain.retry import CODE as TRY_AGAIN, retrying
from api.domain.writes import Write
from schema.core.context import Info

T = TypeVar("T")
log = logging.getLogger("wenming.mutations")


@strawberry.type(description="Why a mutation changed nothing: the input field at fault, a message and a code.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "endsAt"]; null when no single field is'
    )
    message: str = strawberry.field(description="What is wrong, for a person to read")
    code: str = strawberry.field(
        description="Machine-readable: REQUIRED, TOO_LONG, OUT_OF_RANGE, NOT_FOUND, WRONG_ID_TYPE, DUPLICATE, "
        "CONFLICT, TRY_AGAIN, OUT_OF_SCOPE, FORBIDDEN, BAD_PARENT, CYCLE, END_BEFORE_START, BAD_RRULE, START_NOT_IN_RULE, "
        "NOT_AN_OCCURRENCE, ALREADY_DELETED, NOT_DELETED, IN_USE ... (docs/editing.md lists them)"
    )

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        path = ["input", *error.field.split(".")] if error.field else None
        return cls(field=path, message=error.message, code=error.code)


def payload(name: str, field_name: str, node: Any, what: str) -> type:
    """A payload type `name` with `field_name: node | None` and `errors`."""
    namespace = {
        "__annotations__": {field_name: node | None, "errors": list[UserError]},
        field_name: strawberry.field(default=None, description=f"The {what} as it is now; null when errors is not empty"),
        "errors": strawberry.field(default_factory=list, description="Empty on success; otherwise why nothing changed"),
    }
    cls = type(name, (), namespace)
    return strawberry.type(cls, description=f"The result of a mutation on a {what}.")


async def perform(
    info: Info, work: Callable[[Write], Awaitable[T]], *, anonymous: bool = False
) -> tuple[T | None, list[UserError]]:
    """Run `work` for the caller as one transaction; announce occurrence changes after commit.

    ``anonymous=True`` lets callers without a token through (a resident placing an order);
    `work` then decides what an anonymous caller may do. `work` may run more than once
    (api/domain/retry.py): it reads request bodies before, and returns whatever it found out
    (never appends it to a list made outside it, which an aborted run would have filled too)."""
    actor = info.context.actor
    if not actor.authenticated and not anonymous:
        raise GraphQLError(
            "mutations need an API token: send 'Authorization: Bearer <token>'",
            extensions={"code": "UNAUTHENTICATED"},
        )

    async def attempt() -> tuple[Write, T]:  # afresh when PostgreSQL aborted a run (api/domain/retry.py)
        write = Write(actor)
        async with in_transaction():
            return write, await work(write)

    state = getattr(info.context.request, "state", None)
    try:
        write, result = await retrying(attempt)
    except DomainError as error:
        if error.code == TRY_AGAIN and state is not None:
            state.try_again = True  # under an Idempotency-Key: keep nothing, so the same key runs it again
        return None, [UserError.from_domain(error)]
    # Committed: if the database goes away while the rest of the answer is read, the HTTP
    # view must not report this write as failed (schema/http.py answers 200, not 503).
    if state is not None:
        state.writes_committed = getattr(state, "writes_committed", 0) + 1
    await info.context.announce(write.occurrence_changes)
    return result, []
