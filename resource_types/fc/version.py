"""ALIYUN::FC::Version provider (fc-spec A.5): publishing snapshots the service and its functions."""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc._support import fc_client


class VersionProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Version"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service = properties["ServiceName"]
        data = fc_client(ctx).publish_version(service, description=properties.get("Description"))
        version = str(data.get("versionId"))
        return ProviderResult(f"{service}|{version}", {"VersionId": version, "ServiceName": service})

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        # Every property is create-only; the engine replaces instead of calling this.
        return ProviderResult(physical_id, dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        service, _, version = physical_id.partition("|")
        try:
            fc_client(ctx).delete_version(service, version)
        except FcNotFound:
            return
