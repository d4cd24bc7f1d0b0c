"""Checking a control request's params: the shapes each method accepts.

Each helper returns what the method needs or raises ``INVALID_PARAMS`` with
one line naming the param, so every method answers a malformed request the
same way.
"""

from __future__ import annotations

import math
from typing import Any

from appliance.control.api import ControlError, ErrorCode, Params
from appliance.events import InputId, parse_input_id

#: The most settings one ``set`` may change.
MAX_CHANGES = 64
MAX_PATH_CHARS = 64
MAX_VALUE_CHARS = 256


def bad(message: str) -> ControlError:
    return ControlError(ErrorCode.INVALID_PARAMS, message)


def no_params(params: Params) -> None:
    if params:
        raise bad(f"takes no params, got {', '.join(sorted(map(str, params))[:5])}")


def text_param(params: Params, name: str, *, required: bool = True, limit: int | None = 200) -> Any:
    value = params.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise bad(f"'{name}' must be text")
    if limit is not None and len(value) > limit:
        raise bad(f"'{name}' is longer than {limit} characters")
    return value


def input_param(params: Params) -> InputId:
    text = text_param(params, "input", limit=MAX_PATH_CHARS)
    try:
        parse_input_id(text)
    except ValueError as e:
        raise bad(str(e)) from None
    return InputId(text)


def changes_param(params: Params) -> list[tuple[str, str]]:
    """``set``'s params as (path, text) pairs: the text a script's ``set`` would give."""
    if not params:
        raise bad('nothing to set: give settings as {"key": "G", "switch:2.mode": "latch"}')
    if len(params) > MAX_CHANGES:
        raise bad(f"at most {MAX_CHANGES} settings at once")
    changes = []
    for path, value in params.items():
        if len(path) > MAX_PATH_CHARS:
            raise bad(f"'{path[:MAX_PATH_CHARS]}…' is not a setting")
        changes.append((path, value_text(path, value)))
    return changes


def value_text(path: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise bad(f"{path}: the value is longer than {MAX_VALUE_CHARS} characters")
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise bad(f"{path}: must be a finite number")
        return repr(value)
    raise bad(f"{path}: must be text or a number, got {type(value).__name__}")
