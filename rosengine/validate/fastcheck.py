"""A compiled yes/no check for the common case: the properties are valid.

Why: jsonschema builds a validator object for every subschema it descends into, which costs
~0.3 ms per FC resource; a 300-resource template would spend most of its validation budget there.
Almost every resource in a real template is valid, so :func:`compile_check` turns a schema into
nested closures that only answer "valid?" with exactly the semantics of
:data:`~rosengine.validate.jsonschema_ext.RosValidator` (ROS coercion, unknown values, the ``if``
rule). Only when the answer is "no" does the caller run jsonschema to explain *why*. A schema
using a keyword this module does not know compiles to ``None`` (no fast path), so it can never
wrongly pass something jsonschema would reject; a test cross-checks both on many inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rosengine.functions.base import Unknown
from rosengine.patterns import PatternError, compile_pattern
from rosengine.validate.coercion import as_number, as_string, scalar_variants
from rosengine.validate.schema_types import TYPE_CHECKS, discriminator

Check = Callable[[Any], bool]

# Keywords with no effect on validity.
_ANNOTATIONS = frozenset(
    {"description", "default", "title", "examples", "$comment", "definitions", "deprecated"}
)


class _Unsupported(Exception):
    """The schema uses something the fast path does not reproduce."""


def compile_check(document: dict[str, Any]) -> Check | None:
    """A fast validity check for ``document``, or None when it cannot be reproduced exactly."""
    definitions = document.get("definitions", {})
    compiled_refs: dict[str, Check] = {}

    def ref_check(ref: str) -> Check:
        if not ref.startswith("#/definitions/"):
            raise _Unsupported(ref)
        name = ref.rsplit("/", 1)[-1]
        if name not in definitions:
            raise _Unsupported(ref)
        if name not in compiled_refs:
            compiled_refs[name] = lambda value: True  # placeholder for recursion
            compiled_refs[name] = build(definitions[name])
        return lambda value: compiled_refs[name](value)

    def build(schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            raise _Unsupported(schema)
        type_check = _type_check(schema.get("type"))
        checks = _value_checks(schema, build, ref_check)

        def check(value: Any) -> bool:
            if not type_check(value):
                return False
            if isinstance(value, Unknown):
                return True  # every keyword but type skips unknown values
            return all(c(value) for c in checks)

        return check

    try:
        top = build(document)
    except _Unsupported:
        return None

    def checked(value: Any) -> bool:
        try:
            return top(value)
        except _Unsupported:
            return False  # a part built on first use is not reproducible: let jsonschema answer

    return checked


def _type_check(declared: Any) -> Check:
    if declared is None:
        return lambda value: True
    names = [declared] if isinstance(declared, str) else list(declared)
    if any(name not in TYPE_CHECKS for name in names):
        raise _Unsupported(declared)
    checks = [TYPE_CHECKS[name] for name in names]
    # The plain Python type a template value has when no coercion is needed: one type() lookup
    # instead of jsonschema's type checker, for the common case.
    native = frozenset(t for name in names for t in _NATIVE_TYPES.get(name, ()))
    if len(checks) == 1:
        only = checks[0]
        return lambda value: type(value) in native or only(None, value)
    return lambda value: type(value) in native or any(check(None, value) for check in checks)


_NATIVE_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _value_checks(
    schema: dict[str, Any], build: Callable[[Any], Check], ref_check: Callable[[str], Check]
) -> list[Check]:
    checks: list[Check] = []
    handled = set(_ANNOTATIONS) | {"type"}

    present = schema.keys()

    def uses(*names: str) -> bool:
        handled.update(names)
        return not present.isdisjoint(names)

    if "$ref" in schema:
        # Draft 7: $ref makes sibling keywords ignored.
        return [ref_check(schema["$ref"])]
    if uses("properties", "required", "additionalProperties"):
        checks.append(_object_check(schema, build))
    if uses("patternProperties", "propertyNames", "minProperties", "maxProperties"):
        raise _Unsupported("object keyword")
    if uses("items", "minItems", "maxItems"):
        checks.append(_array_check(schema, build))
    if uses("uniqueItems", "contains", "additionalItems"):
        raise _Unsupported("array keyword")
    if uses("enum", "const"):
        allowed = schema["enum"] if "enum" in schema else [schema["const"]]
        exact = {(type(a), a) for a in allowed if isinstance(a, str | int | float | bool)}

        def enum_check(v: Any) -> bool:
            if isinstance(v, str | int | float | bool) and (type(v), v) in exact:
                return True  # as written: no coercion to try
            return any(x == a and type(x) is type(a) for x in scalar_variants(v) for a in allowed)

        checks.append(enum_check)
    if uses("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        checks.append(_number_check(schema))
    if uses("minLength", "maxLength", "pattern"):
        checks.append(_text_check(schema))
    if uses("format"):
        raise _Unsupported("format")
    if uses("allOf"):
        dispatch = _dispatch_check(schema["allOf"], build)
        if dispatch is not None:
            checks.append(dispatch)
        else:
            parts = [build(s) for s in schema["allOf"]]
            checks.append(lambda v: all(p(v) for p in parts))
    if uses("anyOf"):
        any_parts = [build(s) for s in schema["anyOf"]]
        checks.append(lambda v: any(p(v) for p in any_parts))
    if uses("oneOf"):
        one_parts = [build(s) for s in schema["oneOf"]]
        checks.append(lambda v: sum(1 for p in one_parts if p(v)) == 1)
    if uses("not"):
        negated = build(schema["not"])
        checks.append(lambda v: not negated(v))
    if uses("if", "then", "else"):
        checks.append(_if_check(schema, build))
    if uses("dependencies"):
        checks.append(_dependencies_check(schema["dependencies"]))
    unknown = set(schema) - handled
    if unknown:
        raise _Unsupported(sorted(unknown))
    return checks


def _object_check(schema: dict[str, Any], build: Callable[[Any], Check]) -> Check:
    """Property checks are built the first time a value has that property: a type's schema names
    a hundred properties, a template uses a few, and building them all is most of the cost."""
    declared: dict[str, Any] = schema.get("properties", {})
    properties: dict[str, Check] = {}
    required = list(schema.get("required", ()))
    additional = schema.get("additionalProperties", True)
    extra_check = None if additional in (True, False) else build(additional)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            sub = properties.get(name)
            if sub is None and name in declared:
                sub = properties[name] = build(declared[name])
            if sub is not None:
                if not sub(item):
                    return False
            elif additional is False or extra_check is not None and not extra_check(item):
                return False
        return True

    return check


def _array_check(schema: dict[str, Any], build: Callable[[Any], Check]) -> Check:
    items = schema.get("items")
    if isinstance(items, list):
        raise _Unsupported("tuple items")
    item_check = build(items) if items is not None else None
    low, high = schema.get("minItems"), schema.get("maxItems")

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        if low is not None and len(value) < low:
            return False
        if high is not None and len(value) > high:
            return False
        return item_check is None or all(item_check(v) for v in value)

    return check


def _number_check(schema: dict[str, Any]) -> Check:
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    divisor = schema.get("multipleOf")

    def check(value: Any) -> bool:
        number = as_number(value)
        if number is None:
            return True
        if low is not None and number < low:
            return False
        if high is not None and number > high:
            return False
        if xlow is not None and number <= xlow:
            return False
        if xhigh is not None and number >= xhigh:
            return False
        if divisor is not None:
            quotient = number / divisor
            if abs(quotient - round(quotient)) > 1e-9 * max(1.0, abs(quotient)):
                return False
        return True

    return check


def _text_check(schema: dict[str, Any]) -> Check:
    low, high = schema.get("minLength"), schema.get("maxLength")
    try:
        pattern = compile_pattern(schema["pattern"]) if "pattern" in schema else None
    except PatternError as exc:
        raise _Unsupported(schema["pattern"]) from exc  # jsonschema reports it

    def check(value: Any) -> bool:
        text = as_string(value)
        if text is None:
            return True
        # jsonschema counts code points, as len() does.
        if low is not None and len(text) < low:
            return False
        if high is not None and len(text) > high:
            return False
        return pattern is None or pattern.search(text)

    return check


def _if_check(schema: dict[str, Any], build: Callable[[Any], Check]) -> Check:
    if "if" not in schema:
        return lambda value: True
    condition_schema = schema["if"]
    condition = build(condition_schema)
    then_check = build(schema["then"]) if "then" in schema else None
    else_check = build(schema["else"]) if "else" in schema else None
    watched = list(condition_schema.get("properties", {})) if isinstance(condition_schema, dict) else []

    def check(value: Any) -> bool:
        if isinstance(value, dict) and any(isinstance(value.get(n), Unknown) for n in watched):
            return True
        branch = then_check if condition(value) else else_check
        return branch is None or branch(value)

    return check


def _dispatch_check(branches: list[Any], build: Callable[[Any], Check]) -> Check | None:
    """``allOf`` of ``if {X: const c} then S`` on one property X (the TriggerType -> TriggerConfig
    shape): one dictionary lookup instead of evaluating every condition."""
    table: dict[Any, Check] = {}
    watched: str | None = None
    for branch in branches:
        if not isinstance(branch, dict) or set(branch) != {"if", "then"}:
            return None
        test = discriminator(branch["if"])
        if test is None or (watched is not None and test[0] != watched) or not isinstance(test[1], str):
            return None
        watched = test[0]
        table[test[1]] = build(branch["then"])
    if watched is None:
        return None
    name = watched

    def check(value: Any) -> bool:
        if not isinstance(value, dict) or name not in value:
            return True
        selector = value[name]
        if isinstance(selector, Unknown):
            return True
        text = as_string(selector)
        branch = table.get(text) if text is not None else None
        return branch is None or branch(value)

    return check


def _dependencies_check(dependencies: dict[str, Any]) -> Check:
    if not all(isinstance(v, list) for v in dependencies.values()):
        raise _Unsupported("schema dependencies")

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(all(n in value for n in needed) for name, needed in dependencies.items() if name in value)

    return check
