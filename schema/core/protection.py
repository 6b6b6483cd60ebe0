"""Limits and error masking, built once at import: a per-request limiter would make the
validation cache miss on every request."""

from functools import partial

from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.relay.types import GlobalIDValueError

from api.domain.errors import DomainError

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000

USER_FACING = (DomainError, GlobalIDValueError)


def should_mask(error: GraphQLError) -> bool:
    """Hide internals; keep validation, syntax and domain errors readable."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not isinstance(original, USER_FACING)


# The limiters' rule classes are made once here; passing them through AddValidationRules keeps
# the validation cache key identical from one request to the next.
VALIDATION_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]

EXTENSIONS = [
    partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    partial(ParserCache, maxsize=1000),
    partial(AddValidationRules, VALIDATION_RULES),
    partial(ValidationCache, maxsize=1000),
    partial(MaskErrors, should_mask_error=should_mask, error_message="Internal error; it has been logged."),
]
