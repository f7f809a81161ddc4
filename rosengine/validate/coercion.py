"""How ROS reads scalar property values, and how statically unknown values meet a schema.

Why a module of its own: ROS (like Heat before it) coerces scalars to the type a property declares:
``MemorySize: "128"`` is the integer 128, ``InternetAccess: "true"`` is a boolean and ``Qualifier:
1`` is the string ``"1"``. A validator that rejected those would reject templates ROS accepts, so the
jsonschema type checker and the value keywords (minimum, pattern, enum …) use the helpers below.
``"abc"`` for an integer still fails.

Statically unknown values (:class:`~rosengine.functions.base.Unknown`, e.g. a ``Fn::GetAtt`` result
or a parameter without a value) are checked by their declared type only, with the same coercion
tolerance ROS applies at run time (an unknown string may well hold ``"128"``).
"""

from __future__ import annotations

import math
import re
from typing import Any

from rosengine.functions.base import Unknown

_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")
_BOOLEAN_TEXT = {"true": True, "false": False}

# Which schema types a statically unknown value of a given type may end up satisfying at run time.
_UNKNOWN_COMPATIBLE: dict[str, frozenset[str]] = {
    "string": frozenset({"string", "integer", "number", "boolean"}),
    "integer": frozenset({"integer", "number", "string"}),
    "number": frozenset({"integer", "number", "string"}),
    "boolean": frozenset({"boolean", "string"}),
    "array": frozenset({"array"}),
    "object": frozenset({"object"}),
}


def unknown_satisfies(value: Unknown, schema_type: str) -> bool:
    """Could an unknown value of ``value.type`` turn out to be a valid ``schema_type``?"""
    if value.type is None:
        return True
    return schema_type in _UNKNOWN_COMPATIBLE.get(value.type, frozenset({value.type}))


def as_integer(value: Any) -> int | None:
    """The integer ROS would read from ``value``, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.match(value):
        return int(value)
    return None


def as_number(value: Any) -> int | float | None:
    """The number ROS would read from ``value`` (ints stay ints), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        integer = as_integer(value)
        if integer is not None:
            return integer
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def as_boolean(value: Any) -> bool | None:
    """``True``/``False`` or the strings ``"true"``/``"false"`` (any case); else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _BOOLEAN_TEXT.get(value.strip().lower())
    return None


def as_string(value: Any) -> str | None:
    """Strings as they are; numbers and booleans as ROS prints them; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def scalar_variants(value: Any) -> list[Any]:
    """The values ``value`` may stand for after coercion (for ``enum``/``const`` matching). A
    boolean also stands for ``"True"``/``"False"``: ROS (Python underneath) writes a boolean given
    for a string property that way, and some types list those spellings as allowed values."""
    variants = [value]
    candidates = [convert(value) for convert in (as_integer, as_number, as_boolean, as_string)]
    if isinstance(value, bool):
        candidates.append(str(value))
    for converted in candidates:
        if converted is not None and not any(
            type(converted) is type(seen) and converted == seen for seen in variants
        ):
            variants.append(converted)
    return variants


def describe_type(value: Any) -> str:
    """A JSON-ish type name for messages."""
    if isinstance(value, Unknown):
        return f"unknown {value.type}" if value.type else "unknown value"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__
