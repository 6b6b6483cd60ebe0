"""How GraphQL errors reach the log: a fault with its traceback, a client's mistake in one line.

strawberry logs every error with its traceback (`Schema.process_errors`); a bad id from a
client then costs kilobytes of log, and a megabyte-long id is echoed whole. Client errors
(syntax, validation, limits, domain rules) are the client's business: one line at INFO, the
message cut to MAX_LOGGED_CHARS. Only faults (what MaskErrors hides) keep the traceback.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from api.domain import availability
from schema.core.errors import CodedErrorsSchema, root_cause
from schema.core.protection import should_mask

log = logging.getLogger("wenming.graphql")
MAX_LOGGED_CHARS = 200


def shorten(text: object, limit: int = MAX_LOGGED_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


class LoggingSchema(CodedErrorsSchema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if should_mask(error):
                StrawberryLogger.error(error, execution_context)
                continue
            code = (error.extensions or {}).get("code") or getattr(error.original_error, "code", None) or "-"
            path = ".".join(str(p) for p in error.path or ()) or "-"
            cause = root_cause(error)
            if code == availability.CODE or availability.is_unavailable(cause):  # an outage, not a bug
                log.warning("database unavailable at %s: %s: %s", shorten(path, 80), type(cause).__name__,
                            shorten(cause))
                continue
            log.info("client error %s at %s: %s", shorten(code, 40), shorten(path, 80), shorten(error.message))
