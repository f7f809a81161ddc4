"""The one static check of a loaded template: what ``ros validate``, the stack engine's pre-flight
and the tests all call.

The pipeline: prepare statically (parameters bound or left symbolic, Rules, Conditions, Locals,
Count, references, the dependency graph, ``Fn::GetAtt`` attribute names) → for each resource: is
its type known? → resolve its Properties (``Fn::GetAtt`` results and resources' ``Ref`` are
:class:`Unknown` values of the attribute's declared type, made by :func:`unknown_attribute` and
:func:`unknown_physical_id`, the only place such values are made) → check them against the
type's schema → resolve every output. A failing stage reports all of its errors and the later
stages go on with what could be built, so one problem never hides the next.

Resource types (ROS rejects a type it does not know, so do we):

* a type with a schema is checked; a retired one (only older ROS CDK releases describe it) is a
  warning;
* ``Custom::<Name>`` is a custom resource (``ALIYUN::ROS::CustomResource``);
* ``MODULE::<Org>::<Service>::<Name>`` is a ROS module (registered in the account, or published
  by Alibaba Cloud as ``MODULE::ACS::...``): we cannot know its properties, so it is a note;
* anything else is an ``UnknownResourceType`` error, with the closest known type when one is near.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Mapping
from typing import Any

from resource_types import registry
from rosengine.errors import (
    UNKNOWN_RESOURCE_TYPE,
    Path,
    Severity,
    TemplateError,
    TemplateErrors,
)
from rosengine.functions.base import NO_VALUE, Unknown
from rosengine.template.model import Template
from rosengine.template.prepare import PreparedTemplate, prepare
from rosengine.validate.properties import validate_properties
from rosengine.validate.resource_schemas import attribute_names, schema_for

MODULE_PREFIX = "MODULE::"


def unknown_attribute(types: Mapping[str, str]) -> Callable[[str, str], Unknown]:
    """``Fn::GetAtt`` of a resource that does not exist yet: an Unknown of the attribute's declared
    type (``types`` maps logical ids to resource types)."""

    def attribute(logical_id: str, name: str) -> Unknown:
        type_name = types.get(logical_id)
        names = attribute_names(type_name) if type_name is not None else None
        return Unknown(names.type_of(name) if names is not None else None, f"Fn::GetAtt {logical_id}.{name}")

    return attribute


def unknown_physical_id(logical_id: str) -> Unknown:
    """``Ref`` of a resource that does not exist yet: its physical id, a string."""
    return Unknown("string", f"Ref {logical_id}")


def check_template(template: Template, parameters: Mapping[str, Any] | None = None) -> list[TemplateError]:
    """Every problem of a loaded template, located (file/line/col filled in), each once."""
    errors: list[TemplateError] = list(template.warnings)
    try:
        prepared: PreparedTemplate | None = prepare(
            template, dict(parameters or {}), static=True, attribute_names=attribute_names
        )
    except (TemplateError, TemplateErrors) as exc:
        errors.extend(exc.errors if isinstance(exc, TemplateErrors) else [exc])
        # Errors in one place (a wrong reference in Outputs, a typo in an attribute name) must
        # not hide the property errors of every resource: go on with what prepare could build.
        prepared = exc.partial if isinstance(exc, TemplateErrors) else None
    if prepared is not None:
        errors.extend(_resource_errors(prepared))
        errors.extend(_output_errors(prepared))
    for err in errors:
        template.locate(err)
    return _dedupe(errors)


def check_properties(type_name: str, properties: Any, path: Path) -> list[TemplateError]:
    """Real (resolved) properties of one resource against its type's schema (the engine calls
    this right before a provider does anything); nothing when the type has no schema."""
    schema = schema_for(type_name)
    if schema is None:
        return []
    return [e for e in validate_properties(properties, schema, path) if e.severity == Severity.ERROR]


def resource_type_finding(type_name: Any, path: Path) -> TemplateError | None:
    """What to say about a resource's ``Type`` (None: a known, current type)."""
    if not isinstance(type_name, str):
        return None  # the section check reports a Type that is not a string
    schema = schema_for(type_name)
    if schema is not None:
        if schema.raw.get("deprecated"):
            return TemplateError(
                UNKNOWN_RESOURCE_TYPE,
                f"The resource type ({type_name}) is retired: only older ROS CDK releases describe it, "
                "and ROS may no longer create it",
                path + ("Type",),
                severity=Severity.WARNING,
            )
        return None
    if type_name.startswith(MODULE_PREFIX) and len(type_name.split("::")) == 4:
        return TemplateError(
            UNKNOWN_RESOURCE_TYPE,
            f"{type_name} is a ROS module; its properties are not checked",
            path + ("Type",),
            severity=Severity.INFO,
        )
    guess = closest_type(type_name)
    hint = f"; did you mean {guess}?" if guess else ""
    return TemplateError(
        UNKNOWN_RESOURCE_TYPE,
        f"The resource type ({type_name}) is not supported{hint}",
        path + ("Type",),
        details={"suggestion": guess} if guess else {},
    )


@functools.lru_cache(maxsize=1024)
def closest_type(type_name: str) -> str | None:
    """The known type a misspelt one most likely meant: the same name in another case, else the
    closest name of the same family, else a near name in another family (ALIYUN::ECS::EIP is
    ALIYUN::VPC::EIP)."""
    by_fold, by_last = _type_tables()
    folded = type_name.lower()
    if folded in by_fold:
        return by_fold[folded]
    family, _, last = folded.rpartition("::")
    same_family = {name.rsplit("::", 1)[-1]: name for name in by_fold if name.startswith(family + "::")}
    match = difflib.get_close_matches(last, sorted(same_family), n=1, cutoff=0.7)
    if match:
        return by_fold[same_family[match[0]]]
    prefix = folded.split("::", 1)[0] + "::"
    near = [
        name
        for segment in difflib.get_close_matches(last, list(by_last), n=5, cutoff=0.8)
        for name in by_last[segment]
        if name.startswith(prefix)
    ]
    matches = difflib.get_close_matches(folded, near, n=1, cutoff=0)
    return by_fold[matches[0]] if matches else None


@functools.lru_cache(maxsize=1)
def _type_tables() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Known types by lower-case name, and lower-case names by their last segment."""
    by_fold = {name.lower(): name for name in registry.type_names()}
    by_last: dict[str, list[str]] = {}
    for name in sorted(by_fold):
        by_last.setdefault(name.rsplit("::", 1)[-1], []).append(name)
    return by_fold, by_last


def _resource_errors(prepared: PreparedTemplate) -> list[TemplateError]:
    errors: list[TemplateError] = []
    attributes = unknown_attribute({lid: r.type for lid, r in prepared.resources.items()})
    reported_types: set[tuple[Any, ...]] = set()
    for logical_id, resource in prepared.resources.items():
        base = tuple(resource.path)
        if (base, resource.type) not in reported_types:  # Count copies share one Type line
            reported_types.add((base, resource.type))
            finding = resource_type_finding(resource.type, base)
            if finding is not None:
                errors.append(finding)
        properties: dict[str, Any] | None
        try:
            properties = prepared.resolve_properties(logical_id, attributes, unknown_physical_id)
        except (TemplateError, TemplateErrors) as exc:
            errors.extend(_errors_at(exc, base + ("Properties",)))
            properties = _resolve_each_property(prepared, logical_id, attributes, errors)
            if properties is None:
                continue
        schema = schema_for(resource.type)
        if schema is not None:
            errors.extend(validate_properties(properties, schema, base + ("Properties",)))
    return errors


def _output_errors(prepared: PreparedTemplate) -> list[TemplateError]:
    """Each output on its own: a bad output must not hide the next one's error."""
    errors: list[TemplateError] = []
    attributes = unknown_attribute({lid: r.type for lid, r in prepared.resources.items()})
    for name in prepared.outputs:
        try:
            prepared.resolve_output(name, attributes, unknown_physical_id)
        except (TemplateError, TemplateErrors) as exc:
            errors.extend(_errors_at(exc, ("Outputs", name)))
    return errors


def _resolve_each_property(
    prepared: PreparedTemplate,
    logical_id: str,
    attributes: Callable[[str, str], Unknown],
    errors: list[TemplateError],
) -> dict[str, Any] | None:
    """Properties resolved one by one after the whole failed: each property's own errors are
    added to ``errors`` (the first is found again; :func:`_dedupe` drops the repeat), and a
    property that cannot be evaluated becomes an Unknown of no declared type, so the schema still
    checks the others: one bad function must not hide the next one or a wrong type next to it."""
    resource = prepared.resources[logical_id]
    if not isinstance(resource.properties, dict):
        return None
    resolved: dict[str, Any] = {}
    for key, node in resource.properties.items():
        path = tuple(resource.path) + ("Properties", key)
        try:
            value = prepared.resolve(
                node,
                path,
                attributes=attributes,
                physical_ids=unknown_physical_id,
                referencer=f"Resources.{logical_id}",
                index=resource.index,
            )
        except (TemplateError, TemplateErrors) as exc:
            errors.extend(_errors_at(exc, path))
            value = Unknown(None, f"{logical_id}.{key}")
        if value is not NO_VALUE:
            resolved[key] = value
    return resolved


def _errors_at(exc: TemplateError | TemplateErrors, fallback: Path) -> list[TemplateError]:
    """The errors of ``exc``; one raised without a path (by a callback) is placed at ``fallback``."""
    found = exc.errors if isinstance(exc, TemplateErrors) else [exc]
    for err in found:
        if not err.path:
            err.path = fallback
    return found


def _dedupe(errors: list[TemplateError]) -> list[TemplateError]:
    """Report each problem once: Count copies of one resource repeat it, and a problem found
    while preparing is found again (at the enclosing path) when the properties are resolved —
    the deepest, most precise location wins."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for err in errors:
        key = (err.code, tuple(err.path), err.message, err.line, err.col)
        if key not in seen:
            seen.add(key)
            unique.append(err)

    def same_problem(deep: TemplateError, shallow: TemplateError) -> bool:
        """One problem seen twice: same code, nested paths, and one message the other's start (the
        graph check says "… is incorrect. No such resource.", the evaluator "… is incorrect.")."""
        path = tuple(shallow.path)
        if deep is shallow or len(deep.path) <= len(path) or tuple(deep.path[: len(path)]) != path:
            return False
        a, b = deep.message.rstrip(". "), shallow.message.rstrip(". ")
        return a.startswith(b) or b.startswith(a)

    # Errors by (code, each proper prefix of their path): the deeper candidates of an error are
    # found by one lookup, not by comparing every pair of one code (8,000 errors took 17 s).
    below: dict[tuple[Any, ...], list[TemplateError]] = {}
    for other in unique:
        path = tuple(other.path)
        for end in range(len(path)):
            below.setdefault((other.code, path[:end]), []).append(other)
    kept = []
    for err in unique:
        deeper = [other for other in below.get((err.code, tuple(err.path)), ()) if same_problem(other, err)]
        if not deeper:
            kept.append(err)
        elif len(err.message) > len(deeper[0].message):
            deeper[0].message = err.message  # the deepest location, with the fuller explanation
    return kept
