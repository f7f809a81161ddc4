"""ALIYUN::FC::Alias provider (docs/reference/fc-resource-types.md#alias).

``AdditionalWeight`` is a percentage in ROS and a 0–1 fraction in the API. The API cannot rename
an alias, so ``AliasName`` is create-only in our schema (a change replaces the alias; ROS's doc
says "updatable", UNCONFIRMED how). Physical id: ``<service>|<alias>``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.fc.fc_api import (
    delete_ignoring_missing,
    drop_none,
    fc_errors,
    lookup,
    split_id,
)


def _body(properties: dict[str, Any]) -> dict[str, Any]:
    weights: dict[str, float] | None = None
    if properties.get("AdditionalVersion") == "":
        weights = {}  # no canary (AdditionalVersion's default: what a removed canary goes back to)
    elif properties.get("AdditionalVersion") is not None:
        weight = float(properties.get("AdditionalWeight") or 0) / 100.0
        weights = {str(properties["AdditionalVersion"]): weight}
    return drop_none(
        {
            "versionId": None if properties.get("VersionId") is None else str(properties["VersionId"]),
            "description": properties.get("Description"),
            "additionalVersionWeight": weights,
        }
    )


def _attributes(service: str, data: dict[str, Any]) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/alias.json."""
    return {"AliasName": data.get("aliasName"), "ServiceName": service, "VersionId": data.get("versionId")}


class AliasProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Alias"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service, alias = str(properties["ServiceName"]), str(properties["AliasName"])
        with fc_errors(f"creating alias {alias} of service {service}"):
            data = ctx.client("fc").create_alias(service, alias, **_body(properties))
        return ProviderResult(f"{service}|{alias}", _attributes(service, data))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        service, alias = split_id(physical_id, 2, self.type_name)
        body = _body(self.properties_after_update(properties, previous_properties))
        with fc_errors(f"updating alias {alias} of service {service}"):
            data = ctx.client("fc").update_alias(service, alias, **body)
        return ProviderResult(physical_id, _attributes(service, data))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        service, alias = split_id(physical_id, 2, self.type_name)
        client = ctx.client("fc")
        delete_ignoring_missing(
            f"deleting alias {alias} of service {service}", lambda: client.delete_alias(service, alias), ctx
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if physical_id:
            service, alias = split_id(physical_id, 2, self.type_name)
        else:
            service, alias = str(properties.get("ServiceName") or ""), str(properties.get("AliasName") or "")
            if not (service and alias):
                return None
        data = lookup(lambda: ctx.client("fc").get_alias(service, alias))
        if data is None:
            return None
        attributes = _attributes(service, data)
        return read_answer(physical_id, f"{service}|{alias}", attributes)
