"""Helpers every serverless expander uses: reading a resource's parts, what generated resources
inherit, files next to the template, and references to the template's own functions."""

from __future__ import annotations

import os
from typing import Any

from rosengine.errors import Path
from rosengine.template.nodes import function_name
from rosengine.transform.context import PASSED_ON_KEYS, Expansion
from rosengine.transform.serverless.code import CODE_NOT_FOUND

RESOURCE_KEYS = ("Type", "Properties", *PASSED_ON_KEYS)


def properties_of(ctx: Expansion, entry: dict[str, Any], path: Path, what: str) -> dict[str, Any]:
    """The Properties mapping of a resource ({} when absent; an error when not a mapping)."""
    props = entry.get("Properties")
    if props is None:
        return {}
    if not isinstance(props, dict) or function_name(props) is not None:
        ctx.error(f"the Properties of {what} must be a mapping", path + ("Properties",))
        return {}
    return props


def inherited(resource: dict[str, Any]) -> dict[str, Any]:
    """Resource attributes every resource generated from ``resource`` carries."""
    return {key: resource[key] for key in ("Condition", "DeletionPolicy") if key in resource}


def main_attributes(resource: dict[str, Any]) -> dict[str, Any]:
    """Resource attributes of the main resource an expansion generates (Metadata and the
    resource's Description stay with it only)."""
    return {
        key: resource[key]
        for key in ("Condition", "DeletionPolicy", "Metadata", "Description")
        if key in resource
    }


def depends_of(value: Any) -> list[str]:
    """The logical ids of a DependsOn value (one id or a list)."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def no_children(ctx: Expansion, logical_id: str, resource: dict[str, Any]) -> None:
    """An error for each key of a resource that cannot hold nested resources."""
    for name in resource:
        if name not in RESOURCE_KEYS:
            ctx.error(f"resource {logical_id!r} has an unknown key {name!r}", ("Resources", logical_id, name))


def read_text(ctx: Expansion, value: Any, where: Path, what: str) -> str | None:
    """The text of a file named relative to the template (a warning when it is not there)."""
    if not isinstance(value, str) or not value:
        ctx.error(f"{what} must be a path relative to the template", where)
        return None
    full = ctx.resolve_file(value, where, what)
    if full is None:
        return None
    if not os.path.isfile(full):
        ctx.warning(f"{what} {value!r} ({full}) does not exist", where, CODE_NOT_FOUND)
        return None
    with open(full, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def reference_function(ctx: Expansion, service: Any, function: Any, depends: list[str]) -> tuple[Any, Any]:
    """A (service name, function name) pair as written; when the service is a serverless service
    of this template (by logical id), its generated names instead, and a dependency on them."""
    functions = ctx.services.get(service) if isinstance(service, str) else None
    if functions is None:
        return service, function
    depends.append(service)
    generated = functions.get(function) if isinstance(function, str) else None
    if generated is not None:
        depends.append(generated)
        function = {"Fn::GetAtt": [generated, "FunctionName"]}
    return {"Fn::GetAtt": [service, "ServiceName"]}, function
