"""One line of the control protocol: parse a request, frame a reply.

Pure functions on bytes, so every hostile input can be tried without a socket.
A line that is not a usable request becomes a :class:`BadRequest` carrying the
error reply to send; nothing here raises on what a client sends.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from appliance.control.api import ErrorCode, Params

RequestId = str | int | None
"""What a reply echoes: a request's ``id`` when it is a string, an integer or null."""

_ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Request:
    """A well-formed request: a method name and its params object."""

    id: RequestId
    method: str
    params: Params


@dataclass(frozen=True, slots=True)
class BadRequest:
    """A line that is answered with an error and never reaches a handler."""

    id: RequestId
    code: ErrorCode
    message: str


class _NonFinite(ValueError):
    """NaN, Infinity or a number too large for a float: not JSON, and no setting takes it."""


def _reject_constant(name: str) -> Any:
    raise _NonFinite(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite("number too large")
    return value


def _depth_exceeds(value: object, limit: int) -> bool:
    """Whether objects and arrays nest deeper than ``limit``, without recursion."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_request(line: bytes, *, max_depth: int) -> Request | BadRequest:
    """Turn one line (without its newline) into a request or the error to answer."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return BadRequest(None, ErrorCode.PARSE_ERROR, "not UTF-8 text")
    if not text.strip():
        return BadRequest(None, ErrorCode.PARSE_ERROR, "empty line: expected a JSON request")
    try:
        message = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NonFinite as e:
        return BadRequest(None, ErrorCode.PARSE_ERROR, f"not JSON: {e}")
    except json.JSONDecodeError as e:
        return BadRequest(None, ErrorCode.PARSE_ERROR, f"not JSON: {e.msg} at column {e.colno}")
    except RecursionError:
        # The C scanner gives up on very deep nesting ("[" * 5000) this way.
        return BadRequest(None, ErrorCode.PARSE_ERROR, "not JSON: nested too deeply")
    except ValueError:
        # An integer of more than 4300 digits, which Python refuses to convert.
        return BadRequest(None, ErrorCode.PARSE_ERROR, "not JSON: number too long")
    if not isinstance(message, dict):
        return BadRequest(None, ErrorCode.INVALID_REQUEST, "a request must be a JSON object")
    rid = message.get("id")
    # bool is an int in Python, but not an id; a float id would not echo exactly.
    if isinstance(rid, bool) or not isinstance(rid, str | int | None):
        return BadRequest(
            None, ErrorCode.INVALID_REQUEST, "id must be a string, an integer or null"
        )
    if _depth_exceeds(message, max_depth):
        return BadRequest(rid, ErrorCode.INVALID_REQUEST, f"nested deeper than {max_depth}")
    method = message.get("method")
    if not isinstance(method, str):
        return BadRequest(rid, ErrorCode.INVALID_REQUEST, "method must be a string")
    params = message.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return BadRequest(rid, ErrorCode.INVALID_PARAMS, "params must be a JSON object")
    return Request(rid, method, params)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, so a reply never echoes a huge value."""
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def result_line(rid: RequestId, result: Any) -> bytes:
    """The reply to a request that succeeded. Raises TypeError or ValueError when
    ``result`` is not JSON (a bug in a handler, which the caller reports)."""
    return _line({"id": rid, "result": result})


def error_line(rid: RequestId, code: int, message: str) -> bytes:
    return _line({"id": rid, "error": {"code": int(code), "message": message}})


def event_line(event: dict[str, Any]) -> bytes:
    """One event of the live stream; raises TypeError or ValueError when not JSON."""
    return _line(event)


def _line(value: object) -> bytes:
    # ensure_ascii keeps every line pure ASCII, so a client may split on b"\n" safely.
    return json.dumps(value, allow_nan=False, separators=(",", ":")).encode("ascii") + b"\n"
