"""What a schema's ``type`` and its "property == constant" conditions mean for ROS values.

Why a module without jsonschema: the fast check (:mod:`rosengine.validate.fastcheck`) answers
"valid?" for almost every resource, and a ``ros validate`` of a valid template should not pay for
importing jsonschema; the jsonschema validator (:mod:`rosengine.validate.jsonschema_ext`) uses the
same definitions when it explains a failure, so both agree by construction.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from rosengine.functions.base import Unknown
from rosengine.validate.coercion import as_boolean, as_integer, as_number, as_string, unknown_satisfies


def _is_integer(instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, float):
        return instance.is_integer()  # JSON Schema draft 6 and later: 1.0 is an integer
    return isinstance(instance, int)


def _is_number(instance: Any) -> bool:
    return isinstance(instance, numbers.Number) and not isinstance(instance, bool)


# JSON Schema (Draft 7) type name -> is the Python value of that type, as jsonschema's Draft 7
# type checker answers it.
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda instance: isinstance(instance, bool),
    "string": lambda instance: isinstance(instance, str),
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "null": lambda instance: instance is None,
}


def _type_check(schema_type: str, coerce: Callable[[Any], Any] | None) -> Callable[[Any, Any], bool]:
    is_type = _JSON_TYPES[schema_type]

    def check(checker: Any, instance: Any) -> bool:
        if isinstance(instance, Unknown):
            return unknown_satisfies(instance, schema_type)
        if is_type(instance):
            return True
        return coerce is not None and coerce(instance) is not None

    return check


# JSON-Schema type name -> check(checker, instance) with ROS coercion: the signature of a
# jsonschema type checker's functions, which ``jsonschema_ext`` installs; the fast path passes None.
TYPE_CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "integer": _type_check("integer", as_integer),
    "number": _type_check("number", as_number),
    "boolean": _type_check("boolean", as_boolean),
    "string": _type_check("string", as_string),
    "object": _type_check("object", None),
    "array": _type_check("array", None),
    "null": _type_check("null", None),
}


def discriminator(condition: Any) -> tuple[str, Any] | None:
    """``(name, value)`` when ``condition`` is the common "property == constant" test."""
    if not isinstance(condition, dict) or set(condition) - {"properties", "required"}:
        return None
    props = condition.get("properties")
    if not isinstance(props, dict) or len(props) != 1:
        return None
    ((name, test),) = props.items()
    if not isinstance(test, dict) or set(test) != {"const"} or condition.get("required", [name]) != [name]:
        return None
    return name, test["const"]
