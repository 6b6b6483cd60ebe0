"""Idempotency keys for mutations: a retry with the same key gets the first answer.

A client that sends a mutation and gets no answer (a dropped connection, a 503 while the
database restarts, a timeout) cannot know whether it happened. With an ``Idempotency-Key``
header it retries with the same key: if the first attempt committed, the retry gets its
answer back and nothing is written again; if it did not, the retry runs.

- The key row is written in the same transaction as the mutation's writes, with the answer,
  so "the write committed" and "its answer is kept" are one fact: there is no window where
  one holds without the other.
- A key belongs to its caller (the Authorization header, hashed; or anonymous): two callers
  may pick the same key without seeing each other's answers.
- The same key with a different request (query, variables or operation name) is refused
  (IDEMPOTENCY_KEY_REUSED): it is a client bug, and answering the first request's result
  would hide it.
- Keys are kept KEEP_HOURS; after that the key may be used again for anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from api.domain import clock
from api.domain.errors import DomainError
from api.models.idempotency import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_HOURS = 24
MAX_KEY_LENGTH = 255
# Visible ASCII, no spaces: a UUID, a ULID or any token a client makes up.
_KEY = re.compile(r"^[\x21-\x7e]{1,%d}$" % MAX_KEY_LENGTH)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: str


def check_key(raw: str) -> str:
    """The key as sent, or a DomainError (IDEMPOTENCY_KEY_INVALID) saying what is wrong."""
    if not _KEY.match(raw):
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        raise DomainError(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} visible ASCII characters without spaces (a UUID is a good "
            f"choice), got {shown!r}", field=HEADER, code="IDEMPOTENCY_KEY_INVALID")
    return raw


def caller_of(authorization: str | None) -> str:
    """Who a key belongs to, without keeping the credential: its hash."""
    if not authorization:
        return "anonymous"
    return hashlib.sha256(authorization.encode()).hexdigest()


def request_hash(query: object, variables: object, operation_name: object) -> str:
    canonical = json.dumps([query, variables or {}, operation_name], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cutoff():
    return clock.now() - timedelta(hours=KEEP_HOURS)


async def first_answer(caller: str, key: str, digest: str) -> Answer | None:
    """The kept answer for this key, None if there is none (or it expired), or a DomainError
    (IDEMPOTENCY_KEY_REUSED) when the key came with another request."""
    row = await IdempotencyKey.get_or_none(caller=caller, key=key, created_at__gte=_cutoff())
    if row is None:
        return None
    if row.request_hash != digest:
        raise DomainError(
            f"this {HEADER} was used for a different request in the last {KEEP_HOURS} hours; send a new key "
            "for a new request, and the same request (query, variables, operation name) to retry",
            field=HEADER, code="IDEMPOTENCY_KEY_REUSED")
    return Answer(row.status, row.content_type, row.response)


async def claim(caller: str, key: str, digest: str) -> IdempotencyKey:
    """Inside the mutation's transaction, before it runs: take the key. A concurrent request
    with the same key waits here for the first to finish (PostgreSQL's unique index; SQLite's
    write lock) and then fails with IntegrityError; its caller reads the first answer."""
    await IdempotencyKey.filter(caller=caller, key=key, created_at__lt=_cutoff()).delete()  # expired: free again
    return await IdempotencyKey.create(caller=caller, key=key, request_hash=digest, status=0, content_type="",
                                       response="")


async def keep(row: IdempotencyKey, answer: Answer) -> None:
    """Still inside the transaction: the answer, committed with the writes."""
    row.status, row.content_type, row.response = answer.status, answer.content_type, answer.body
    await row.save(update_fields=["status", "content_type", "response"])


async def forget_expired() -> int:
    """Delete keys past KEEP_HOURS (the daily maintenance calls it)."""
    return await IdempotencyKey.filter(created_at__lt=_cutoff()).delete()
