"""GraphQL over HTTP and WebSocket (strawberry's ASGI view, with Wenming's conventions)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from graphql import ExecutionResult
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from cross_web import HTTPException
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

import api.db.replica as replica
from api.domain import availability
from api.settings import Settings
from api.shared_cache import shared_cache
from schema.core import idempotency, request_json
from schema.core.context import Context, build_context
from schema.core.persisted import PersistedDocuments
from schema.schema import schema

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def wants_graphql_response_json(request: Request) -> bool:
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


def response_media_type(request: Request) -> str:
    return f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8" if wants_graphql_response_json(request) else "application/json"


BAD_REQUEST = request_json.BAD_REQUEST


class RequestError(HTTPException):
    """A request refused before GraphQL sees it; ``code`` goes to extensions.code."""

    def __init__(self, status: int, reason: str, code: str, where: str | None = None) -> None:
        super().__init__(status, reason)
        self.code, self.where = code, where


def error_response(request: Request, status: int, message: str, code: str, *,
                   headers: dict[str, str] | None = None, **extensions: str) -> Response:
    """A GraphQL-shaped error without data (nothing was executed), in the media type asked for."""
    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    media_type=response_media_type(request), headers=headers)


def unavailable_response(request: Request) -> Response:
    """503 + Retry-After with the code SERVICE_UNAVAILABLE: nothing ran (api/domain/availability.py)."""
    return error_response(request, 503, availability.MESSAGE, availability.CODE,
                          headers=availability.retry_headers(), retryAfterSeconds=availability.RETRY_AFTER_SECONDS)


def _mark_unavailable(request: Request, response: Response) -> None:
    """A field failed because the database is away: 503 + Retry-After, the body as executed.
    Unless a write of this request committed first: then 200, so the client does not take
    a done write for a failed one (the error still says what could not be read)."""
    if not getattr(request.state, "graphql_unavailable", False) or response.status_code != 200:
        return
    response.headers.update(availability.retry_headers())
    if not getattr(request.state, "writes_committed", 0):
        response.status_code = 503


class Deadline:
    """The execution time limit of one request: started only when a query executes."""

    def __init__(self, timeout: asyncio.Timeout, seconds: float) -> None:
        self.timeout, self.seconds = timeout, seconds

    def start(self) -> None:
        self.timeout.reschedule(asyncio.get_running_loop().time() + self.seconds)


class GraphQLApp(GraphQL):
    """GET and POST for queries (never mutations over GET), no batching, readable Chinese,
    the GraphQL-over-HTTP media type with its status codes when the client asks for it, and
    trusted documents by id over GET, cached with ETags (schema/core/persisted.py)."""

    def __init__(self, settings: Settings, ide_page: str | None = None) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.allowed_origins,
            # uploadImage takes a file (GraphQL multipart request spec). Tokens travel in the
            # Authorization header, never in cookies, so a cross-site form cannot forge one.
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.ide_page = ide_page  # GraphiQL's HTML (api/web)
        self.bus: Any = None  # the app's change bus, set by create_app
        self.import_jobs: Any = None  # the app's background imports (api.sheets.jobs), set by create_app
        self.documents = PersistedDocuments(schema, response_media_type, shared=shared_cache(settings, "documents"))
        self.idempotency = idempotency.Idempotency(response_media_type, unavailable_response)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads its assets from a CDN; the app passes one that does not.
        return HTMLResponse(self.ide_page) if self.ide_page else await super().render_graphql_ide(request)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return await build_context(self.settings, request, response, bus=self.bus, import_jobs=self.import_jobs)

    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        # Bodies, GET variables and WebSocket messages alike (schema/core/request_json.py).
        return request_json.loads(data)

    def parse_json(self, data: str | bytes) -> object:
        try:
            return self.decode_json(data)
        except request_json.BadJSON as exc:
            raise RequestError(400, exc.message, exc.code, exc.where) from None

    async def parse_http_body(self, request: Any) -> Any:
        """strawberry's parsing, with every refusal a JSON error that has a code."""
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type == "multipart/form-data":  # a file upload: operations, map and the files
                return await self._parse_upload(request)
            if "application/json" not in content_type:
                raise RequestError(415, "send the request as application/json (or use GET; multipart/form-data "
                                   "for uploadImage)", BAD_REQUEST)
            body = await request.get_body()
            if not body.lstrip()[:1] == b"{":
                raise RequestError(400, "the body must be a JSON object: {\"query\": ..., \"variables\": {...}}",
                                   BAD_REQUEST)
        try:
            return await super().parse_http_body(request)
        except RequestError:
            raise
        except HTTPException as exc:
            raise RequestError(exc.status_code, exc.reason, BAD_REQUEST) from None

    async def _parse_upload(self, request: Any) -> Any:
        try:
            return await super().parse_http_body(request)
        except RequestError:
            raise
        except HTTPException as exc:
            raise RequestError(exc.status_code, exc.reason, BAD_REQUEST) from None
        except Exception as exc:  # a malformed multipart body (the parser's own errors)
            raise RequestError(400, f"the multipart body could not be read ({type(exc).__name__})", BAD_REQUEST) from None

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        # Errors before execution (syntax, validation, variables) have no path; errors of
        # fields have one, even when a non-null root field nulls the whole answer.
        executed = result.data is not None or any(e.path for e in result.errors or ())
        # Remembered for run(): under graphql-response+json such a request answers 400.
        request.state.graphql_executed = executed
        # A persisted document's answer is cached only when it has no errors.
        request.state.graphql_errors = bool(result.errors)
        # The database was unavailable for some field (schema/core/errors.py coded it): run() answers 503.
        request.state.graphql_unavailable = any(
            (e.extensions or {}).get("code") == availability.CODE for e in result.errors or ())
        response = await super().process_result(request, result)
        if not executed:
            response.pop("data", None)  # GraphQL over HTTP: no data entry when execution never began
        return response

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        if isinstance(request, Request) and context is None and PersistedDocuments.wanted(request):
            return await self.documents.respond(request, self._run_graphql)
        if isinstance(request, Request) and context is None and idempotency.wanted(request):
            return await self.idempotency.respond(request, self._run_graphql, self._announce)
        if isinstance(request, Request) and context is None and "authorization" not in request.headers:
            return await self._run_anonymous(request)
        return await self._run_graphql(request, context)

    async def _run_anonymous(self, request: Request) -> Any:
        """While the primary is unreachable, a query that may be stale (schema/core/replica_reads.py
        says which) is answered from the read replica, marked stale (api/db/replica.py); a
        mutation is never run twice: it answers the outage error."""

        def unavailable(response: Any) -> bool:
            return (isinstance(response, Response) and response.status_code == 503
                    and getattr(request.state, "stale_reads_ok", False))

        response, stood_in = await replica.stand_in_when_primary_down(lambda: self._run_graphql(request), unavailable)
        # Only an answer read on the replica is stale: a mutation or a read by a private token ran
        # on the primary (schema/core/replica_reads.py), which answered if it got this far.
        read_there = stood_in and getattr(request.state, "stale_reads_ok", False)
        if read_there and isinstance(response, Response) and response.status_code == 200:
            response.headers.update(availability.STALE_HEADERS)
        return response

    async def _announce(self, occurrence_changes: list) -> None:
        if self.bus is not None and occurrence_changes:
            from api.live.occurrences import announce

            await announce(self.bus, occurrence_changes)

    async def _run_graphql(self, request: Any, context: Any = None) -> Any:
        kwargs = {} if context is None else {"context": context}
        try:
            async with asyncio.timeout(None) as timeout:
                # Armed by protection.QueryDeadline once a query starts executing.
                request.state.graphql_deadline = Deadline(timeout, self.settings.query_timeout_seconds)
                response = await super().run(request, **kwargs)
        except TimeoutError:
            if not timeout.expired():  # not the query's deadline: the database's (api/db timeouts)
                return unavailable_response(request)
            seconds = self.settings.query_timeout_seconds
            body = {"data": None, "errors": [{
                "message": f"The query ran longer than {seconds:g} s and was stopped; ask for less (smaller pages, "
                "a shorter window) or split it",
                "extensions": {"code": "TIMEOUT", "limitSeconds": seconds},
            }]}
            return Response(self.encode_json(body), status_code=200, media_type=response_media_type(request))
        except HTTPException as exc:
            if exc.status_code == 400 and "not allowed when using GET" in exc.reason:
                # GraphQL over HTTP: a mutation over GET is 405, with POST as the way.
                return error_response(request, 405, exc.reason, "METHOD_NOT_ALLOWED", headers={"Allow": "POST"})
            if exc.status_code == 401:  # a bad token (schema/core/context.py): say why, the GraphQL way
                return error_response(request, exc.status_code, exc.reason, "UNAUTHENTICATED",
                                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            if isinstance(exc, RequestError):
                extensions = {"field": exc.where} if exc.where else {}
                return error_response(request, exc.status_code, exc.reason, exc.code, **extensions)
            return error_response(request, exc.status_code, exc.reason, BAD_REQUEST)
        except Exception as exc:  # e.g. reading the caller's token, before any field ran
            if not availability.is_unavailable(exc):
                raise
            return unavailable_response(request)
        if isinstance(request, Request) and isinstance(response, Response):
            _mark_unavailable(request, response)
        if isinstance(request, Request) and isinstance(response, Response) and wants_graphql_response_json(request):
            if response.media_type == "application/json" or response.headers.get("content-type", "").startswith("application/json"):
                response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
                if response.status_code == 200 and not getattr(request.state, "graphql_executed", True):
                    response.status_code = 400
        return response
