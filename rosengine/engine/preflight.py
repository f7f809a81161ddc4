"""What the engine checks before an operation starts anything (ROS CreateStack/UpdateStack
validate first): the template's static problems, through the same check ``ros validate`` runs,
then whether every resource type can really be created here.

Why the provider check takes the set of creatable types as an argument: what "can be created"
means grows (twins, placeholders deployed on request); callers decide the set, this module only
names precisely what falls outside it, in one error.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from resource_types import registry
from rosengine.errors import NOT_SUPPORTED, Severity, TemplateError, TemplateErrors
from rosengine.template.model import Template
from rosengine.template.prepare import PreparedTemplate
from rosengine.validate import check_properties, check_template, schema_for
from rosengine.validate.resource_schemas import CUSTOM_PREFIX, CUSTOM_RESOURCE


def static_errors(template: Template, parameters: Mapping[str, Any]) -> list[TemplateError]:
    """Every error ``ros validate`` reports for this template with these parameter values."""
    return [e for e in check_template(template, parameters) if e.severity == Severity.ERROR]


def merged(first: list[TemplateError], second: list[TemplateError]) -> list[TemplateError]:
    """``first`` plus the errors of ``second`` it does not already state."""
    known = {(e.code, e.message) for e in first}
    return first + [e for e in second if (e.code, e.message) not in known]


def missing_providers(
    prepared: PreparedTemplate,
    creatable: Collection[str],
    nested: Mapping[str, list[str]] | None = None,
) -> TemplateError | None:
    """One error naming every known resource type of ``prepared`` outside ``creatable`` (with the
    resources of each), located at the first such resource; None when all can be created.
    ``Custom::<Name>`` counts as ``ALIYUN::ROS::CustomResource``; a type with no schema is left to
    the static check (it reports it as unknown). ``nested`` adds the types of nested templates
    that cannot be created (``type -> ["Nested.Resource", ...]``)."""
    missing: dict[str, list[str]] = {}
    first_path: tuple[str | int, ...] | None = None
    for logical_id, definition in prepared.resources.items():
        kind = CUSTOM_RESOURCE if definition.type.startswith(CUSTOM_PREFIX) else definition.type
        if kind in creatable or schema_for(definition.type) is None:
            continue
        name = definition.count_of or logical_id
        names = missing.setdefault(definition.type, [])
        if name not in names:
            names.append(name)
        if first_path is None:
            first_path = tuple(definition.path) + ("Type",)
    for type_name, names in (nested or {}).items():
        missing.setdefault(type_name, []).extend(n for n in names if n not in missing.get(type_name, []))
    if not missing:
        return None
    listed = "; ".join(f"{type_name} ({', '.join(names)})" for type_name, names in sorted(missing.items()))
    count = len(missing)
    marked = "them as marked placeholders" if count > 1 else "it as a marked placeholder"
    error = TemplateError(
        NOT_SUPPORTED,
        f"{count} resource type{'s' if count > 1 else ''} of this template "
        f"{'have' if count > 1 else 'has'} no local implementation, so the stack cannot be created "
        f"here: {listed}. Deploy {marked} (IDs and attributes only, nothing runs) with --placeholders; "
        "ros validate checks them; ros stack preview shows the plan.",
        first_path or ("Resources",),
        details={"types": sorted(missing)},
    )
    return prepared.template.locate(error)


def require_valid_properties(type_name: str, properties: Any, path: tuple[str | int, ...]) -> None:
    """Real (resolved) properties checked right before the provider is called."""
    errors = check_properties(type_name, properties, path)
    if errors:
        raise TemplateErrors(errors)


def local_support_note(type_name: str, placeholders: bool = False) -> str:
    """Why a resource a preview shows could not really be created here ('' when it could)."""
    kind = CUSTOM_RESOURCE if type_name.startswith(CUSTOM_PREFIX) else type_name
    if kind in registry.provider_types():
        return ""
    if placeholders:
        return f"placeholder: no local twin for {type_name}"
    return "create is not supported locally for this type (no local implementation)"
