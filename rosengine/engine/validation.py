"""Checks made before an operation starts anything (ROS CreateStack/UpdateStack validate first).

Unknown resource types and types without a provider are errors located at ``Resources.X.Type``.
Properties are checked against the type's schema with ``rosengine.validate.properties`` when that
module is present (it is another part of the project; the engine keeps working without it): once
statically before anything starts (GetAtt/Ref of resources are Unknown values of the declared
type), and again per resource with the real values just before its provider is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resource_types import registry
from rosengine.errors import NOT_SUPPORTED, UNKNOWN_RESOURCE_TYPE, TemplateError, TemplateErrors
from rosengine.functions.base import Unknown

PropertyChecker = Callable[[Any, Any, tuple], list[TemplateError]]


def property_checker() -> PropertyChecker | None:
    try:
        from rosengine.validate.properties import validate_properties
    except ImportError:
        return None
    return validate_properties


def static_attribute(logical_id_to_type: dict[str, str]) -> Callable[[str, str], Any]:
    def attribute(logical_id: str, name: str) -> Any:
        schema = registry.schema(logical_id_to_type.get(logical_id, ""))
        declared = schema.attributes.get(name) if schema is not None else None
        kind = declared.get("type") if isinstance(declared, dict) else None
        return Unknown(kind, f"{logical_id}.{name}")

    return attribute


def _static_physical_id(logical_id: str) -> Any:
    return Unknown("string", f"Ref {logical_id}")


def resource_path(definition: Any, logical_id: str) -> tuple:
    return tuple(getattr(definition, "path", None) or ("Resources", logical_id))


def check_resources(prepared: Any, *, check_properties: bool = True, creatable: bool = True) -> None:
    """Raise TemplateErrors (located when the template has a source map) for resources the
    engine cannot create or whose properties break their schema.

    ``creatable=False`` (PreviewStack: nothing is created) accepts types that have a schema but
    no provider. A type problem is reported once per template resource, not once per Count copy."""
    errors: list[TemplateError] = []
    types = {lid: d.type for lid, d in prepared.resources.items()}
    checker = property_checker() if check_properties else None
    type_reported: set[tuple] = set()
    for logical_id, definition in prepared.resources.items():
        path = resource_path(definition, logical_id)
        name = str(path[1]) if len(path) > 1 else logical_id  # the template's id, not W[0]
        found = registry.get(definition.type)
        if found is None or (creatable and found.provider is None):
            if (path, definition.type) not in type_reported:
                type_reported.add((path, definition.type))
                errors.append(_type_error(definition.type, name, path, known=found is not None))
            continue
        if checker is None:
            continue
        try:
            properties = prepared.resolve_properties(logical_id, static_attribute(types), _static_physical_id)
        except TemplateError as exc:
            errors.append(exc)
            continue
        except TemplateErrors as exc:
            errors.extend(exc.errors)
            continue
        errors.extend(checker(properties, found.schema, path + ("Properties",)))
    errors.extend(output_errors(prepared, types))
    if errors:
        raise TemplateErrors(locate_all(prepared.template, errors))
    if check_properties:
        more = static_template_errors(prepared.template, prepared.parameters)
        if more:
            raise TemplateErrors(more)


def output_errors(prepared: Any, types: dict[str, str]) -> list[TemplateError]:
    """Static errors of every output (an unknown function, a bad reference …), each evaluated on
    its own so one bad output does not hide the next. Found before anything is created: otherwise
    the stack would be created and then fail (and roll back) at the very end for a template error
    ``ros validate`` reports at once."""
    errors: list[TemplateError] = []
    resolve_output = getattr(prepared, "resolve_output", None)
    if not callable(resolve_output):
        return errors
    for name in getattr(prepared, "outputs", {}):
        try:
            resolve_output(name, static_attribute(types), _static_physical_id)
        except TemplateError as exc:
            errors.append(_placed(exc, ("Outputs", name)))
        except TemplateErrors as exc:
            errors.extend(_placed(e, ("Outputs", name)) for e in exc.errors)
    return errors


def _placed(error: TemplateError, fallback: tuple) -> TemplateError:
    if not error.path:
        error.path = fallback
    return error


def static_template_errors(template: Any, parameters: dict[str, Any]) -> list[TemplateError]:
    """Whatever else ``ros validate`` calls an error (anywhere in the template), so CreateStack
    and UpdateStack refuse exactly what validation refuses, as ROS does. Empty when the validator
    breaks (the engine's own checks then stand alone)."""
    from rosengine.validate import check_template

    try:
        return [e for e in check_template(template, parameters, strict=True) if e.severity == "error"]
    except Exception:
        return []


def _type_error(type_name: str, name: str, path: tuple, *, known: bool) -> TemplateError:
    if not known:
        return TemplateError(
            UNKNOWN_RESOURCE_TYPE,
            f"The resource type ({type_name}) of {name} is not supported.",
            path + ("Type",),
        )
    return TemplateError(
        NOT_SUPPORTED,
        f"The resource type ({type_name}) of {name} can be validated but not created locally (no provider).",
        path + ("Type",),
    )


def local_support_note(type_name: str) -> str:
    """Why a resource a preview shows could not really be created here ('' when it could)."""
    found = registry.get(type_name)
    if found is not None and found.provider is None:
        return "create is not supported locally for this type (no provider)"
    return ""


def check_runtime_properties(type_name: str, properties: dict[str, Any], path: tuple) -> None:
    """Validate real (resolved) properties right before a provider call."""
    checker = property_checker()
    found = registry.schema(type_name)
    if checker is None or found is None:
        return
    errors = checker(properties, found, path)
    if errors:
        raise TemplateErrors(errors)


def locate_all(template: Any, errors: list[TemplateError]) -> list[TemplateError]:
    locate = getattr(template, "locate", None)
    if not callable(locate):
        return errors
    located = []
    for error in errors:
        try:
            located.append(locate(error))
        except Exception:
            located.append(error)
    return located


def every_template_error(
    template: Any, parameters: dict[str, Any], found: list[TemplateError]
) -> list[TemplateError]:
    """When preparing fails, report every problem of the template at once, as ``ros validate``
    would (property errors of every resource included), not only what stopped preparation.

    ``found`` (what prepare raised) stays: a static check cannot see everything a real one
    does (a missing parameter value is symbolic there)."""
    try:
        from rosengine.validate import check_template
    except ImportError:
        return found
    try:
        more = [e for e in check_template(template, parameters, strict=True) if e.severity == "error"]
    except Exception:
        return found
    known = {(e.code, e.message) for e in more}
    return more + [e for e in found if (e.code, e.message) not in known]
