"""Trusted documents (persisted queries): a screen asks for a document by id over GET, and
the server answers from a cache, with an ETag and a real 304.

    GET /graphql?documentId=board&variables={"site":"U2l0ZTox"}

- The documents live in the repo, ``schema/documents/<id>.graphql`` (id = file stem), are
  checked against the schema at start-up and listed in docs/screens.md. Strawberry 0.341 has
  no persisted-query support of its own (``GraphQLRequestData.query`` may be None, nothing
  more), so the document's text is put in the request and strawberry's own GET path runs it:
  same validation, errors and media types as ``GET /graphql?query=...``.
- The cache key is (document id, variables); an entry is served while
  1. no change since it was computed touched what it depends on. Resolvers that know report
     it with ``answer_depends_on`` (the board: its site or subtree, the events it lists and
     the rows their lines show); an answer whose resolvers report nothing (statistics)
     depends on everything. A ``ChangeTracker`` (api/domain/freshness.py) learns what
     changed from one watermark statement, read at most once a second per process
     (``watermark_ttl``), and, when it moved, the changed rows: so polling screens cost one
     statement a second, a write shows within that second, and a write in another township
     leaves this board in the cache; and
  2. the clock has not reached the time its answer changes by itself: resolvers whose answer
     moves with time (the board at the next start, end or midnight; statistics when the next
     occurrence ends) report it with ``answer_changes_at``. That time is the key's time
     component, exact rather than a minute bucket, so an unchanged board stays one entry
     for hours and is recomputed at the very moment it changes.
- The ETag hashes the body, so it is the same in every worker process and does not move when
  a write forced a recomputation that gave the same answer (the kiosk gets a 304).
- Anonymous requests only: with an Authorization header the document runs fresh and the
  answer is ``private, no-store`` (what a token may see is never put in the shared cache).
- While the database is unavailable, an answer in the cache is served as it is, marked
  ``X-Wenming-Stale: database-unavailable`` and ``Cache-Control: no-cache``; without one the
  request answers 503 (schema/http.py). With a read replica that answers while the primary is
  unreachable, the document runs there first (api/db/replica.py), marked the same way.
- Arbitrary documents are still served over POST (and GET ?query=), uncached as before.
- With Redis (``WENMING_REDIS_URL``) answers are shared by the workers (api/shared_cache.py):
  a worker that has no fresh answer first looks for one computed by another at the same
  freshness watermark (api/domain/freshness.py: equal watermarks mean no data changed), so
  N workers run a document once per change, not N times. The watermark costs one statement,
  on a local miss only. Entries are pickled: Redis is the deployment's own, never a client's.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import pickle
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from graphql import OperationDefinitionNode, OperationType, parse, validate
from starlette.requests import Request
from cross_web import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from api.domain import availability, clock, compression
import api.db.replica as replica
from api.domain.freshness import ChangeTracker, Dependencies, reads_no_older_than, watermark
from api.shared_cache import SharedCache, digest
from schema.core import request_json

DOCUMENTS_DIR = Path(__file__).parents[1] / "documents"
DOCUMENT_ID = "documentId"
# How long a screen or a proxy may reuse an answer without asking (never past the time the
# answer changes by itself); after that it revalidates with If-None-Match and gets a 304.
MAX_AGE_SECONDS = 10
CACHE_BYTES = 32 * 1024 * 1024
WATERMARK_TTL_SECONDS = 1.0
CHANGES_AT = "answer_changes_at"  # the request.state attribute resolvers lower
DEPENDS = "answer_depends_on"  # the request.state attribute resolvers widen

def answer_changes_at(info: Any, when: datetime) -> None:
    """Called by a resolver whose answer changes with time alone: ``when`` it next does.

    Kept on the request (its state lives as long as the request), the earliest wins.
    """
    request = getattr(info.context, "request", None)
    state = getattr(request, "state", None)
    if state is None:
        return
    current = getattr(state, CHANGES_AT, None)
    if current is None or when < current:
        setattr(state, CHANGES_AT, when)


def answer_depends_on(info: Any, deps: Dependencies) -> None:
    """Called by a resolver that knows what its part of the answer depends on (it must cover
    everything that part shows). Without any such report an answer depends on everything."""
    state = getattr(getattr(info.context, "request", None), "state", None)
    if state is None:
        return
    current = getattr(state, DEPENDS, None)
    setattr(state, DEPENDS, deps if current is None else current | deps)


class DocumentError(Exception):
    """A request for a document that cannot be served; answered as a GraphQL-shaped 4xx."""

    def __init__(self, status: int, message: str, code: str, field: str) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field

    def response(self) -> Response:
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code, "field": self.field}}]}
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store"})


def load_documents(schema: Any, directory: Path = DOCUMENTS_DIR) -> dict[str, str]:
    """Every ``<id>.graphql`` of the directory, each checked to be one valid query."""
    documents = {}
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        ast = parse(text)
        operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
            raise ValueError(f"{path}: a trusted document holds exactly one query")
        if errors := validate(schema._schema, ast):
            raise ValueError(f"{path} does not validate against the schema: {errors[0].message}")
        documents[path.stem] = text
    return documents


@dataclass
class Answer:
    checked: int  # the change tracker's generation it is known fresh at
    deps: Dependencies
    changes_at: datetime | None
    body: bytes
    etag: str
    gzipped: bytes | None = None  # compressed once, when computed (None: too small to bother)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class AnswerCache:
    """LRU of answers by (document id, variables), bounded by their total size in bytes."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[tuple[str, str], Answer] = OrderedDict()

    def get(self, key: tuple[str, str]) -> Answer | None:
        answer = self._items.get(key)
        if answer is not None:
            self._items.move_to_end(key)
        return answer

    def put(self, key: tuple[str, str], answer: Answer) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        if answer.size > self.max_bytes:
            return
        self._items[key] = answer
        self.bytes += answer.size
        while self.bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.bytes -= evicted.size

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0


Execute = Callable[[Request], Awaitable[Response]]
MediaType = Callable[[Request], str]


class PersistedDocuments:
    """Answers ``GET /graphql?documentId=...`` (see the module docstring)."""

    def __init__(self, schema: Any, media_type: MediaType, directory: Path = DOCUMENTS_DIR,
                 shared: SharedCache | None = None) -> None:
        self.documents = load_documents(schema, directory)
        self.shared = shared
        self.media_type = media_type  # per request: the same body under the type each client asks for
        self.cache = AnswerCache()
        self._inflight: dict[tuple[str, str], asyncio.Future[Answer | Response]] = {}
        self.executions = 0  # documents actually run (cache misses), for tests and the benchmark
        # The watermark is read at most once per this many seconds: a thousand screens polling
        # cost one statement a second, and a write shows within that second (Cache-Control
        # already lets a screen keep an answer MAX_AGE_SECONDS). 0: read it on every request.
        self.watermark_ttl = WATERMARK_TTL_SECONDS
        self.monotonic = time.monotonic
        self.tracker = ChangeTracker()
        self._synced: float | None = None

    @staticmethod
    def wanted(request: Request) -> bool:
        return request.method == "GET" and DOCUMENT_ID in request.query_params

    async def respond(self, request: Request, execute: Execute) -> Response:
        try:
            doc_id, variables = self._parse(request)
        except DocumentError as exc:
            return exc.response()
        if "authorization" in request.headers:
            try:
                with replica.primary():  # a token holder reads their own writes
                    response = await self._run(request, execute, doc_id, variables)
            except HTTPException as exc:  # a refused credential (401)
                response = PlainTextResponse(exc.reason, status_code=exc.status_code)
            response.headers["Cache-Control"] = "private, no-store"
            return response
        key = (doc_id, variables)
        now = clock.now()
        answer = self.cache.get(key)  # what the outage fallback serves
        stale = False
        try:
            # While the primary is unreachable, the read replica answers (api/db/replica.py).
            result, stale = await replica.stand_in_when_primary_down(
                lambda: self._answer(request, execute, key, now),
                failed=lambda r: isinstance(r, Response) and r.status_code == 503)
            if isinstance(result, Response):  # errors: answered as they are, never cached
                if result.status_code != 503 or answer is None:
                    result.headers["Cache-Control"] = "no-store"
                    return result
                stale = True  # the database is away: the last answer is better than none
            else:
                answer = result
        except Exception as exc:
            if answer is None or not availability.is_unavailable(exc):
                raise
            stale = True
        gzipped = answer.gzipped is not None and compression.accepts_gzip(request.headers.get("accept-encoding"))
        headers = self._headers(answer, now)
        if stale:
            # Served from cache or from the replica while the database is unavailable: it may be
            # behind. The screen keeps showing something; it must ask again rather than keep this.
            headers.update(availability.STALE_HEADERS)
        if gzipped:
            headers["ETag"] = compression.gzip_etag(answer.etag)
        if compression.etag_matches(request.headers.get("if-none-match"), answer.etag):
            return Response(status_code=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
            return Response(answer.gzipped, media_type=self.media_type(request), headers=headers)
        return Response(answer.body, media_type=self.media_type(request), headers=headers)

    async def _answer(self, request: Request, execute: Execute, key: tuple[str, str], now: datetime) -> Answer | Response:
        """The cached answer while no change touched it and its time has not come, else a new one."""
        tracker = self.tracker
        answer = self.cache.get(key)
        await self._sync()
        if (answer is not None and tracker.unchanged(answer.deps, answer.checked)
                and (answer.changes_at is None or now < answer.changes_at)):
            answer.checked = tracker.generation
            return answer
        since = tracker.generation
        shared = self.shared if not replica.standing_in() else None  # keyed by the primary's watermark
        mark = await watermark() if shared else tracker.mark
        shared_key = digest("answer", key, mark) if shared else None
        result = await self._from_shared(shared_key, key, now, since)
        if result is None:
            # From the read replica when it holds what the primary held at `mark`.
            with replica.stale_reads_allowed():
                async with reads_no_older_than(mark):
                    result = await self._compute(request, execute, key, since, shared_key)
        return result

    async def _sync(self) -> None:
        at = self.monotonic()
        if self._synced is None or at - self._synced >= self.watermark_ttl:
            await self.tracker.sync()
            self._synced = at

    def _parse(self, request: Request) -> tuple[str, str]:
        params = request.query_params
        doc_id = params[DOCUMENT_ID]
        if doc_id not in self.documents:
            known = ", ".join(sorted(self.documents)) or "none"
            raise DocumentError(404, f"documentId {doc_id!r} is not a trusted document; known: {known}",
                                "UNKNOWN_DOCUMENT", DOCUMENT_ID)
        if "query" in params:
            raise DocumentError(400, "send documentId or query, not both", "DOCUMENT_AND_QUERY", "query")
        raw = params.get("variables") or "{}"
        try:
            variables = request_json.loads(raw, "variables")
        except request_json.BadJSON as exc:
            code = exc.code if exc.code == request_json.INVALID_UNICODE else "BAD_VARIABLES"
            raise DocumentError(400, exc.message, code, "variables") from None
        if not isinstance(variables, dict):
            raise DocumentError(400, "variables must be a JSON object", "BAD_VARIABLES", "variables")
        # Canonical text: the same variables in another order or spacing share one entry.
        return doc_id, json.dumps(variables, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    async def _from_shared(self, shared_key: str | None, key: tuple[str, str], now: datetime, since: int) -> Answer | None:
        """Another worker's answer at the same watermark, unless its time to change has come."""
        raw = await self.shared.get(shared_key) if self.shared and shared_key else None
        if raw is None:
            return None
        deps, changes_at, body, etag, packed = pickle.loads(raw)
        if changes_at is not None and now >= changes_at:
            return None
        answer = Answer(since, deps, changes_at, body, etag, packed)
        self.cache.put(key, answer)
        return answer

    async def _compute(self, request: Request, execute: Execute, key: tuple[str, str], since: int,
                       shared_key: str | None = None) -> Answer | Response:
        """Run the document once however many identical requests arrive meanwhile."""
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Answer | Response] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            request_state: dict[str, Any] = {}
            response = await self._run(request, execute, *key, state=request_state)
            body = bytes(response.body)
            if response.status_code != 200 or request_state.get("graphql_errors", True):
                result: Answer | Response = response
            else:
                etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
                packed = compression.compress(body) if compression.worth_compressing(body) else None
                deps = request_state.get(DEPENDS) or Dependencies.unknown()
                result = Answer(since, deps, request_state.get(CHANGES_AT), body, etag, packed)
                self.cache.put(key, result)
                if self.shared and shared_key:
                    await self.shared.put(shared_key, pickle.dumps((deps, result.changes_at, body, etag, packed)))
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._inflight[key]

    async def _run(self, request: Request, execute: Execute, doc_id: str, variables: str,
                   state: dict[str, Any] | None = None) -> Response:
        """strawberry's own GET path, with the document's text as the query."""
        self.executions += 1
        scope = dict(request.scope)
        scope["query_string"] = urlencode({"query": self.documents[doc_id], "variables": variables}).encode()
        scope["state"] = state if state is not None else {}
        return await execute(Request(scope, request.receive))

    @staticmethod
    def _headers(answer: Answer, now: datetime) -> dict[str, str]:
        max_age = MAX_AGE_SECONDS
        if answer.changes_at is not None:
            max_age = max(0, min(max_age, int((answer.changes_at - now).total_seconds())))
        return {
            "ETag": answer.etag,
            "Cache-Control": f"public, max-age={max_age}",
            "Vary": "Accept, Accept-Encoding, Authorization",
        }
