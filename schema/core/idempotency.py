"""The ``Idempotency-Key`` header on GraphQL mutations over POST (api/domain/idempotency.py
keeps the keys; docs/operations.md tells clients how to use it).

    POST /graphql   Idempotency-Key: 5b0e4a9c-6f1d-4c1e-9d7e-2f4f0b8c1a33
    {"query": "mutation($input: CreateEventInput!) { createEvent(input: $input) { ... } }", ...}

The whole request runs in one transaction that first takes the key, then executes the
document (each mutation's own transaction becomes a savepoint inside it), then keeps the
answer: the writes, the key and the answer commit together or not at all. A retry with the
same key and the same request gets the kept answer (``Idempotent-Replayed: true``) and writes
nothing. Live announcements wait for that commit. Queries, GET requests and requests without
the header are untouched.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.domain import availability, idempotency, retry
from api.domain.errors import DomainError
from schema.core.protection import MAX_TOKENS

REPLAYED_HEADER = "Idempotent-Replayed"
DEFERRED = "deferred_announcements"  # request.state: occurrence changes to announce after the commit

Execute = Callable[[Request], Awaitable[Response]]
MediaType = Callable[[Request], str]
Announce = Callable[[list], Awaitable[Any]]


def wanted(request: Request) -> bool:
    return request.method == "POST" and idempotency.HEADER.lower() in request.headers


def _is_mutation(query: object, operation_name: object) -> bool:
    if not isinstance(query, str):
        return False
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False  # executed as usual, and refused there with the usual error
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return len(operations) == 1 and operations[0].operation == OperationType.MUTATION


class _Undo(Exception):
    """Leaves the transaction without committing, carrying the answer to give instead."""

    def __init__(self, response: Response) -> None:
        self.response = response


class Idempotency:
    def __init__(self, media_type: MediaType, unavailable: Callable[[Request], Response]) -> None:
        self.media_type = media_type
        self.unavailable = unavailable  # the view's 503 answer
        self.replays = 0  # answers given again, for tests

    def _refusal(self, request: Request, status: int, error: DomainError) -> Response:
        body = {"errors": [{"message": error.message, "extensions": {"code": error.code, "header": idempotency.HEADER}}]}
        return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                        media_type=self.media_type(request), headers={"Cache-Control": "no-store"})

    def _try_again(self, request: Request) -> Response:
        """The whole request was rolled back for a lock cycle, every mutation in it (the payloads
        executed would name writes that no longer exist): one 409 TRY_AGAIN, nothing kept."""
        error = retry.refusal("this request (every mutation in it)")
        error.message += f" with the same {idempotency.HEADER}"
        return self._refusal(request, 409, error)

    async def respond(self, request: Request, execute: Execute, announce: Announce) -> Response:
        try:
            key = idempotency.check_key(request.headers[idempotency.HEADER])
        except DomainError as error:
            return self._refusal(request, 400, error)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return await execute(request)  # not JSON: the view refuses it as usual
        if not isinstance(data, dict) or not _is_mutation(data.get("query"), data.get("operationName")):
            return await execute(request)  # a query is idempotent by nature: nothing to keep
        caller = idempotency.caller_of(request.headers.get("authorization"))
        digest = idempotency.request_hash(data.get("query"), data.get("variables"), data.get("operationName"))
        try:
            for _ in range(2):  # a second time only after losing a race for the key
                try:
                    first = await idempotency.first_answer(caller, key, digest)
                except DomainError as error:
                    return self._refusal(request, 422, error)
                if first is not None:
                    self.replays += 1
                    return Response(first.body, status_code=first.status, media_type=first.content_type,
                                    headers={REPLAYED_HEADER: "true", "Cache-Control": "no-store"})
                try:
                    return await self._run_once(request, execute, announce, caller, key, digest)
                except IntegrityError:
                    continue  # a request with the same key committed meanwhile: give its answer
            raise RuntimeError("an idempotency key was taken and then not found")  # pragma: no cover
        except Exception as exc:
            if not availability.is_unavailable(exc):
                raise
            # Taking the key, or the COMMIT, failed: the retry (same key) finds out which.
            return self.unavailable(request)

    async def _run_once(self, request: Request, execute: Execute, announce: Announce,
                        caller: str, key: str, digest: str) -> Response:
        deferred: list = []
        setattr(request.state, DEFERRED, deferred)
        try:
            async with in_transaction():
                row = await idempotency.claim(caller, key, digest)
                response = await execute(request)
                if response.status_code >= 500:  # a fault: nothing to keep, the same key runs again
                    raise _Undo(response)
                if getattr(request.state, "try_again", False):  # a write met a lock cycle (schema/core/mutation.py)
                    raise _Undo(self._try_again(request))
                content_type = response.headers.get("content-type", self.media_type(request))
                await idempotency.keep(row, idempotency.Answer(response.status_code, content_type,
                                                               bytes(response.body).decode()))
        except _Undo as undo:
            return undo.response
        except Exception as exc:
            if not retry.is_retryable(exc):
                raise
            return self._try_again(request)  # the cycle met at COMMIT (api/db/at_commit.py's work)
        finally:
            setattr(request.state, DEFERRED, None)
        await announce(deferred)
        return response
