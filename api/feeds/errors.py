"""What a feed request can get wrong, and the JSON body that says so."""

from __future__ import annotations

import json

from starlette.responses import Response


class FeedError(Exception):
    """A 4xx answer: ``parameter`` names the path or query parameter that is wrong."""

    def __init__(self, status: int, code: str, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter

    def response(self) -> Response:
        body = {"error": {"code": self.code, "parameter": self.parameter, "message": self.message}}
        return Response(
            json.dumps(body, ensure_ascii=False),
            status_code=self.status,
            media_type="application/json; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )


def bad_parameter(parameter: str, message: str, code: str = "BAD_PARAMETER") -> FeedError:
    return FeedError(400, code, message, parameter=parameter)


def not_found(parameter: str, message: str) -> FeedError:
    return FeedError(404, "NOT_FOUND", message, parameter=parameter)
