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

from typing import TYPE_CHECKING, Any

from backend_contract.trigger_config import lookup, oss_trigger_bucket
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

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

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
            from rosengine.validate.jsonschema_ext import RosValidator  # jsonschema: only for failures

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
        from rosengine.validate.explain import explain_failures  # imports jsonschema: failures only

        errors = explain_failures(comp.validator, checked, properties, base_path)
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
    if "OssTriggerBucket" in rules:
        errors.extend(_oss_trigger_bucket_errors(props, base_path))
    return errors


def _oss_trigger_bucket_errors(props: dict[str, Any], base_path: Path) -> list[TemplateError]:
    """An ``oss`` trigger names its bucket in TriggerConfig (``BucketName``) or in ``SourceArn``;
    the backend asks the same function which bucket that is. Values not known before deployment
    (a Ref, a parameter) count as given."""
    config, arn = props.get("TriggerConfig"), props.get("SourceArn")
    if props.get("TriggerType") != "oss" or not isinstance(config, dict) or isinstance(arn, Unknown):
        return []  # another or an unknown type; a TriggerConfig that is no map is the schema's to report
    if lookup(config, "bucketName") is not None:
        return []  # given (its type is the schema's to check)
    if oss_trigger_bucket(config, arn if isinstance(arn, str) else None) is not None:
        return []
    return [
        TemplateError(
            STACK_VALIDATION_FAILED,
            "an oss trigger needs the bucket it watches: 'BucketName' in 'TriggerConfig', or a "
            "'SourceArn' of the form acs:oss:<region>:<account>:<bucket>",
            base_path + ("TriggerConfig",),
            details={"keyword": "crossProperty"},
        )
    ]


def _dedupe(errors: list[TemplateError]) -> list[TemplateError]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for err in errors:
        key = (err.code, err.path, err.message)
        if key not in seen:
            seen.add(key)
            out.append(err)
    return out
