"""ALIYUN::FC::CustomDomain provider (docs/reference/fc-resource-types.md#customdomain).

``Domain`` is the domain with its protocol prefix: ``https://`` when the Protocol list includes
HTTPS, else ``http://`` (UNCONFIRMED which one ROS picks for ``HTTP,HTTPS``; we pick the secure
one a browser would use). Physical id: the domain name.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.fc.fc_api import (
    delete_ignoring_missing,
    drop_none,
    fc_errors,
    lookup,
    to_api,
)


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    return drop_none(
        {
            "protocol": properties.get("Protocol"),
            "apiVersion": properties.get("ApiVersion"),
            "routeConfig": to_api(properties.get("RouteConfig")),
            "certConfig": to_api(properties.get("CertConfig")),
        }
    )


def _attributes(name: str, protocol: str | None) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/custom_domain.json."""
    protocols = {p.strip().upper() for p in (protocol or "").split(",")}
    scheme = "https" if "HTTPS" in protocols else "http"
    return {"DomainName": name, "Domain": f"{scheme}://{name}"}


class CustomDomainProvider(ResourceProvider):
    type_name = "ALIYUN::FC::CustomDomain"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = str(properties["DomainName"])
        with fc_errors(f"creating custom domain {name}"):
            ctx.client("fc").create_custom_domain(name, **_body(properties))
        return ProviderResult(name, _attributes(name, properties.get("Protocol")))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        with fc_errors(f"updating custom domain {physical_id}"):
            ctx.client("fc").update_custom_domain(physical_id, **_body(properties))
        return ProviderResult(physical_id, _attributes(physical_id, properties.get("Protocol")))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        client = ctx.client("fc")
        delete_ignoring_missing(
            f"deleting custom domain {physical_id}", lambda: client.delete_custom_domain(physical_id), ctx
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("DomainName") or "")
        if not name:
            return None
        data = lookup(lambda: ctx.client("fc").get_custom_domain(name))
        if data is None:
            return None
        attributes = _attributes(name, data.get("protocol"))
        return read_answer(physical_id, name, attributes)
