"""One way to answer 422 for a value our own checks refuse, shaped like FastAPI's own.

Pydantic rejects malformed input before a route runs; what only the route can
judge (an unknown monitor name, an end before a start) goes through
:func:`field_error`, so clients parse one error format whatever caught it.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.exceptions import RequestValidationError


def field_error(
    place: Literal["body", "query", "path"], field: str, message: str, value: Any
) -> RequestValidationError:
    """A 422 naming ``field`` in ``place`` (raise it)."""
    error = {"type": "value_error", "loc": (place, field), "msg": message, "input": value}
    return RequestValidationError([error])
