"""ALIYUN::FC::CustomDomain provider (fc-spec A.9)."""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc._support import drop_none, fc_client, to_api


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    return drop_none({
        "protocol": properties.get("Protocol"),
        "apiVersion": properties.get("ApiVersion"),
        "routeConfig": to_api(properties.get("RouteConfig")),
        "certConfig": to_api(properties.get("CertConfig")),
    })


def _attributes(name: str, protocol: str | None) -> dict[str, Any]:
    scheme = "https" if protocol and protocol.upper() == "HTTPS" else "http"
    return {"DomainName": name, "Domain": f"{scheme}://{name}"}


class CustomDomainProvider(ResourceProvider):
    type_name = "ALIYUN::FC::CustomDomain"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = properties["DomainName"]
        fc_client(ctx).create_custom_domain(name, **_body(properties))
        return ProviderResult(name, _attributes(name, properties.get("Protocol")))

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        fc_client(ctx).update_custom_domain(physical_id, **_body(properties))
        return ProviderResult(physical_id, _attributes(physical_id, properties.get("Protocol")))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        try:
            fc_client(ctx).delete_custom_domain(physical_id)
        except FcNotFound:
            return
