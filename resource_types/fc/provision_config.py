"""ALIYUN::FC::ProvisionConfig provider (docs/reference/fc-resource-types.md#provisionconfig).

Deleting sets the target to 0, which is how FC removes provisioned instances (there is no
delete call in FC 2.0). Physical id: the API's ``resource``, ``<account>#<service>#<qualifier>#<function>``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors, lookup


def _names(properties: dict[str, Any]) -> tuple[str, str, str]:
    return str(properties["ServiceName"]), str(properties["FunctionName"]), str(properties["Qualifier"])


def _attributes(ctx: ProviderContext, properties: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/provision_config.json."""
    service, function, qualifier = _names(properties)
    return {
        "ServiceName": service,
        "FunctionName": function,
        "Qualifier": qualifier,
        "Target": data.get("target", properties.get("Target")),
        "Resource": data.get("resource") or f"{ctx.account_id}#{service}#{qualifier}#{function}",
    }


class ProvisionConfigProvider(ResourceProvider):
    type_name = "ALIYUN::FC::ProvisionConfig"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        return self._put(ctx, properties)

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        return self._put(ctx, properties)

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        service, function, qualifier = _names(properties)
        client = ctx.client("fc")
        delete_ignoring_missing(
            f"removing provisioned instances of {service}.{qualifier}/{function}",
            lambda: client.put_provision_config(service, function, qualifier, target=0),
            ctx,
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        service, function, qualifier = _names(properties)
        data = lookup(lambda: ctx.client("fc").get_provision_config(service, function, qualifier))
        return None if data is None else _attributes(ctx, properties, data)

    @staticmethod
    def _put(ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service, function, qualifier = _names(properties)
        with fc_errors(f"provisioning {service}.{qualifier}/{function}"):
            data = ctx.client("fc").put_provision_config(
                service, function, qualifier, target=int(properties["Target"])
            )
        attributes = _attributes(ctx, properties, data)
        return ProviderResult(str(attributes["Resource"]), attributes)
