"""ALIYUN::FC3::CustomDomain → Create/Update/DeleteCustomDomain.

``Ref`` and ``DomainName``: the domain name. Requests whose Host is the domain reach the routes'
functions through this backend (``curl -H 'Host: <domain>' http://127.0.0.1:<port>/<path>``).
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors, lookup
from resource_types.fc3.fc3_api import to_api

_FIELDS = ("Protocol", "AuthConfig", "CertConfig", "RouteConfig", "TlsConfig", "WafConfig")


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        name[:1].lower() + name[1:]: to_api(properties[name], key=name)
        for name in _FIELDS
        if properties.get(name) is not None
    }


class Fc3CustomDomainProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::CustomDomain"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = str(properties["DomainName"])
        with fc_errors(f"creating custom domain {name}"):
            ctx.client("fc3").create_custom_domain(name, **_body(properties))
        return ProviderResult(name, {"DomainName": name})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        body = _body(self.properties_after_update(properties, previous_properties))
        with fc_errors(f"updating custom domain {physical_id}"):
            ctx.client("fc3").update_custom_domain(physical_id, **body)
        return ProviderResult(physical_id, {"DomainName": physical_id})

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting custom domain {physical_id}", lambda: fc3.delete_custom_domain(physical_id), ctx
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("DomainName") or "")
        if not name or lookup(lambda: ctx.client("fc3").get_custom_domain(name)) is None:
            return None
        return read_answer(physical_id, name, {"DomainName": name})
