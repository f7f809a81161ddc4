"""ALIYUN::FC::Alias provider (fc-spec A.6).

``AdditionalWeight`` is a percentage in ROS and a 0–1 fraction in the API. The API cannot rename
an alias, so ``AliasName`` is treated as create-only (a change replaces the alias; UNCONFIRMED).
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc._support import drop_none, fc_client


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    weights = None
    if properties.get("AdditionalVersion") is not None:
        weight = float(properties.get("AdditionalWeight") or 0) / 100.0
        weights = {str(properties["AdditionalVersion"]): weight}
    return drop_none({
        "versionId": None if properties.get("VersionId") is None else str(properties["VersionId"]),
        "description": properties.get("Description"),
        "additionalVersionWeight": weights,
    })


class AliasProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Alias"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service, alias = properties["ServiceName"], properties["AliasName"]
        data = fc_client(ctx).create_alias(service, alias, **_body(properties))
        return ProviderResult(f"{service}|{alias}", self._attributes(service, data))

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        service, _, alias = physical_id.partition("|")
        body = _body(properties)
        body.setdefault("additionalVersionWeight", {})
        data = fc_client(ctx).update_alias(service, alias, **body)
        return ProviderResult(physical_id, self._attributes(service, data))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        service, _, alias = physical_id.partition("|")
        try:
            fc_client(ctx).delete_alias(service, alias)
        except FcNotFound:
            return

    @staticmethod
    def _attributes(service: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"AliasName": data.get("aliasName"), "ServiceName": service, "VersionId": data.get("versionId")}
