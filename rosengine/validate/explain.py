"""Why a resource's properties failed their schema: jsonschema's errors as located, readable
:class:`~rosengine.errors.TemplateError` rows (the messages ROS users expect).

Why a module of its own: jsonschema runs only when the fast check (:mod:`rosengine.validate.fastcheck`)
found a resource invalid, so :mod:`rosengine.validate.properties` imports this module, and with it
jsonschema, only then.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator

from rosengine.errors import (
    INVALID_TEMPLATE_PROPERTY_TYPE,
    STACK_VALIDATION_FAILED,
    Path,
    Severity,
    TemplateError,
)
from rosengine.functions.base import Unknown
from rosengine.validate.coercion import describe_type
from rosengine.validate.jsonschema_ext import spelling_key


def explain_failures(
    validator: Validator, checked: dict[str, Any], properties: dict[str, Any], base_path: Path
) -> list[TemplateError]:
    """Every error ``validator`` finds in ``checked`` (the properties as validated: nulls left out,
    case-insensitive maps in the schema's spelling), located at the keys as written in ``properties``."""
    return [
        _to_template_error(err, properties, base_path)
        for raw in validator.iter_errors(checked)
        for err in _split_required(raw)
    ]


def _original_path(properties: Any, path: Iterable[Any]) -> tuple[str | int, ...]:
    """Map a path in the case-normalised copy back to the keys the author wrote."""
    out: list[str | int] = []
    node = properties
    for part in path:
        if isinstance(node, dict) and isinstance(part, str) and part not in node:
            folded = part.lower()
            part = next((k for k in node if isinstance(k, str) and k.lower() == folded), part)
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _split_required(err: ValidationError) -> list[ValidationError]:
    """One error per missing required property, so each is its own finding."""
    if err.validator != "required" or not isinstance(err.instance, dict):
        return [err]
    out = []
    required: Any = err.validator_value
    for name in required:
        if name not in err.instance:
            clone = ValidationError(
                err.message,
                validator="required",
                path=err.absolute_path,
                validator_value=err.validator_value,
                instance=err.instance,
                schema=err.schema,
            )
            clone.details_missing = name  # type: ignore[attr-defined]
            out.append(clone)
    return out


def _to_template_error(err: ValidationError, properties: dict[str, Any], base_path: Path) -> TemplateError:
    rel = _original_path(properties, err.absolute_path)
    code = INVALID_TEMPLATE_PROPERTY_TYPE if err.validator == "type" else STACK_VALIDATION_FAILED
    details: dict[str, Any] = {"keyword": err.validator}
    suggestion = getattr(err, "suggestion", None)
    severity = Severity.ERROR
    if suggestion:
        details["suggestion"] = suggestion
        if err.validator == "additionalProperties" and spelling_key(suggestion) == spelling_key(str(rel[-1])):
            severity = Severity.WARNING  # an older spelling of a known name, not an unknown one
    return TemplateError(code, _message(err, rel), base_path + rel, severity=severity, details=details)


def _subject(rel: tuple[str | int, ...]) -> str:
    names = [p for p in rel if isinstance(p, str)]
    return f"'{names[-1]}'" if names else "Properties"


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, Unknown) else describe_type(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(err: ValidationError, rel: tuple[str | int, ...]) -> str:
    keyword = err.validator
    value: Any = err.validator_value
    instance: Any = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    subject = _subject(rel)
    hint = f" ({schema['description']})" if isinstance(schema.get("description"), str) else ""
    if keyword == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        expected = {"object": "map", "array": "list"}.get(expected, expected)
        article = "an" if expected[:1] in "aeiou" else "a"
        got = (
            describe_type(instance)
            if isinstance(instance, Unknown)
            else f"{describe_type(instance)} {_show(instance)}"
        )
        return f"{subject} must be {article} {expected}, got {got}"
    if keyword == "required":
        where = "" if len(rel) == 0 else f" in {subject}"
        return f"required property '{err.details_missing}' is missing{where}"  # type: ignore[attr-defined]
    if keyword == "additionalProperties":
        return err.message
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{subject} is {_show(instance)}, outside the allowed range {_range_text(schema)}"
    if keyword == "multipleOf":
        return f"{subject} is {_show(instance)}, which is not a multiple of {value}{hint}"
    if keyword in ("minLength", "maxLength"):
        length = len(instance) if isinstance(instance, str) else len(str(instance))
        return f"{subject} is {length} characters long; allowed length is {_length_text(schema)}{hint}"
    if keyword == "pattern":
        if hint:
            return f"{subject} value {_show(instance)} is not valid: {schema['description']}"
        return f"{subject} value {_show(instance)} does not match the pattern {value!r}"
    if keyword in ("enum", "const"):
        allowed = value if isinstance(value, list) else [value]
        return f"{subject} is {_show(instance)}; allowed values: {', '.join(map(str, allowed))}"
    if keyword in ("minItems", "maxItems"):
        count = len(instance) if isinstance(instance, list) else 0
        return f"{subject} has {count} items; allowed: {_items_text(schema)}"
    if keyword == "dependencies":
        missing = [name for name in value.get(_first_present(value, instance), []) if name not in instance]
        return f"{_first_present(value, instance)!r} needs {', '.join(map(repr, missing))} in {subject}"
    if keyword == "not" and isinstance(value, dict) and "pattern" in value:
        return f"{subject} value {_show(instance)} must not match the pattern {value['pattern']!r}"
    if keyword in ("oneOf", "anyOf"):
        alternatives = [s.get("required") for s in value if isinstance(s, dict)]
        if all(isinstance(a, list) and len(a) == 1 for a in alternatives):
            names = ", ".join(a[0] for a in alternatives)  # type: ignore[index]
            present = [a[0] for a in alternatives if isinstance(instance, dict) and a[0] in instance]  # type: ignore[index]
            where = f" in {subject}" if rel else ""
            if keyword == "oneOf" and len(present) > 1:
                return f"only one of {names} may be given{where}, found {', '.join(present)}"
            return f"one of {names} is required{where}"
        return f"{subject} matches none of the allowed forms"
    return f"{subject}: {err.message}"


def _first_present(dependencies: dict[str, Any], instance: Any) -> str:
    for name, needed in dependencies.items():
        if isinstance(instance, dict) and name in instance and any(n not in instance for n in needed):
            return name
    return next(iter(dependencies), "")


def _range_text(schema: dict[str, Any]) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and high is not None:
        return f"{low}-{high}"
    if low is not None:
        return f">= {low}"
    return f"<= {high}"


def _length_text(schema: dict[str, Any]) -> str:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None and high is not None:
        return f"{low}-{high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _items_text(schema: dict[str, Any]) -> str:
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None and high is not None:
        return f"{low}-{high}"
    return f"at least {low}" if low is not None else f"at most {high}"
