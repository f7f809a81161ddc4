"""Template parameters: their declarations, coercion by type, constraints and binding
(docs/reference/ros-template-language.md#parameters).

Why the split between :class:`ParameterSpec` (parsed once per template) and :func:`bind_parameters`
(per stack operation): declarations are checked when the template loads (a Default that violates
its own constraints fails validation, as ROS's ValidateTemplate does), values when a stack is
created or updated.

Choices where ROS documents nothing (kept in one place to be easy to change):

* Boolean accepts ``true``/``false`` in any letter case (and YAML/JSON booleans); nothing else.
* CommaDelimitedList splits on ``,`` and strips whitespace around items (Heat); ``""`` -> ``[]``.
* AllowedPattern must match the *whole* value (Heat's full match).
* Number gives an ``int`` when the text is an integer, else a ``float``; AllowedValues and
  Min/MaxValue compare numerically.
* Error texts follow Heat: ``Parameter 'X' is invalid: <reason>``, with ConstraintDescription
  replacing the reason when the template gives one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rosengine.errors import (
    STACK_VALIDATION_FAILED,
    UNKNOWN_USER_PARAMETER,
    USER_PARAMETER_MISSING,
    Path,
    Severity,
    TemplateError,
)
from rosengine.functions.base import Unknown
from rosengine.numbers import number_from_text
from rosengine.template.nodes import find_function
from rosengine.template.oos import OosParameterStore, OosResolutionError

STRING = "String"
NUMBER = "Number"
LIST = "CommaDelimitedList"
JSON = "Json"
BOOLEAN = "Boolean"
OOS_VALUE = "ALIYUN::OOS::Parameter::Value"
OOS_SECRET = "ALIYUN::OOS::SecretParameter::Value"
TYPES = (STRING, NUMBER, LIST, JSON, BOOLEAN, OOS_VALUE, OOS_SECRET)
# JSON-schema type of a parameter's value, for Unknown values in static validation.
SCHEMA_TYPES = {
    STRING: "string",
    NUMBER: "number",
    LIST: "array",
    JSON: None,
    BOOLEAN: "boolean",
    OOS_VALUE: "string",
    OOS_SECRET: "string",
}

KNOWN_KEYS = frozenset(
    {
        "Type",
        "Default",
        "AllowedValues",
        "AllowedPattern",
        "MinLength",
        "MaxLength",
        "MinValue",
        "MaxValue",
        "NoEcho",
        "Description",
        "ConstraintDescription",
        "Label",
        "AssociationProperty",
        "AssociationPropertyMetadata",
        "Confirm",
        "TextArea",
        # seen in official templates, console hints with no engine meaning
        # (docs/reference/ros-template-language.md#parameters UNCONFIRMED)
        "Required",
        "ReadOnly",
        "Placeholder",
    }
)
_NO_DEFAULT = object()


class ParameterProblem(Exception):
    """Why one value is not acceptable (becomes StackValidationFailed)."""


@dataclass
class ParameterSpec:
    """A parameter declaration with its constraints parsed into usable Python values."""

    name: str
    type: str
    default: Any = _NO_DEFAULT
    allowed_values: list[Any] | None = None
    allowed_pattern: re.Pattern[str] | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    no_echo: bool = False
    constraint_description: str | None = None
    label: Any = None
    description: Any = None
    definition: dict[str, Any] = field(default_factory=dict)

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def path(self) -> Path:
        return ("Parameters", self.name)

    def coerce(self, raw: Any) -> Any:
        """Turn a supplied value (text over the API, or YAML data in a Default) into the typed
        value ``Ref`` returns; OOS types keep the parameter-store name (resolved later)."""
        return _COERCERS[self.type](raw)

    def check(self, value: Any) -> None:
        """Raise :class:`ParameterProblem` when ``value`` (already coerced) breaks a constraint."""
        if self.type in (OOS_VALUE, OOS_SECRET):
            return
        if self.allowed_values is not None:
            self._check_allowed(value)
        if (
            self.allowed_pattern is not None
            and self.type == STRING
            and not self.allowed_pattern.fullmatch(value)
        ):
            raise ParameterProblem(f"{value!r} does not match pattern {self.allowed_pattern.pattern!r}")
        if self.min_length is not None or self.max_length is not None:
            _check_length(self, value)
        if self.type == NUMBER:
            if self.min_value is not None and value < self.min_value:
                raise ParameterProblem(f"{value} is less than the minimum {_number_text(self.min_value)}")
            if self.max_value is not None and value > self.max_value:
                raise ParameterProblem(f"{value} is greater than the maximum {_number_text(self.max_value)}")

    def _check_allowed(self, value: Any) -> None:
        allowed = self.allowed_values or []
        if self.type == LIST:
            texts = {_text(item) for item in allowed}
            for item in value:
                if item not in texts:
                    raise ParameterProblem(f"{item!r} is not one of the allowed values {_show(allowed)}")
            return
        if self.type == NUMBER:
            ok = any(_same_number(value, item) for item in allowed)
        elif self.type == BOOLEAN:
            ok = any(_as_bool(item) is value for item in allowed)
        elif self.type == STRING:
            ok = value in {_text(item) for item in allowed}
        else:
            ok = any(value == _json_or_self(item) for item in allowed)
        if not ok:
            raise ParameterProblem(f"{_show(value)} is not one of the allowed values {_show(allowed)}")

    def invalid(self, reason: str, path: Path | None = None) -> TemplateError:
        text = self.constraint_description or reason
        return TemplateError(
            STACK_VALIDATION_FAILED,
            f"Parameter '{self.name}' is invalid: {text}",
            path if path is not None else self.path,
            details={"reason": reason},
        )


# ---------------------------------------------------------------- declarations


def parse_parameters(
    section: Any,
) -> tuple[dict[str, ParameterSpec], list[TemplateError], list[TemplateError]]:
    """Parse the Parameters section: (specs, errors, warnings). Every problem is collected."""
    specs: dict[str, ParameterSpec] = {}
    errors: list[TemplateError] = []
    warnings: list[TemplateError] = []
    if not isinstance(section, dict):
        return specs, errors, warnings  # the section check reports the shape
    for name, definition in section.items():
        spec = _parse_one(name, definition, errors, warnings)
        if spec is not None:
            specs[name] = spec
    return specs, errors, warnings


def _parse_one(
    name: str, definition: Any, errors: list[TemplateError], warnings: list[TemplateError]
) -> ParameterSpec | None:
    path: Path = ("Parameters", name)

    def error(message: str, where: Path = path) -> None:
        errors.append(TemplateError(STACK_VALIDATION_FAILED, message, where))

    if not name or name.startswith("ALIYUN::") or any(c in name for c in "/.${}\n"):
        error(
            f"invalid parameter name {name!r}: use letters, digits and underscores "
            "(ALIYUN:: names are reserved for pseudo parameters)"
        )
    if not isinstance(definition, dict):
        error(f"parameter {name!r} must be a mapping with at least a Type")
        return None
    # AssociationPropertyMetadata holds console hints that legitimately use condition functions
    # (``Visible: {Condition: {Fn::Not: ...}}``); everything else must be plain data.
    function = find_function(
        {k: v for k, v in definition.items() if k != "AssociationPropertyMetadata"}, path
    )
    if function is not None:
        error(f"functions cannot be used in Parameters ({function[1]} found)", function[0])
        return None
    type_name = definition.get("Type")
    if type_name not in TYPES:
        error(
            f"parameter {name!r} has {'no Type' if type_name is None else f'unknown Type {type_name!r}'}; "
            f"expected one of {', '.join(TYPES)}",
            path + ("Type",) if "Type" in definition else path,
        )
        return None
    for key in definition:
        if key not in KNOWN_KEYS:
            warnings.append(
                TemplateError(
                    STACK_VALIDATION_FAILED,
                    f"unknown parameter property {key!r} (ignored)",
                    path + (key,),
                    severity=Severity.WARNING,
                )
            )
    spec = ParameterSpec(
        name=name,
        type=type_name,
        definition=definition,
        label=definition.get("Label"),
        description=definition.get("Description"),
    )
    _parse_constraints(spec, definition, error, warnings)
    if "Default" in definition:
        spec.default = definition["Default"]
        if spec.default is not None and type_name not in (OOS_VALUE, OOS_SECRET):
            try:
                spec.check(spec.coerce(spec.default))
            except ParameterProblem as problem:
                errors.append(
                    TemplateError(
                        STACK_VALIDATION_FAILED,
                        f"Parameter '{name}' has an invalid Default: {problem}",
                        path + ("Default",),
                    )
                )
                # reported once here; the rest of the template is then checked as if the
                # parameter had no default (symbolically), not against the bad value again
                spec.default = _NO_DEFAULT
    return spec


def _parse_constraints(
    spec: ParameterSpec, definition: dict[str, Any], error: Any, warnings: list[TemplateError]
) -> None:
    path = spec.path
    if "AllowedValues" in definition:
        allowed = definition["AllowedValues"]
        if isinstance(allowed, list):
            spec.allowed_values = allowed
        else:
            error("AllowedValues must be a list", path + ("AllowedValues",))
    if "AllowedPattern" in definition:
        pattern = definition["AllowedPattern"]
        if spec.type in (OOS_VALUE, OOS_SECRET):
            error(f"AllowedPattern is not supported for {spec.type} parameters", path + ("AllowedPattern",))
        elif not isinstance(pattern, str):
            error("AllowedPattern must be a string (a regular expression)", path + ("AllowedPattern",))
        else:
            try:
                spec.allowed_pattern = re.compile(pattern)
            except re.error as exc:
                error(
                    f"AllowedPattern {pattern!r} is not a valid regular expression: {exc}",
                    path + ("AllowedPattern",),
                )
    for key, attribute, integer in (
        ("MinLength", "min_length", True),
        ("MaxLength", "max_length", True),
        ("MinValue", "min_value", False),
        ("MaxValue", "max_value", False),
    ):
        if key in definition and definition[key] is not None:
            try:
                number = _number(definition[key])
                if integer and (not float(number).is_integer() or number < 0):
                    raise ParameterProblem("not a non-negative integer")
            except ParameterProblem:
                error(
                    f"{key} must be a {'non-negative integer' if integer else 'number'}, "
                    f"not {definition[key]!r}",
                    path + (key,),
                )
                continue
            setattr(spec, attribute, int(number) if integer else number)
    if "NoEcho" in definition:
        flag = _as_bool(definition["NoEcho"])
        if flag is None:
            error("NoEcho must be true or false", path + ("NoEcho",))
        spec.no_echo = bool(flag)
    # the CDK refuses Confirm elsewhere; ROS accepts it (official templates do it): warn only
    if (
        "Confirm" in definition
        and _as_bool(definition["Confirm"])
        and (spec.type != STRING or not spec.no_echo)
    ):
        warnings.append(
            TemplateError(
                STACK_VALIDATION_FAILED,
                "Confirm only has an effect on String parameters with NoEcho: true",
                path + ("Confirm",),
                severity=Severity.WARNING,
            )
        )
    description = definition.get("ConstraintDescription")
    if description is not None:
        spec.constraint_description = localized_text(description)


def localized_text(value: Any) -> str:
    """Descriptions may be a locale map (``{en: ..., zh-cn: ...}``): prefer English."""
    if isinstance(value, dict):
        for key in ("en", "en-us", "en-US"):
            if key in value:
                return str(value[key])
        return str(next(iter(value.values()), ""))
    return str(value)


# ---------------------------------------------------------------- binding


def bind_parameters(
    specs: Mapping[str, ParameterSpec],
    given: Mapping[str, Any] | None,
    *,
    previous: Mapping[str, Any] | None = None,
    static: bool = False,
    oos_store: OosParameterStore | None = None,
) -> tuple[dict[str, Any], list[TemplateError]]:
    """Values for every declared parameter (docs/reference/ros-template-language.md#parameters): given, else
    previous, else Default.

    Returns (values, errors); a parameter that fails keeps an :class:`Unknown` value so later
    stages can still report their own problems in the same run.
    """
    errors: list[TemplateError] = []
    values: dict[str, Any] = {}
    given = given or {}
    previous = previous or {}
    for key in given:
        if key not in specs:
            errors.append(
                TemplateError(
                    UNKNOWN_USER_PARAMETER,
                    f"The Parameter ({key}) was not defined in template.",
                    ("Parameters",),
                    details={"parameter": key},
                )
            )
    for name, spec in specs.items():
        if name in given:
            raw, source = given[name], "value"
        elif name in previous:
            raw, source = previous[name], "previous value"
        elif spec.has_default:
            raw, source = spec.default, "Default"
        elif static:
            values[name] = Unknown(SCHEMA_TYPES[spec.type], f"parameter {name}")
            continue
        else:
            errors.append(
                TemplateError(
                    USER_PARAMETER_MISSING,
                    f"The Parameter {name} was not provided.",
                    spec.path,
                    details={"parameter": name},
                )
            )
            values[name] = Unknown(SCHEMA_TYPES[spec.type], f"parameter {name}")
            continue
        if raw is None and source == "Default":  # `Default: null`: empty, validation skipped
            # statically it stands for "whatever the user will pass", so keep it symbolic there
            values[name] = Unknown(SCHEMA_TYPES[spec.type], f"parameter {name}") if static else None
            continue
        if isinstance(raw, Unknown):
            values[name] = raw
            continue
        try:
            value = spec.coerce(raw)
            spec.check(value)
            if spec.type in (OOS_VALUE, OOS_SECRET):
                value = _resolve_oos(spec, value, static, oos_store)
        except ParameterProblem as problem:
            errors.append(spec.invalid(str(problem)))
            value = Unknown(SCHEMA_TYPES[spec.type], f"parameter {name}")
        values[name] = value
    return values, errors


def _resolve_oos(spec: ParameterSpec, name: Any, static: bool, store: OosParameterStore | None) -> Any:
    if static:
        return Unknown("string", f"OOS parameter {name}")
    if store is None:
        from rosengine.template.oos import JsonFileOosStore

        store = JsonFileOosStore()
    try:
        return store.get_parameter(name, secret=spec.type == OOS_SECRET)
    except OosResolutionError as exc:
        raise ParameterProblem(str(exc)) from None


# ---------------------------------------------------------------- coercion


def _to_string(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool | int | float):
        return _text(raw)
    raise ParameterProblem(f"expected a string but got {_kind(raw)}")


def _to_number(raw: Any) -> int | float:
    return _number(raw)


def _to_list(raw: Any) -> list[str]:
    if isinstance(raw, list):
        if any(isinstance(item, dict | list) for item in raw):
            raise ParameterProblem("expected a comma-delimited list of strings")
        return [_text(item) for item in raw]
    if isinstance(raw, str):
        return [item.strip() for item in raw.split(",")] if raw.strip() else []
    if isinstance(raw, bool | int | float):
        return [_text(raw)]
    raise ParameterProblem(f"expected a comma-delimited list but got {_kind(raw)}")


def _to_json(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ParameterProblem(f"not valid JSON ({exc.args[0].split(':')[0]})") from None
    return raw


def _to_boolean(raw: Any) -> bool:
    flag = _as_bool(raw)
    if flag is None:
        raise ParameterProblem(f"expected true or false but got {_show(raw)}")
    return flag


def _to_oos_name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise ParameterProblem("expected the name of an OOS parameter")
    return raw


_COERCERS = {
    STRING: _to_string,
    NUMBER: _to_number,
    LIST: _to_list,
    JSON: _to_json,
    BOOLEAN: _to_boolean,
    OOS_VALUE: _to_oos_name,
    OOS_SECRET: _to_oos_name,
}


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ParameterProblem(f"expected a number but got {_show(raw)}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ParameterProblem(f"{raw} is not a finite number")
        return raw
    if isinstance(raw, str):
        try:
            number = number_from_text(raw)
        except ValueError:
            raise ParameterProblem(f"{raw!r} is not a number") from None
        if not math.isfinite(number):
            raise ParameterProblem(f"{raw!r} is not a finite number")
        return number
    raise ParameterProblem(f"expected a number but got {_kind(raw)}")


def _as_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return None


def _same_number(value: Any, allowed: Any) -> bool:
    try:
        return _number(allowed) == value
    except ParameterProblem:
        return False


def _json_or_self(item: Any) -> Any:
    if isinstance(item, str):
        try:
            return json.loads(item)
        except ValueError:
            return item
    return item


def _check_length(spec: ParameterSpec, value: Any) -> None:
    if not isinstance(value, str | list | dict):
        return
    length = len(value)
    unit = "characters" if isinstance(value, str) else "items"
    if spec.min_length is not None and length < spec.min_length:
        raise ParameterProblem(f"length {length} is shorter than the minimum {spec.min_length} {unit}")
    if spec.max_length is not None and length > spec.max_length:
        raise ParameterProblem(f"length {length} is longer than the maximum {spec.max_length} {unit}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _show(value: Any) -> str:
    return (
        json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, Unknown) else repr(value)
    )


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "null"}.get(type(value), type(value).__name__)
