"""Property validation: a resource's (statically resolved) Properties against its type's schema.

A pure function, :func:`validate_properties`, so that ``ros validate`` and the stack engine (before
create/update starts anything) apply exactly the same rules. It reports *every* problem, each as a
:class:`~rosengine.errors.TemplateError` whose path is the template path of the offending value
(``Resources.Fn.Properties.Timeout``), ready to be located by the template's source map.

Rules (beyond what jsonschema does with our ROS-flavoured keywords, see ``jsonschema_ext``):

* maps named in ``caseInsensitiveProperties`` (TriggerConfig) have their keys matched to the schema's
  spelling regardless of case, recursively; errors still point at the key as the author wrote it;
* ``crossPropertyRules`` in a schema name checks jsonschema cannot express:
  ``InstanceSoftConcurrency<=InstanceConcurrency`` and ``CpuMemoryRatio`` (vCPU : memory in GB
  between 1:1 and 1:4, docs/reference/fc-runtime.md#limits);
* a wrong type is ``InvalidTemplatePropertyType`` (the ROS code); every other property problem is
  ``StackValidationFailed``, as ROS reports it;
* a ``null`` value in a map is the property left out (ROS reads it so), so only a required one
  is reported (missing);
* a property or field the schema marks ``deprecated`` (a name only older ROS CDK releases
  describe) is accepted with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator

from resource_types.base import ResourceTypeSchema
from rosengine.errors import (
    INVALID_TEMPLATE_PROPERTY_TYPE,
    STACK_VALIDATION_FAILED,
    Path,
    Severity,
    TemplateError,
)
from rosengine.functions.base import Unknown
from rosengine.validate.coercion import as_number, describe_type
from rosengine.validate.fastcheck import Check, compile_check
from rosengine.validate.jsonschema_ext import RosValidator, spelling_key

# Top-level schema keys that are JSON Schema (the rest of a type file is metadata for us).
_COMPOSITION_KEYS = ("allOf", "anyOf", "oneOf", "dependencies", "if", "then", "else")


class _CompiledSchema:
    """What validating one resource type needs, built once per schema object."""

    def __init__(self, schema: ResourceTypeSchema):
        self.schema = schema  # keeps id(schema) from being reused while cached
        document = schema.json_schema()
        for key in _COMPOSITION_KEYS:
            if key in schema.raw:
                document[key] = schema.raw[key]
        self.document = document
        self._validator: Validator | None = None
        self.case_maps: dict[str, dict[str, str]] = {
            name: _case_map(document, name) for name in schema.case_insensitive
        }
        self.rules: tuple[str, ...] = tuple(schema.raw.get("crossPropertyRules", ()))
        self.is_valid: Check | None = compile_check(document)
        self.has_deprecated = _marks_deprecated(schema.raw.get("properties", {}))

    @property
    def validator(self) -> Validator:
        """The jsonschema validator, built on first use: it only explains failures the fast
        check found, and building one costs more than most templates' whole check."""
        if self._validator is None:
            self._validator = RosValidator(self.document)
        return self._validator


def _marks_deprecated(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("deprecated") is True or any(_marks_deprecated(v) for v in node.values())
    if isinstance(node, list):
        return any(_marks_deprecated(v) for v in node)
    return False


_compiled: dict[int, _CompiledSchema] = {}


def compiled(schema: ResourceTypeSchema) -> _CompiledSchema:
    found = _compiled.get(id(schema))
    if found is None or found.schema is not schema:
        found = _compiled[id(schema)] = _CompiledSchema(schema)
    return found


def schema_document(schema: ResourceTypeSchema) -> dict[str, Any]:
    """The full JSON Schema (Draft 7) document the Properties of ``schema`` are validated against."""
    return compiled(schema).document


def validate_properties(
    properties: Any, schema: ResourceTypeSchema, base_path: Path = ()
) -> list[TemplateError]:
    """All problems of ``properties`` under ``schema``; paths are ``base_path`` + the property path.

    ``properties`` may contain :class:`Unknown` values (checked by declared type only). ``None``
    means no Properties were given (required properties are then reported missing).
    """
    base_path = tuple(base_path)
    if isinstance(properties, Unknown):
        return []
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return [
            TemplateError(
                INVALID_TEMPLATE_PROPERTY_TYPE,
                f"Properties must be a map, got {describe_type(properties)}",
                base_path,
            )
        ]
    comp = compiled(schema)
    checked = _without_nulls(properties)
    for name, case_map in comp.case_maps.items():
        if name in checked:
            checked[name] = _canonical_keys(checked[name], case_map)
    if comp.is_valid is not None and comp.is_valid(checked):
        errors: list[TemplateError] = []  # the common case; jsonschema only runs to explain failures
    else:
        errors = [
            _to_template_error(err, properties, base_path)
            for raw in comp.validator.iter_errors(checked)
            for err in _split_required(raw)
        ]
    mistyped = {e.path for e in errors if e.details.get("keyword") == "type"}
    errors = [e for e in errors if e.path not in mistyped or e.details.get("keyword") == "type"]
    errors.extend(_cross_property_errors(comp.rules, checked, base_path))
    if comp.has_deprecated:
        errors.extend(_deprecated_uses(checked, comp.document, base_path))
    errors.sort(key=lambda e: [str(p) for p in e.path])
    return _dedupe(errors)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _deprecated_uses(value: Any, schema: Any, path: Path) -> list[TemplateError]:
    """A warning for each retired property or field ``value`` uses (schemas mark them)."""
    found: list[TemplateError] = []
    if not isinstance(schema, dict):
        return found
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        for name, item in value.items():
            sub = schema["properties"].get(name)
            if not isinstance(sub, dict):
                continue
            if sub.get("deprecated"):
                found.append(
                    TemplateError(
                        STACK_VALIDATION_FAILED,
                        f"'{name}' is a retired property: only older ROS CDK releases describe it, "
                        "and ROS may ignore it",
                        (*path, name),
                        severity=Severity.WARNING,
                        details={"keyword": "deprecated"},
                    )
                )
            found.extend(_deprecated_uses(item, sub, (*path, name)))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found.extend(_deprecated_uses(item, schema["items"], (*path, index)))
    return found


# --- case-insensitive maps -------------------------------------------------------------------


def _case_map(document: dict[str, Any], property_name: str) -> dict[str, str]:
    """lower-case key -> schema spelling, for every key any schema of ``property_name`` names."""
    definitions = document.get("definitions", {})
    names: dict[str, str] = {}
    seen: set[int] = set()

    def collect(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                collect(item)
            return
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            collect(definitions.get(ref.rsplit("/", 1)[-1]))
        for key in node.get("properties", {}) or {}:
            names.setdefault(key.lower(), key)
        for key, value in node.items():
            if key in ("properties", "patternProperties", "definitions"):
                for sub in (value or {}).values():
                    collect(sub)
            elif isinstance(value, dict | list):
                collect(value)

    def find_entry_points(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                find_entry_points(item)
        elif isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and property_name in props:
                collect(props[property_name])
            for key, value in node.items():
                if key != "definitions" and isinstance(value, dict | list):
                    find_entry_points(value)

    find_entry_points(document)
    return names


def _canonical_keys(value: Any, case_map: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            (case_map.get(k.lower(), k) if isinstance(k, str) else k): _canonical_keys(v, case_map)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_canonical_keys(v, case_map) for v in value]
    return value


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


# --- messages --------------------------------------------------------------------------------


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


# --- rules jsonschema cannot express ----------------------------------------------------------


def _cross_property_errors(
    rules: tuple[str, ...], props: dict[str, Any], base_path: Path
) -> list[TemplateError]:
    errors: list[TemplateError] = []
    if "InstanceSoftConcurrency<=InstanceConcurrency" in rules:
        soft, hard = (
            as_number(props.get("InstanceSoftConcurrency")),
            as_number(props.get("InstanceConcurrency")),
        )
        if soft is not None and hard is not None and soft > hard:
            errors.append(
                TemplateError(
                    STACK_VALIDATION_FAILED,
                    f"'InstanceSoftConcurrency' ({soft}) must not exceed 'InstanceConcurrency' ({hard})",
                    base_path + ("InstanceSoftConcurrency",),
                    details={"keyword": "crossProperty"},
                )
            )
    if "CpuMemoryRatio" in rules:
        cpu, memory = as_number(props.get("Cpu")), as_number(props.get("MemorySize"))
        if cpu and memory and cpu > 0:
            ratio = (memory / 1024) / cpu
            if not 1 - 1e-9 <= ratio <= 4 + 1e-9:
                errors.append(
                    TemplateError(
                        STACK_VALIDATION_FAILED,
                        f"'Cpu' {cpu} with 'MemorySize' {memory} MB gives vCPU : memory GB of 1:{ratio:.2f}; "
                        "it must be between 1:1 and 1:4",
                        base_path + ("Cpu",),
                        details={"keyword": "crossProperty"},
                    )
                )
    return errors


def _dedupe(errors: list[TemplateError]) -> list[TemplateError]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for err in errors:
        key = (err.code, err.path, err.message)
        if key not in seen:
            seen.add(key)
            out.append(err)
    return out
