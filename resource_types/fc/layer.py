"""ALIYUN::FC::Layer provider (docs/reference/fc-resource-types.md#layer).

Every property is create-only, so any change publishes a new layer version (the engine replaces
the resource, then deletes the old version). Code takes ZipFile, the OSS pair, or our LocalPath.
Physical id: ``<layer>|<version>``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import (
    code_to_api,
    delete_ignoring_missing,
    drop_none,
    fc_errors,
    lookup,
    split_id,
)


def _attributes(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/layer.json."""
    return {"LayerName": name, "Version": data.get("version"), "Arn": data.get("arn") or data.get("arnV2")}


class LayerProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Layer"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = str(properties["LayerName"])
        code = code_to_api(properties.get("Code"), None, ctx)
        if code is None:
            raise ProviderError(f"layer {name}: Code is required", code="InvalidArgument")
        with fc_errors(f"publishing layer {name}"):
            data = ctx.client("fc").publish_layer_version(
                name,
                **drop_none(
                    {
                        "code": code,
                        "compatibleRuntime": [str(r) for r in properties.get("CompatibleRuntime") or []],
                        "description": properties.get("Description"),
                    }
                ),
            )
        return ProviderResult(f"{name}|{data.get('version')}", _attributes(name, data))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Never reached for a real change (every property is create-only)."""
        return ProviderResult(physical_id, dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        name, version = split_id(physical_id, 2, self.type_name)
        client = ctx.client("fc")
        delete_ignoring_missing(
            f"deleting layer {name} version {version}",
            lambda: client.delete_layer_version(name, version),
            ctx,
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if not physical_id:
            return None
        name, version = split_id(physical_id, 2, self.type_name)
        data = lookup(lambda: ctx.client("fc").get_layer_version(name, version))
        return None if data is None else _attributes(name, data)
