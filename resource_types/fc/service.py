"""ALIYUN::FC::Service provider (docs/reference/fc-resource-types.md#service).

Update sends every configurable property (FC's UpdateService replaces the ones it is given);
Tags go through the tag API on the service's ARN. Deleting waits briefly for functions of the
same stack that the engine deletes in parallel (declared without a reference to the service).
``DeletionForce`` only matters for VPC clean-up, which a local backend does not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.fc.fc_api import (
    delete_ignoring_missing,
    drop_none,
    fc_errors,
    lookup,
    service_arn,
    to_api,
)

if TYPE_CHECKING:
    from rosengine.clients.fc import FcClient


_CONFIG_PROPERTIES = (
    "Description",
    "Role",
    "LogConfig",
    "VpcConfig",
    "NasConfig",
    "OssMountConfig",
    "InternetAccess",
    "TracingConfig",
    "VpcBindings",
)


def _config(properties: dict[str, Any]) -> dict[str, Any]:
    return drop_none(
        {name[:1].lower() + name[1:]: to_api(properties.get(name), key=name) for name in _CONFIG_PROPERTIES}
    )


def _attributes(data: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/service.json."""
    log = data.get("logConfig") or {}
    vpc = data.get("vpcConfig") or {}
    return {
        "ServiceId": data.get("serviceId"),
        "ServiceName": data.get("serviceName"),
        "Role": data.get("role") or None,
        "LogProject": log.get("project") or None,
        "Logstore": log.get("logstore") or None,
        "InternetAccess": data.get("internetAccess"),
        "VpcId": vpc.get("vpcId") or None,
        "Tags": list(properties.get("Tags") or []),
    }


def _tag_map(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value") or "") for t in tags or [] if t.get("Key")}


class ServiceProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Service"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = ctx.client("fc")
        name = str(properties["ServiceName"])
        with fc_errors(f"creating service {name}"):
            data = client.create_service(name, **_config(properties))
            self._retag(ctx, client, name, _tag_map(properties.get("Tags")), {})
        return ProviderResult(physical_id=name, attributes=_attributes(data, properties))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        client = ctx.client("fc")
        config = _config(self.properties_after_update(properties, previous_properties))
        with fc_errors(f"updating service {physical_id}"):
            data = client.update_service(physical_id, **config)
            self._retag(
                ctx,
                client,
                physical_id,
                _tag_map(properties.get("Tags")),
                _tag_map(previous_properties.get("Tags")),
            )
        return ProviderResult(physical_id=physical_id, attributes=_attributes(data, properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        client = ctx.client("fc")
        delete_ignoring_missing(
            f"deleting service {physical_id}",
            lambda: client.delete_service(physical_id),
            ctx,
            retry_codes=frozenset({"ServiceNotEmpty"}),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Attributes of the service; with an empty ``physical_id`` (recovery of a create whose
        result was never recorded) it is looked up by ``ServiceName`` and the id is returned too."""
        name = physical_id or str(properties.get("ServiceName") or "")
        if not name:
            return None
        data = lookup(lambda: ctx.client("fc").get_service(name))
        if data is None:
            return None
        attributes = _attributes(data, properties)
        return read_answer(physical_id, name, attributes)

    @staticmethod
    def _retag(
        ctx: ProviderContext, client: FcClient, name: str, new: dict[str, str], old: dict[str, str]
    ) -> None:
        if new == old:
            return
        arn = service_arn(ctx, name)
        removed = [key for key in old if key not in new]
        if removed:
            client.untag_resource(arn, removed)
        if new:
            client.tag_resource(arn, new)
