"""Read the facts of one ROS CDK ``*.generated.js`` file: types, property names, validators.

Why the JavaScript and not only the jsii assembly: jsii knows the TypeScript side (``securityIpList``,
optional flags, types), but only the generated code knows each property's template name
(``SecurityIPList``), the resource type name and the constraints (allowed values, ranges, lengths,
patterns). The code is machine-generated and regular; every statement shape it uses is recognised
below, and anything else is reported (:attr:`JsFile.notes`) rather than skipped.

The shapes, per resource class ``RosX`` (type name in ``RosX.ROS_RESOURCE_TYPE_NAME``):

* ``function rosXPropsToRosTemplate(properties, ...)`` returns
  ``{'TemplateName': CONVERTER(properties.camel)}``; CONVERTER is ``ros.stringToRosTemplate`` (and
  number/boolean/object/anyDict/rosTag), ``ros.listMapper(C)``, ``ros.hashMapper(C)`` or a nested
  struct's ``rosXYPropertyToRosTemplate``;
* each converter first runs its validator ``RosXPropsValidator`` / ``RosX_YPropertyValidator``, whose
  statements are ``ros.propertyValidator('camel', V)(properties.camel)`` with V a required/type
  check, or an ``if`` around allowed values, a range, a length or a pattern check;
* the class constructor declares the attributes: ``this.attrArn = this.getAtt('Arn')``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# A type as the facts file writes it: "string" | "number" | "boolean" | "any" |
# ["list", T] | ["map", T] | ["struct", Name] | ["tag"]
TypeExpr = Any

_PRIMITIVE_CONVERTERS = {
    "ros.stringToRosTemplate": "string",
    "ros.numberToRosTemplate": "number",
    "ros.booleanToRosTemplate": "boolean",
    "ros.objectToRosTemplate": "any",
}
_PRIMITIVE_VALIDATORS = {
    "ros.validateString": "string",
    "ros.validateNumber": "number",
    "ros.validateBoolean": "boolean",
    "ros.validateAny": "any",
}

_FUNCTION = re.compile(r"^function (\w+)\((properties[^)]*)\) \{\n(.*?)\n\}$", re.S | re.M)
_RESOURCE_TYPE = re.compile(r'^(Ros\w+)\.ROS_RESOURCE_TYPE_NAME = "([^"]*)";$', re.M)
_CLASS = re.compile(r"^class (Ros\w+) extends ros\.RosResource \{\n(.*?)\n\}$", re.S | re.M)
# 1.0.0 wrapped the reference: this.attrArn = ros.Token.asString(this.getAtt('Arn'));
_ATTRIBUTE = re.compile(r"^ {8}this\.attr\w+ = (?:ros\.Token\.as\w+\()?this\.getAtt\('([^']*)'\)\)?;$", re.M)
_RENDER = re.compile(r"return (\w+)ToRosTemplate\(props, this\.enableResourcePropertyConstraint\);")
# Keys are quoted ('SecurityIPList') since 1.1; older releases left plain identifiers unquoted.
_MAPPING_LINE = re.compile(r"^ {8}(?:'([^']*)'|([A-Za-z_$][\w$]*)): (.+)\(properties\.(\w+)\),$")
_CONVERTER_CHECK = re.compile(r"(?:^|\n) *(\w+)Validator\(properties\)\.assertSuccess\(\);")
_STATEMENT_SPLIT = re.compile(r"\n(?=    \S)")
_COLLECT = re.compile(r"^errors\.collect\(ros\.propertyValidator\('(\w+)', (.+)\)\(properties\.(\w+)\)\);$")
_GUARDED = re.compile(
    r"^if \(properties\.(\w+) && .*\) \{\s*errors\.collect\(ros\.propertyValidator\('(\w+)', "
    r"ros\.(validateAllowedValues|validateRange|validateLength|validateAllowedPattern)\)\(\{(.*)\}\)\);\s*\}?$",
    re.S,
)


@dataclass
class Converter:
    """``{template name: (camel name, type)}`` of one struct, plus the validator it runs."""

    validator: str | None
    properties: dict[str, tuple[str, TypeExpr]] = field(default_factory=dict)


@dataclass
class Constraints:
    """What one validator function says about each camel-cased property."""

    required: set[str] = field(default_factory=set)
    types: dict[str, TypeExpr] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ResourceClass:
    class_name: str
    type_name: str
    attributes: list[str]
    converter: str  # the name of its props converter, without "ToRosTemplate"


@dataclass
class JsFile:
    resources: list[ResourceClass] = field(default_factory=list)
    converters: dict[str, Converter] = field(default_factory=dict)
    validators: dict[str, Constraints] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def parse(text: str, where: str) -> JsFile:
    """Every resource class, converter and validator of one generated JavaScript file."""
    out = JsFile()
    for match in _FUNCTION.finditer(text):
        name, body = match.group(1), match.group(3)
        if name.endswith("ToRosTemplate"):
            out.converters[name[: -len("ToRosTemplate")]] = _converter(body, f"{where}: {name}", out.notes)
        elif name.endswith("Validator"):
            out.validators[name[: -len("Validator")]] = _validator(body, f"{where}: {name}", out.notes)
    types = dict(_RESOURCE_TYPE.findall(text))
    for match in _CLASS.finditer(text):
        class_name, body = match.group(1), match.group(2)
        render = _RENDER.search(body)
        if class_name not in types or render is None:
            out.notes.append(f"{where}: class {class_name} has no resource type name or no renderer")
            continue
        out.resources.append(
            ResourceClass(class_name, types[class_name], _ATTRIBUTE.findall(body), render.group(1))
        )
    return out


def _converter(body: str, where: str, notes: list[str]) -> Converter:
    head, _, mapping = body.partition("return {")
    check = _CONVERTER_CHECK.search(head)
    converter = Converter(check.group(1) if check else None)
    for line in mapping.splitlines():
        if line.strip() in ("", "};", "}"):
            continue
        match = _MAPPING_LINE.match(line)
        if match is None:
            notes.append(f"{where}: unrecognised property line {line.strip()!r}")
            continue
        quoted, bare, expression, camel = match.groups()
        template_name = quoted if quoted is not None else bare
        kind = converter_type(expression)
        if kind is None:
            notes.append(f"{where}: unknown converter {expression!r} for {template_name!r}")
            continue
        if template_name != template_name.strip():
            notes.append(
                f"{where}: template name {template_name!r} has surrounding spaces; "
                f"written as {template_name.strip()!r}"
            )
            template_name = template_name.strip()
        converter.properties[template_name] = (camel, kind)
    return converter


def converter_type(expression: str) -> TypeExpr | None:
    """The type a converter expression renders: ``ros.listMapper(ros.stringToRosTemplate)`` is
    ``["list", "string"]``; a nested struct converter is ``["struct", <its name>]``."""
    if expression in _PRIMITIVE_CONVERTERS:
        return _PRIMITIVE_CONVERTERS[expression]
    if expression == "ros.anyDictToRosTemplate":
        return ["map", "any"]
    if expression == "ros.rosTagToRosTemplate":
        return ["tag"]
    for wrapper, kind in (("ros.listMapper(", "list"), ("ros.hashMapper(", "map")):
        if expression.startswith(wrapper) and expression.endswith(")"):
            inner = converter_type(expression[len(wrapper) : -1])
            return [kind, inner] if inner is not None else None
    if re.fullmatch(r"ros[A-Z]\w*ToRosTemplate", expression):
        return ["struct", expression[: -len("ToRosTemplate")]]
    return None


def validator_type(expression: str) -> TypeExpr | None:
    """The type a validator expression checks, in the same form as :func:`converter_type` (a
    struct is named by its converter's name, which :func:`parse`'s caller resolves)."""
    if expression in _PRIMITIVE_VALIDATORS:
        return _PRIMITIVE_VALIDATORS[expression]
    if expression == "ros.validateAnyDict":
        return ["map", "any"]
    if expression == "ros.validateRosTag":
        return ["tag"]
    for wrapper, kind in (("ros.listValidator(", "list"), ("ros.hashValidator(", "map")):
        if expression.startswith(wrapper) and expression.endswith(")"):
            inner = validator_type(expression[len(wrapper) : -1])
            return [kind, inner] if inner is not None else None
    if re.fullmatch(r"Ros\w+PropertyValidator", expression):
        return ["validator", expression[: -len("Validator")]]
    return None


def _validator(body: str, where: str, notes: list[str]) -> Constraints:
    found = Constraints()
    for statement in _STATEMENT_SPLIT.split(body):
        statement = statement.strip()
        if statement in (
            "if (!ros.canInspect(properties)) {\n        return ros.VALIDATION_SUCCESS;",
            "}",
            "const errors = new ros.ValidationResults();",
        ) or statement.startswith("return errors.wrap("):
            continue
        collected = _COLLECT.match(statement)
        if collected is not None:
            name, expression, argument = collected.groups()
            if name != argument:
                notes.append(f"{where}: validator for {name!r} reads {argument!r}")
            if expression == "ros.requiredValidator":
                found.required.add(name)
                continue
            kind = validator_type(expression)
            if kind is None:
                notes.append(f"{where}: unknown validator {expression!r} for {name!r}")
            else:
                found.types[name] = kind
            continue
        guarded = _GUARDED.match(statement)
        if guarded is not None:
            guard_name, name, check, arguments = guarded.groups()
            if guard_name != name:
                notes.append(f"{where}: check of {name!r} guarded by {guard_name!r}")
            fact = _check_arguments(check, arguments, f"{where}: {name}", notes)
            if fact:
                found.checks.setdefault(name, {}).update(fact)
            continue
        notes.append(f"{where}: unrecognised statement {statement[:120]!r}")
    return found


_ARGUMENT = re.compile(r"^\s*(\w+): (.*?),?\s*$")


def _check_arguments(check: str, arguments: str, where: str, notes: list[str]) -> dict[str, Any]:
    values: dict[str, str] = {}
    for line in arguments.strip().splitlines():
        match = _ARGUMENT.match(line)
        if match is None:
            notes.append(f"{where}: unrecognised {check} argument {line.strip()!r}")
            return {}
        values[match.group(1)] = match.group(2)
    if check == "validateAllowedValues":
        try:
            allowed = json.loads(values["allowedValues"])
        except (KeyError, ValueError):
            notes.append(f"{where}: allowed values not readable: {values.get('allowedValues')!r}")
            return {}
        return {"allowed": allowed}
    if check == "validateAllowedPattern":
        literal = values.get("reg", "")
        if not (literal.startswith("/") and literal.rfind("/") > 0):
            notes.append(f"{where}: pattern not readable: {literal!r}")
            return {}
        end = literal.rfind("/")
        fact: dict[str, Any] = {"pattern": literal[1:end]}
        if literal[end + 1 :]:
            fact["patternFlags"] = literal[end + 1 :]
        return fact
    low, high = _bound(values.get("min"), where, notes), _bound(values.get("max"), where, notes)
    keys = ("min", "max") if check == "validateRange" else ("minLength", "maxLength")
    # The CDK skips a bound that is 0 or missing (``if (prop.min && ...)``): so do we.
    return {key: value for key, value in zip(keys, (low, high), strict=True) if value}


def _bound(text: str | None, where: str, notes: list[str]) -> int | float | None:
    if text is None or text == "undefined":
        return None
    try:
        number = float(text)
    except ValueError:
        notes.append(f"{where}: bound not readable: {text!r}")
        return None
    return int(number) if number.is_integer() else number
