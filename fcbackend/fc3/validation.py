"""Small declarative checks for FC 3.0 request bodies.

Why declarative: FC 3.0's function model has a dozen nested objects; writing each check by hand
made every message a little different. A :data:`Checker` takes a value and the JSON path it came
from and returns the value to store, or raises 400 ``InvalidArgument`` naming the path and what
was expected. Objects reject keys they do not know (a misspelt key would otherwise be dropped
without a word).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fcbackend.api.errors import FcError, invalid

Checker = Callable[[Any, str], Any]


def _show(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(path: str, expected: str, value: Any) -> FcError:
    return invalid(f"{path} must be {expected}, got {_show(value)}")


def string(
    *, min_len: int = 0, max_len: int | None = None, pattern: str | None = None, enum: Iterable[str] = ()
) -> Checker:
    compiled = re.compile(pattern) if pattern else None
    allowed = tuple(enum)

    def check(value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise fail(path, "a string", value)
        if allowed and value not in allowed:
            raise fail(path, "one of " + ", ".join(allowed), value)
        if len(value) < min_len or (max_len is not None and len(value) > max_len):
            bound = f"at most {max_len}" if min_len == 0 else f"{min_len}-{max_len}"
            raise fail(path, f"a string of {bound} characters", value)
        if compiled is not None and not compiled.fullmatch(value):
            raise fail(path, f"a string matching {pattern}", value)
        return value

    return check


def integer(low: int, high: int, *, multiple: int | None = None) -> Checker:
    def check(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise fail(path, f"an integer between {low} and {high}", value)
        number = int(value)
        if not low <= number <= high:
            raise fail(path, f"between {low} and {high}", value)
        if multiple and number % multiple:
            raise fail(path, f"a multiple of {multiple}", value)
        return number

    return check


def number(low: float, high: float, *, step: float | None = None) -> Checker:
    def check(value: Any, path: str) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(path, f"a number between {low:g} and {high:g}", value)
        if not low <= value <= high:
            raise fail(path, f"between {low:g} and {high:g}", value)
        if step and abs(round(value / step) * step - value) > 1e-9:
            raise fail(path, f"a multiple of {step:g}", value)
        return value

    return check


def boolean() -> Checker:
    def check(value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise fail(path, "true or false", value)
        return value

    return check


def array(item: Checker, *, max_items: int | None = None) -> Checker:
    def check(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise fail(path, "a list", value)
        if max_items is not None and len(value) > max_items:
            raise invalid(f"{path} allows at most {max_items} items, got {len(value)}")
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return check


def string_map(*, key_pattern: str | None = None, max_bytes: int | None = None) -> Checker:
    keys = re.compile(key_pattern) if key_pattern else None

    def check(value: Any, path: str) -> dict[str, str]:
        if not isinstance(value, dict):
            raise fail(path, "an object of string values", value)
        out: dict[str, str] = {}
        for key, item in value.items():
            if keys is not None and not keys.fullmatch(key):
                raise invalid(f"{path} key {key!r} must match {key_pattern}")
            if not isinstance(item, str):
                raise fail(f"{path}.{key}", "a string", item)
            out[key] = item
        if max_bytes is not None and len(json.dumps(out)) > max_bytes:
            raise invalid(f"{path} exceeds {max_bytes} bytes in total")
        return out

    return check


def anything() -> Checker:
    """Stored as given (records the backend keeps but does not act on)."""
    return lambda value, path: value


def obj(
    fields: Mapping[str, Checker],
    *,
    required: Iterable[str] = (),
    ignored: Iterable[str] = (),
    drop_empty_lists: bool = False,
) -> Checker:
    """An object with known ``fields``; ``ignored`` keys (output-only fields a client may echo)
    are accepted and dropped; ``null`` members count as absent. ``drop_empty_lists``: the SDK
    sends ``[]`` for list members the caller never set; on create they mean "not given"."""
    needed = tuple(required)
    skipped = frozenset(ignored)

    def check(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise fail(path, "an object", value)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in skipped or item is None:
                continue
            checker = fields.get(key)
            if checker is None:
                raise invalid(f"{path}.{key} is not a known field (known: {', '.join(sorted(fields))})")
            if drop_empty_lists and item == []:
                continue
            out[key] = checker(item, f"{path}.{key}")
        for key in needed:
            if key not in out:
                raise invalid(f"{path}.{key} is required")
        return out

    return check


def check_fields(
    body: Mapping[str, Any], fields: Mapping[str, Checker], *, ignored: Iterable[str] = ()
) -> dict[str, Any]:
    """The top-level fields of a request body, each checked (path = the field name)."""
    skipped = frozenset(ignored)
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in skipped or value is None:
            continue
        checker = fields.get(key)
        if checker is None:
            raise invalid(f"{key} is not a known field of this request (known: {', '.join(sorted(fields))})")
        out[key] = checker(value, key)
    return out
