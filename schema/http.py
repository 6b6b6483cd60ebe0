"""GraphQL over HTTP and WebSocket (strawberry's ASGI view, with Wenming's conventions)."""

from __future__ import annotations

import json
from typing import Any

from graphql import ExecutionResult
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from cross_web import HTTPException
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.settings import Settings
from schema.core.context import Context, build_context
from schema.core.persisted import PersistedDocuments
from schema.schema import schema

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def wants_graphql_response_json(request: Request) -> bool:
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


def response_media_type(request: Request) -> str:
    return f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8" if wants_graphql_response_json(request) else "application/json"


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
        )
        self.settings = settings
        self.ide_page = ide_page  # GraphiQL's HTML (api/web)
        self.bus: Any = None  # the app's change bus, set by create_app
        self.documents = PersistedDocuments(schema, response_media_type)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads its assets from a CDN; the app passes one that does not.
        return HTMLResponse(self.ide_page) if self.ide_page else await super().render_graphql_ide(request)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return await build_context(self.settings, request, response, bus=self.bus)

    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        # Remembered for run(): under graphql-response+json a request that never reached
        # execution (syntax or validation error) answers 400.
        request.state.graphql_executed = result.data is not None
        # A persisted document's answer is cached only when it has no errors.
        request.state.graphql_errors = bool(result.errors)
        return await super().process_result(request, result)

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        if isinstance(request, Request) and context is None and PersistedDocuments.wanted(request):
            return await self.documents.respond(request, self._run_graphql)
        return await self._run_graphql(request, context)

    async def _run_graphql(self, request: Any, context: Any = None) -> Any:
        kwargs = {} if context is None else {"context": context}
        try:
            response = await super().run(request, **kwargs)
        except HTTPException as exc:
            if exc.status_code == 400 and "not allowed when using GET" in exc.reason:
                # GraphQL over HTTP: a mutation over GET is 405, with POST as the way.
                return PlainTextResponse(exc.reason, status_code=405, headers={"Allow": "POST"})
            if exc.status_code == 401:  # a bad token (schema/core/context.py): say why, the GraphQL way
                body = {"errors": [{"message": exc.reason, "extensions": {"code": "UNAUTHENTICATED"}}]}
                return Response(
                    self.encode_json(body), status_code=401, media_type=response_media_type(request),
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            raise
        if isinstance(request, Request) and isinstance(response, Response) and wants_graphql_response_json(request):
            if response.media_type == "application/json" or response.headers.get("content-type", "").startswith("application/json"):
                response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
                if response.status_code == 200 and not getattr(request.state, "graphql_executed", True):
                    response.status_code = 400
        return response
