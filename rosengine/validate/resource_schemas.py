"""Which schema applies to a resource type, and which attributes ``Fn::GetAtt`` may name.

Why here and not in the registry: ``Custom::<Anything>`` is a family of names that all mean
``ALIYUN::ROS::CustomResource``, and attributes can be open-ended (``Outputs.<name>`` of a nested
stack, any key of a custom resource's Data). Both the validator and the stack engine need these
rules, so they live in one place.

Schema key ``attributePatterns``: regular expressions; an attribute name matching one is valid and
has no declared type (its value is checked by nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from resource_types import registry
from resource_types.base import ResourceTypeSchema
from rosengine.patterns import compile_pattern

CUSTOM_RESOURCE = "ALIYUN::ROS::CustomResource"
CUSTOM_PREFIX = "Custom::"


def schema_for(type_name: str) -> ResourceTypeSchema | None:
    """The schema of ``type_name`` (``Custom::X`` uses the custom-resource schema), or None."""
    if not isinstance(type_name, str):
        return None
    found = registry.schema(type_name)
    if found is None and type_name.startswith(CUSTOM_PREFIX) and len(type_name) > len(CUSTOM_PREFIX):
        found = registry.schema(CUSTOM_RESOURCE)
    return found


class AttributeNames:
    """The attributes of one resource type: ``name in attrs`` honours ``attributePatterns``."""

    def __init__(self, schema: ResourceTypeSchema):
        self.type_name = schema.type_name
        self.declared: dict[str, Any] = dict(schema.attributes)
        self.patterns = tuple(compile_pattern(p) for p in schema.raw.get("attributePatterns", ()))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self.declared or any(p.search(name) for p in self.patterns)

    def __iter__(self) -> Iterator[str]:
        return iter(self.declared)

    def __len__(self) -> int:
        return len(self.declared)

    def type_of(self, name: str) -> str | None:
        """The JSON-Schema type of attribute ``name`` when declared, else None."""
        declared = self.declared.get(name)
        if isinstance(declared, dict):
            kind = declared.get("type")
            return kind if isinstance(kind, str) else None
        return None

    def describe(self) -> str:
        names = sorted(self.declared)
        if self.patterns:
            names += [p.pattern for p in self.patterns]
        return ", ".join(names) if names else "none"


def attribute_names(type_name: str) -> AttributeNames | None:
    """Attributes of ``type_name``; None when we have no schema (then any attribute is accepted)."""
    schema = schema_for(type_name)
    if schema is None:
        return None
    cached = _attribute_names.get(id(schema))
    if cached is None or cached[0] is not schema:  # the schema object itself keeps its id unique
        cached = _attribute_names[id(schema)] = (schema, AttributeNames(schema))
    return cached[1]


_attribute_names: dict[int, tuple[ResourceTypeSchema, AttributeNames]] = {}
