"""A Draft 7 jsonschema validator that reads values the way ROS does.

Why extend jsonschema rather than pre-convert the properties: conversion would have to follow every
``allOf``/``if``/``$ref`` in a schema to know which type applies where. Teaching the keywords
themselves is simpler and exact:

* the type checker accepts ``"128"`` as an integer, ``"true"`` as a boolean, ``1`` as a string;
* numeric keywords (minimum, multipleOf …) compare the coerced number, string keywords (pattern,
  minLength …) the coerced text, ``enum``/``const`` any coerced form;
* a statically unknown value is checked by ``type`` only (every other keyword skips it);
* an ``if`` whose condition looks at an unknown property applies neither branch (a ``TriggerType``
  from a parameter must not make us check the TriggerConfig of *every* trigger type);
* ``multipleOf`` tolerates binary fractions (``0.15`` is a multiple of ``0.05``);
* ``additionalProperties: false`` yields one error per unknown property, located at that property;
* ``pattern`` runs on RE2 (:mod:`rosengine.patterns`: linear time whatever the schema holds).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft7Validator, ValidationError, validators
from jsonschema.protocols import Validator

from rosengine.functions.base import Unknown
from rosengine.patterns import PatternError, compile_pattern
from rosengine.validate.coercion import as_number, as_string, scalar_variants
from rosengine.validate.schema_types import TYPE_CHECKS, discriminator

KeywordFn = Callable[[Any, Any, Any, dict[str, Any]], Iterator[ValidationError] | None]

_BASE = Draft7Validator
_BASE_KEYWORDS: dict[str, KeywordFn] = dict(_BASE.VALIDATORS)
_NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_TEXT_KEYWORDS = ("minLength", "maxLength", "format")


_TYPE_CHECKER = _BASE.TYPE_CHECKER.redefine_many(TYPE_CHECKS)


def _skip_unknown(keyword_fn: KeywordFn) -> KeywordFn:
    def keyword(
        validator: Any, value: Any, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        if isinstance(instance, Unknown):
            return
        yield from keyword_fn(validator, value, instance, schema) or ()

    return keyword


def _on_converted(convert: Callable[[Any], Any], keyword_fn: KeywordFn) -> KeywordFn:
    """``keyword_fn`` applied to the instance as ``convert`` reads it (``"6"`` as 6 for minimum,
    say); an instance that does not convert is left to the type keyword to report."""

    def keyword(
        validator: Any, value: Any, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        if isinstance(instance, Unknown):
            return
        converted = convert(instance)
        if converted is None:
            return
        yield from keyword_fn(validator, value, converted, schema) or ()

    return keyword


def _multiple_of(
    validator: Any, divisor: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, Unknown):
        return
    number = as_number(instance)
    if number is None:
        return
    quotient = number / divisor
    if abs(quotient - round(quotient)) > 1e-9 * max(1.0, abs(quotient)):
        yield ValidationError(f"{instance!r} is not a multiple of {divisor}")


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, Unknown):
        return
    text = as_string(instance)
    if text is None:
        return
    try:
        matched = compile_pattern(pattern).search(text)
    except PatternError as exc:
        yield ValidationError(f"the schema's pattern cannot be used: {exc}")
        return
    if not matched:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's ``patternProperties`` with the names matched through rosengine.patterns (RE2):
    a schema's pattern never reaches Python's backtracking engine."""
    if isinstance(instance, Unknown) or not isinstance(instance, dict):
        return
    for pattern, subschema in patterns.items():
        try:
            compiled = compile_pattern(pattern)
        except PatternError as exc:
            yield ValidationError(f"the schema's pattern cannot be used: {exc}")
            continue
        for name, value in instance.items():
            if compiled.search(str(name)):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _enum(
    validator: Any, allowed: list[Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, Unknown):
        return
    for variant in scalar_variants(instance):
        if any(variant == choice and type(variant) is type(choice) for choice in allowed):
            return
    yield ValidationError(f"{instance!r} is not one of {allowed!r}")


def _const(validator: Any, expected: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    yield from _enum(validator, [expected], instance, schema)


def _if(validator: Any, condition: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if isinstance(instance, Unknown):
        return
    if isinstance(instance, dict) and isinstance(condition, dict):
        for name in condition.get("properties", {}):
            if isinstance(instance.get(name), Unknown):
                return
        fast = discriminator(condition)
        if fast is not None:  # skip jsonschema's is_valid machinery for the hot TriggerType test
            name, expected = fast
            matched = name in instance and any(
                v == expected and type(v) is type(expected) for v in scalar_variants(instance[name])
            )
            branch = schema.get("then") if matched else schema.get("else")
            if branch is not None:
                yield from validator.descend(instance, branch, schema_path="then" if matched else "else")
            return
    yield from _BASE_KEYWORDS["if"](validator, condition, instance, schema) or ()


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, Unknown) or not isinstance(instance, dict):
        return
    if allowed is not False:
        yield from _BASE_KEYWORDS["additionalProperties"](validator, allowed, instance, schema) or ()
        return
    known = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    for name in instance:
        if name in schema.get("properties", {}):
            continue
        if any(validator.evolve(schema={"pattern": p}).is_valid(name) for p in patterns):
            continue
        suggestion = closest_name(str(name), known)
        if suggestion is not None and spelling_key(suggestion) == spelling_key(str(name)):
            message = (
                f"unknown property '{name}'; did you mean '{suggestion}'? (the same name spelled "
                "differently, as older templates do: a warning, and its value was not checked)"
            )
        else:
            message = unknown_property_message(str(name), known)
        error = ValidationError(message, path=[name])
        error.suggestion = suggestion  # type: ignore[attr-defined]
        yield error


def spelling_key(name: str) -> str:
    """What two spellings of one property name share: ``VPCId``/``VpcId`` and
    ``SystemDisk_Category``/``SystemDiskCategory`` are one name written two ways (old ROS docs used
    the former; the official examples still do)."""
    return name.replace("_", "").lower()


def closest_name(name: str, candidates: list[str]) -> str | None:
    """The candidate a typo most likely meant (case-insensitive), or None."""
    by_spelling = {spelling_key(c): c for c in candidates}
    if spelling_key(name) in by_spelling:
        return by_spelling[spelling_key(name)]
    by_fold = {c.lower(): c for c in candidates}
    matches = difflib.get_close_matches(name.lower(), list(by_fold), n=1, cutoff=0.6)
    return by_fold[matches[0]] if matches else None


def unknown_property_message(name: str, known: list[str]) -> str:
    suggestion = closest_name(name, known)
    if suggestion:
        return f"unknown property '{name}'; did you mean '{suggestion}'?"
    if not known:
        return f"unknown property '{name}'; this map takes no properties"
    listed = ", ".join(sorted(known)[:15]) + (", …" if len(known) > 15 else "")
    return f"unknown property '{name}'; expected one of: {listed}"


def _keywords() -> dict[str, KeywordFn]:
    keywords = {name: _skip_unknown(fn) for name, fn in _BASE_KEYWORDS.items() if name != "type"}
    keywords["type"] = _BASE_KEYWORDS["type"]
    for name in _NUMERIC_KEYWORDS:
        keywords[name] = _on_converted(as_number, _BASE_KEYWORDS[name])
    for name in _TEXT_KEYWORDS:
        keywords[name] = _on_converted(as_string, _BASE_KEYWORDS[name])
    keywords["pattern"] = _pattern
    keywords["patternProperties"] = _pattern_properties
    keywords["multipleOf"] = _multiple_of
    keywords["enum"] = _enum
    keywords["const"] = _const
    keywords["if"] = _if
    keywords["additionalProperties"] = _additional_properties
    return keywords


RosValidator: type[Validator] = validators.extend(_BASE, validators=_keywords(), type_checker=_TYPE_CHECKER)
