"""Placeholders: resources of types with no local twin, deployed only when the user asks for them
(``ros stack create --placeholders``).

A placeholder creates nothing. It answers ``Ref`` with an ID in the type's real format (with the
local marker, see :mod:`resource_types.local_values`) and every ``Fn::GetAtt`` of the type's schema
with a value of the declared type, so the rest of the template deploys for real. Every event,
resource row and ``describe`` says ``placeholder: no local twin for TYPE``; the stack counts them.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import (
    ProviderContext,
    ProviderResult,
    ResourceProvider,
    ResourceTypeSchema,
)
from resource_types.local_values import attribute_values, local_id, prefix_for, primary_id_attribute


def placeholder_note(type_name: str) -> str:
    return f"placeholder: no local twin for {type_name}"


class PlaceholderProvider(ResourceProvider):
    """The provider the engine uses, on request, for a type that has none."""

    type_name = ""  # not registered: the engine builds one per schema

    def __init__(self, schema: ResourceTypeSchema):
        self.type_schema = schema

    def schema(self) -> ResourceTypeSchema:
        """The schema it was built for (the type has no provider of its own to look it up)."""
        return self.type_schema

    @property
    def note(self) -> str:
        return placeholder_note(self.type_schema.type_name)

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        primary = primary_id_attribute(self.type_schema)
        physical_id = local_id(prefix_for(self.type_schema.type_name, primary))
        attributes = attribute_values(self.type_schema, ctx, properties, physical_id, filler=self.note)
        return ProviderResult(physical_id, attributes, note=self.note, placeholder=True)

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        known = {name: value for name, value in previous_attributes.items() if name not in properties}
        attributes = attribute_values(
            self.type_schema, ctx, properties, physical_id, known=known, filler=self.note
        )
        return ProviderResult(physical_id, attributes, note=self.note, placeholder=True)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        return None
