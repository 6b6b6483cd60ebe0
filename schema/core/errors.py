"""Every error in a GraphQL answer carries a stable ``extensions.code`` (docs/graphql.md lists them).

One place decides the code (every result passes it, after MaskErrors has hidden faults):

- a broken rule or a bad value (DomainError, from a resolver or a scalar such as Date) keeps its
  own code (BAD_ID, BAD_CURSOR, OUT_OF_RANGE, TOO_LONG, NO_OFFSET ...), and ``argument`` names the
  argument it came in, also when it came through a variable (then ``variable`` names that too);
- a document that does not parse: GRAPHQL_PARSE_FAILED; one that does not validate against the
  schema: GRAPHQL_VALIDATION_FAILED; variables that do not fit their types: BAD_USER_INPUT;
- the database unavailable (api/domain/availability.py: down, restarting, frozen past the
  timeouts): SERVICE_UNAVAILABLE, and the HTTP view answers 503 with Retry-After;
- a fault (masked as "Internal error"): INTERNAL_SERVER_ERROR. A code set where the error was
  raised (UNAUTHENTICATED, the limits' codes) is kept.

The document is walked only for an error that has to name its argument: a request without
errors costs nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import ArgumentNode, DocumentNode, GraphQLError, Node, ValueNode, VariableDefinitionNode, VariableNode
from strawberry.relay.types import GlobalIDValueError
from strawberry.types.execution import PreExecutionError

from api.domain import availability
from api.domain.errors import DomainError

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL_SERVER_ERROR"


def root_cause(error: BaseException) -> BaseException:
    """graphql-core wraps a scalar's error in one GraphQLError per level (value, then variable)."""
    seen = 0
    while isinstance(error, GraphQLError) and error.original_error is not None and seen < 10:
        error, seen = error.original_error, seen + 1
    return error


def _children(node: Node) -> Iterator[Node]:
    for key in node.keys:
        value = getattr(node, key, None)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, Node))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def argument_of(document: DocumentNode | None, node: Node) -> str | None:
    """The argument a bad value (a literal, or a variable by its definition) was passed to."""
    if document is None or not isinstance(node, (ValueNode, VariableDefinitionNode)):
        # An error about an operation or a field (a limit, a cost) names no argument: do not
        # walk the document for it (a refused 60-level fragment chain would cost ~10 ms more).
        return None
    variable = node.variable.name.value if isinstance(node, VariableDefinitionNode) else None
    for candidate in _walk(document):
        if not isinstance(candidate, ArgumentNode):
            continue
        for inner in _walk(candidate.value):
            if inner is node or (variable and isinstance(inner, VariableNode) and inner.name.value == variable):
                return candidate.name.value
    return None


MASKED = "Internal error; it has been logged."


def _code(error: GraphQLError, cause: BaseException, document: DocumentNode | None, executed: bool) -> str:
    if isinstance(cause, DomainError):
        return cause.code
    if isinstance(cause, GlobalIDValueError):
        return "BAD_ID"
    if isinstance(cause, RecursionError) and error.path is None:
        return BAD_USER_INPUT  # variables nested too deeply for graphql-core to coerce
    if not isinstance(cause, GraphQLError):
        # any other exception is a fault, whatever the phase, unless the database is away
        return availability.CODE if availability.is_unavailable(cause) else INTERNAL
    if document is None:
        return PARSE_FAILED
    if not executed:
        return VALIDATION_FAILED
    if error.path is None:  # raised before any field ran: the variables or the operation name
        return BAD_USER_INPUT
    return INTERNAL


def shape(error: GraphQLError, document: DocumentNode | None, executed: bool) -> GraphQLError:
    extensions = dict(error.extensions or {})
    cause = root_cause(error)
    if "code" not in extensions:
        extensions["code"] = _code(error, cause, document, executed)
    code = extensions["code"]
    if code == INTERNAL:
        error.message = MASKED  # MaskErrors has done it already, unless the fault escaped the operation
    elif code == availability.CODE:
        error.message = availability.MESSAGE
        extensions["retryAfterSeconds"] = availability.RETRY_AFTER_SECONDS
    elif code not in (PARSE_FAILED, VALIDATION_FAILED) and "argument" not in extensions:
        if isinstance(cause, DomainError) and cause.field:
            extensions["argument"] = cause.field
        elif error.nodes and (name := argument_of(document, error.nodes[0])):
            extensions["argument"] = name
        if error.nodes and isinstance(error.nodes[0], VariableDefinitionNode):
            extensions["variable"] = error.nodes[0].variable.name.value
    if isinstance(cause, RecursionError) and error.path is None:
        error.message = "the input is nested too deeply"
    error.extensions = extensions
    return error


class CodedErrorsSchema(strawberry.Schema):
    """strawberry's Schema, shaping errors where every result passes, whichever way it was made
    (a fault can escape the operation's extensions, e.g. a syntax error raised by ParserCache)."""

    async def _handle_execution_result(self, context: Any, result: Any, extensions_runner: Any, **kwargs: Any) -> Any:
        if getattr(result, "errors", None):
            executed = not isinstance(result, PreExecutionError)
            result.errors = [shape(e, context.graphql_document, executed) for e in result.errors]
        return await super()._handle_execution_result(context, result, extensions_runner, **kwargs)
