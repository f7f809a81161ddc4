"""``ros resource-types list|show``: what ROS's ListResourceTypes and GetResourceType tell, from the
local schemas (generated from the ROS CDK type spec, merged with what we wrote by hand).

``show`` describes each property as GetResourceType does: ``Type`` (string, number, integer,
boolean, map, list, or any), ``Required``, ``UpdateAllowed`` where known (the hand-written schemas
name create-only properties; the CDK does not say), ``Constraints`` (allowed values, ranges,
lengths, patterns) and ``Schema`` for the fields of a map or of a list's items.
"""

from __future__ import annotations

import json
from typing import Any

import click

_TYPE_NAMES = {"object": "map", "array": "list"}
_KINDS = ("all", "resource", "datasource")


@click.group("resource-types")
def resource_types() -> None:
    """List and describe the resource types ros validate knows (ROS CDK type spec)."""


@resource_types.command("list")
@click.option("--family", default=None, metavar="NAME", help="Only this family (ECS, RAM, FC3, ...).")
@click.option(
    "--kind",
    type=click.Choice(_KINDS),
    default="all",
    show_default=True,
    help="Resource types (ALIYUN::), data sources (DATASOURCE::) or both.",
)
@click.option("-o", "--output", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
def list_types(family: str | None, kind: str, fmt: str) -> None:
    """List resource types, like ROS ListResourceTypes."""
    from resource_types import registry

    names = [n for n in registry.type_names() if _selected(n, family, kind)]
    if family and not names:
        raise click.UsageError(f"no resource types in family {family!r}")
    if fmt == "json":
        click.echo(json.dumps({"ResourceTypes": names}, indent=2))
    else:
        click.echo("\n".join(names))


def _selected(name: str, family: str | None, kind: str) -> bool:
    parts = name.split("::")
    if len(parts) != 3:
        return False
    if kind == "resource" and parts[0] == "DATASOURCE" or kind == "datasource" and parts[0] != "DATASOURCE":
        return False
    return family is None or parts[1].lower() == family.lower()


@resource_types.command("show")
@click.argument("type_name", metavar="TYPE")
@click.option("-o", "--output", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
def show(type_name: str, fmt: str) -> None:
    """Describe one type's properties and attributes, like ROS GetResourceType."""
    from rosengine.validate import schema_for
    from rosengine.validate.template_check import closest_type

    schema = schema_for(type_name)
    if schema is None:
        guess = closest_type(type_name)
        hint = f"; did you mean {guess}?" if guess else ""
        raise click.ClickException(f"unknown resource type {type_name!r}{hint}")
    described = describe(schema.raw, type_name)
    if fmt == "json":
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
    else:
        click.echo(_text(described))


def describe(raw: dict[str, Any], type_name: str) -> dict[str, Any]:
    """A schema in GetResourceType's shape."""
    create_only = raw.get("createOnlyProperties")
    required = set(raw.get("required", ()))
    properties = {
        name: _property(spec, name in required, None if create_only is None else name not in create_only)
        for name, spec in sorted(raw.get("properties", {}).items())
    }
    attributes = {
        name: {
            key: value
            for key, value in (("Type", spec.get("type")), ("Description", spec.get("description")))
            if value
        }
        for name, spec in sorted(raw.get("attributes", {}).items())
    }
    out: dict[str, Any] = {"ResourceType": type_name}
    if raw.get("description"):
        out["Description"] = raw["description"]
    if raw.get("documentationUrl"):
        out["DocumentationUrl"] = raw["documentationUrl"]
    if raw.get("deprecated"):
        out["Retired"] = True
    out["Properties"] = properties
    out["Attributes"] = attributes
    if raw.get("attributePatterns"):
        out["AttributePatterns"] = list(raw["attributePatterns"])
    return out


def _property(spec: dict[str, Any], required: bool, update_allowed: bool | None) -> dict[str, Any]:
    declared = spec.get("type", "any")
    kinds = [str(k) for k in declared] if isinstance(declared, list) else [str(declared)]
    kind = " or ".join(_TYPE_NAMES.get(k, k) for k in kinds)
    described: dict[str, Any] = {"Type": kind, "Required": required}
    if update_allowed is not None:
        described["UpdateAllowed"] = update_allowed
    if spec.get("description"):
        described["Description"] = spec["description"]
    if spec.get("deprecated"):
        described["Retired"] = True
    constraints = _constraints(spec)
    items = spec.get("items") if isinstance(spec.get("items"), dict) else None
    if items is not None:
        constraints += [{"Items": c} for c in _constraints(items)]
    if constraints:
        described["Constraints"] = constraints
    fields = (items or spec).get("properties")
    if isinstance(fields, dict) and fields:
        inner_required = set((items or spec).get("required", ()))
        described["Schema"] = {
            name: _property(sub, name in inner_required, None) for name, sub in sorted(fields.items())
        }
    return described


def _constraints(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if "enum" in spec:
        found.append({"AllowedValues": spec["enum"]})
    for low, high, name in (
        ("minimum", "maximum", "Range"),
        ("minLength", "maxLength", "Length"),
        ("minItems", "maxItems", "Length"),
    ):
        bounds = {key: spec[source] for key, source in (("Min", low), ("Max", high)) if source in spec}
        if bounds:
            found.append({name: bounds})
    patterns = [spec["pattern"]] if "pattern" in spec else []
    for part in spec.get("allOf", ()):
        if isinstance(part, dict) and "pattern" in part:
            patterns.append(part["pattern"])
        elif isinstance(part, dict) and isinstance(part.get("not"), dict) and "pattern" in part["not"]:
            found.append({"NotAllowedPattern": part["not"]["pattern"]})
    found.extend({"AllowedPattern": pattern} for pattern in patterns)
    return found


def _text(described: dict[str, Any]) -> str:
    lines = [described["ResourceType"] + ("  (retired)" if described.get("Retired") else "")]
    for key in ("Description", "DocumentationUrl"):
        if described.get(key):
            lines.append(f"  {described[key]}")
    lines.append("Properties:")
    lines.extend(_property_lines(described["Properties"], "  "))
    if not described["Properties"]:
        lines.append("  (none)")
    lines.append("Attributes:")
    for name, attribute in described["Attributes"].items():
        lines.append(f"  {name}" + (f"  {attribute['Type']}" if attribute.get("Type") else ""))
    for pattern in described.get("AttributePatterns", ()):
        lines.append(f"  any name matching {pattern}")
    return "\n".join(lines)


def _property_lines(properties: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for name, spec in properties.items():
        notes = ["required" if spec["Required"] else "optional"]
        if spec.get("UpdateAllowed") is False:
            notes.append("replacement on update")
        if spec.get("Retired"):
            notes.append("retired")
        notes.extend(_constraint_text(c) for c in spec.get("Constraints", ()))
        lines.append(f"{indent}{name:<32} {spec['Type']:<8} {'; '.join(notes)}")
        if spec.get("Schema"):
            lines.extend(_property_lines(spec["Schema"], indent + "  "))
    return lines


def _constraint_text(constraint: dict[str, Any]) -> str:
    ((name, value),) = constraint.items()
    if name == "Items":
        return "items " + _constraint_text(value)
    if name == "AllowedValues":
        shown = ", ".join(map(str, value[:8])) + (", ..." if len(value) > 8 else "")
        return f"one of {shown}"
    if name in ("Range", "Length"):
        low, high = value.get("Min"), value.get("Max")
        word = "length " if name == "Length" else ""
        if low is not None and high is not None:
            return f"{word}{low}-{high}"
        return f"{word}>= {low}" if low is not None else f"{word}<= {high}"
    if name == "NotAllowedPattern":
        return f"not matching {value}"
    return f"matching {value}"


COMMANDS = [resource_types]
