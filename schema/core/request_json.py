"""Reading the JSON a client sends (a POST body, GET variables, a WebSocket message): every way
it can be broken is a clear 400, never a 500.

- bytes that are not UTF-8, text that is not JSON, JSON nested past the parser's stack;
- a lone UTF-16 surrogate (``"\\ud800"``): JSON may escape one, but it is not Unicode text, and
  PostgreSQL (UTF-8) would refuse it at the first write or comparison. Checked here, once, for
  every string a request carries, names included; the scan of the parsed value runs only when
  the raw text holds such an escape at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

BAD_REQUEST = "BAD_REQUEST"
INVALID_UNICODE = "INVALID_UNICODE"

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadJSON(json.JSONDecodeError):
    """A JSONDecodeError (strawberry's WebSocket handler closes with 4400 on one), saying what."""

    def __init__(self, message: str, code: str = BAD_REQUEST, where: str | None = None) -> None:
        super().__init__(message, "", 0)
        self.message, self.code, self.where = message, code, where

    def __str__(self) -> str:
        return self.message


def _lone_surrogate_at(value: Any, where: str) -> str | None:
    """The path of the first string (or key) holding a lone surrogate, depth first."""
    stack = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, inner in item.items():
                if _SURROGATE.search(key):
                    return path
                stack.append((inner, f"{path}.{key}" if path else key))
        elif isinstance(item, list):
            stack.extend((inner, f"{path}[{i}]") for i, inner in enumerate(item))
    return None


def loads(data: str | bytes, what: str = "the request body") -> Any:
    """Parsed JSON, or BadJSON naming the problem."""
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadJSON(f"{what} is not valid UTF-8 (byte {exc.start})") from None
    else:
        text = data
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadJSON(f"{what} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or a number too long to convert
        raise BadJSON(f"{what} is not valid JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(text) and (path := _lone_surrogate_at(value, "")) is not None:
        place = f" at {path}" if path else ""
        raise BadJSON(
            f"{what} holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape){place}; "
            "send valid Unicode text",
            INVALID_UNICODE,
            path or None,
        )
    return value
