"""ALIYUN::FC::Layer provider (fc-spec A.7): every property is create-only, so any change
publishes a new layer version (the engine replaces the resource)."""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc._support import code_to_api, drop_none, fc_client


class LayerProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Layer"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = properties["LayerName"]
        code = code_to_api(properties.get("Code"), None, ctx)
        data = fc_client(ctx).publish_layer_version(name, **drop_none({
            "code": code,
            "compatibleRuntime": list(properties.get("CompatibleRuntime") or []),
            "description": properties.get("Description"),
        }))
        version = data.get("version")
        return ProviderResult(f"{name}|{version}", {
            "LayerName": name, "Version": version, "Arn": data.get("arn") or data.get("arnV2"),
        })

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        return ProviderResult(physical_id, dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        name, _, version = physical_id.partition("|")
        try:
            fc_client(ctx).delete_layer_version(name, int(version))
        except FcNotFound:
            return
