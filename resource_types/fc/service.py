"""ALIYUN::FC::Service provider (fc-spec A.1)."""

from __future__ import annotations

import time
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.fc._support import drop_none, fc_client, service_arn, to_api

_CONFIG_PROPERTIES = (
    "Description", "Role", "LogConfig", "VpcConfig", "NasConfig", "OssMountConfig", "InternetAccess",
    "TracingConfig", "VpcBindings",
)
# How long a delete waits for the functions of the same stack, deleted in parallel, to go first.
_NOT_EMPTY_GRACE_S = 15.0


def _config(properties: dict[str, Any]) -> dict[str, Any]:
    return drop_none({to_api_key(k): to_api(properties.get(k), key=k) for k in _CONFIG_PROPERTIES})


def to_api_key(name: str) -> str:
    return name[:1].lower() + name[1:]


def _attributes(ctx: ProviderContext, data: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    log = data.get("logConfig") or {}
    vpc = data.get("vpcConfig") or {}
    return {
        "ServiceId": data.get("serviceId"),
        "ServiceName": data.get("serviceName"),
        "Role": data.get("role"),
        "LogProject": log.get("project"),
        "Logstore": log.get("logstore"),
        "InternetAccess": data.get("internetAccess"),
        "VpcId": vpc.get("vpcId"),
        "Tags": properties.get("Tags") or [],
        "ARN": service_arn(ctx, str(data.get("serviceName"))),
    }


class ServiceProvider(ResourceProvider):
    """Creates the service, then tags it; update sends the whole config (FC replaces it)."""

    type_name = "ALIYUN::FC::Service"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = fc_client(ctx)
        name = properties["ServiceName"]
        data = client.create_service(name, **_config(properties))
        self._tag(ctx, client, name, properties.get("Tags"))
        return ProviderResult(physical_id=name, attributes=_attributes(ctx, data, properties))

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        client = fc_client(ctx)
        data = client.update_service(physical_id, **_config(properties))
        if properties.get("Tags") != previous_properties.get("Tags"):
            self._tag(ctx, client, physical_id, properties.get("Tags"), previous_properties.get("Tags"))
        return ProviderResult(physical_id=physical_id, attributes=_attributes(ctx, data, properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcApiError, FcNotFound

        client = fc_client(ctx)
        deadline = time.monotonic() + min(_NOT_EMPTY_GRACE_S, max(ctx.deadline(), 0.0))
        delay = 0.05
        while True:
            try:
                client.delete_service(physical_id)
                return
            except FcNotFound:
                return
            except FcApiError as exc:
                # Functions of this stack declared without a reference to the service are deleted
                # in parallel with it; give them a moment before reporting the conflict.
                if exc.status not in (400, 409, 412) or time.monotonic() >= deadline:
                    raise ProviderError(f"deleting service {physical_id} failed: {exc}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def read(self, ctx, physical_id, properties):
        from rosengine.clients.fc import FcNotFound

        try:
            data = fc_client(ctx).get_service(physical_id)
        except FcNotFound:
            return None
        return _attributes(ctx, data, properties)

    @staticmethod
    def _tag(ctx, client, name: str, tags: list[dict[str, Any]] | None, old: list[dict[str, Any]] | None = None) -> None:
        arn = service_arn(ctx, name)
        old_keys = {t.get("Key") for t in old or []}
        new = {str(t["Key"]): str(t.get("Value", "")) for t in tags or [] if t.get("Key")}
        removed = [k for k in old_keys if k and k not in new]
        if removed:
            client.untag_resource(arn, removed)
        if new:
            client.tag_resource(arn, new)
