"""Limits and error masking, built once at import: a per-request limiter would make the
validation cache miss on every request.

What a document may be (depth, aliases, expanded size) is measured in time linear in the text
(schema/core/document_shape.py), before graphql-core's own rules: those walk every fragment
with the schema's types (a 60-level fragment chain costs them about five times the measure),
and a document over a limit is refused without them; what it may cost with its variables
(schema/core/query_cost.py) is checked per request just after validation; how long a query may run
is a deadline the HTTP view holds (schema/http.py). Every refusal carries extensions.code.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache, partial

from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.relay.types import GlobalIDValueError
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from api.domain import availability
from api.domain.errors import DomainError
from schema.core import query_cost
from schema.core.document_shape import refusals, shape_rule
from schema.core.replica_reads import ReplicaReads

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
MAX_FIELDS = 1000  # fields once every fragment spread is expanded

USER_FACING = (DomainError, GlobalIDValueError)


def should_mask(error: GraphQLError) -> bool:
    """Hide internals; keep validation, syntax and domain errors readable. An unavailable
    database is not masked here: schema/core/errors.py gives it its own code and message."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not isinstance(original, USER_FACING) and not availability.is_unavailable(original)


# The rule class is made once here; passing it through AddValidationRules keeps the
# validation cache key identical from one request to the next.
VALIDATION_RULES = [shape_rule(max_depth=MAX_DEPTH, max_aliases=MAX_ALIASES, max_fields=MAX_FIELDS)]


@lru_cache(maxsize=1000)
def _validated(schema, document, rules) -> list[GraphQLError]:
    """The document's shape first (linear), then graphql-core's rules; cached by document, as
    strawberry's ValidationCache caches validation alone."""
    return refusals(document, max_depth=MAX_DEPTH, max_aliases=MAX_ALIASES, max_fields=MAX_FIELDS) or (
        validate_document(schema, document, rules))


class ShapeFirstValidation(SchemaExtension):
    """ValidationCache, with a document over a shape limit refused before the full validation."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validated(context.schema._schema, context.graphql_document,
                                                  context.validation_rules)
        yield


class CostLimiter(SchemaExtension):
    """Refuses, before execution, a valid operation that would cost more than MAX_COST or that
    carries a list over MAX_LIST_ITEMS. Must come after ShapeFirstValidation in EXTENSIONS: it
    reads the validation result that ShapeFirstValidation sets, and adds its refusal to it."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors == [] and document is not None:
            operation = _operation(document, context.operation_name)
            if operation is not None:
                fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
                settings = getattr(context.context, "settings", None)
                max_cost = getattr(settings, "max_query_cost", query_cost.MAX_COST)
                refusal = query_cost.check(context.schema._schema, operation, fragments, context.variables, max_cost)
                if refusal is not None:
                    context.pre_execution_errors = [refusal]  # a new list: the cached one is shared
        yield


class QueryDeadline(SchemaExtension):
    """Starts the HTTP view's deadline (schema/http.py) when a query starts executing. Only
    queries: a mutation cut short after its commit would leave the client unsure it happened."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        deadline = getattr(getattr(request, "state", None), "graphql_deadline", None)
        if deadline is not None and context.operation_type == OperationType.QUERY:
            deadline.start()
        yield


def _operation(document, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


EXTENSIONS = [
    partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    partial(ParserCache, maxsize=1000),
    partial(AddValidationRules, VALIDATION_RULES),
    ShapeFirstValidation,
    CostLimiter,
    QueryDeadline,
    ReplicaReads,
    partial(MaskErrors, should_mask_error=should_mask, error_message="Internal error; it has been logged."),
]
