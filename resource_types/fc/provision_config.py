"""ALIYUN::FC::ProvisionConfig provider (fc-spec A.8). Deleting sets the target to 0, which is
how FC removes provisioned instances."""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc._support import fc_client


class ProvisionConfigProvider(ResourceProvider):
    type_name = "ALIYUN::FC::ProvisionConfig"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return self._put(ctx, properties)

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        return self._put(ctx, properties)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        try:
            fc_client(ctx).put_provision_config(
                properties["ServiceName"], properties["FunctionName"], properties["Qualifier"], target=0,
            )
        except FcNotFound:
            return

    @staticmethod
    def _put(ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service, function, qualifier = properties["ServiceName"], properties["FunctionName"], properties["Qualifier"]
        target = int(properties["Target"])
        data = fc_client(ctx).put_provision_config(service, function, qualifier, target=target)
        resource = data.get("resource") or f"{ctx.account_id}#{service}#{qualifier}#{function}"
        return ProviderResult(resource, {
            "ServiceName": service, "FunctionName": function, "Qualifier": qualifier,
            "Target": data.get("target", target), "Resource": resource,
        })
