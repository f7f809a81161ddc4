"""ALIYUN::FC::Trigger provider (fc-spec A.4).

TriggerConfig keys are matched case-insensitively (ROS docs write PascalCase, the API and some
real templates camelCase) and sent camelCased; the timer flag ``Enabled`` of the 2021 docs is
accepted as ``enable``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc._support import drop_none, fc_client


def camel_config(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            api = key[:1].lower() + key[1:]
            if api == "enabled":
                api = "enable"
            out[api] = camel_config(item)
        return out
    if isinstance(value, list):
        return [camel_config(v) for v in value]
    return value


def _attributes(data: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "TriggerId": data.get("triggerId"),
        "TriggerName": data.get("triggerName"),
        "ServiceName": properties["ServiceName"],
        "FunctionName": properties["FunctionName"],
        "UrlInternet": data.get("urlInternet"),
        "UrlIntranet": data.get("urlIntranet"),
    }


class TriggerProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Trigger"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service, function = properties["ServiceName"], properties["FunctionName"]
        body = drop_none({
            "triggerName": properties["TriggerName"],
            "triggerType": properties["TriggerType"],
            "triggerConfig": camel_config(properties.get("TriggerConfig") or {}),
            "invocationRole": properties.get("InvocationRole"),
            "sourceArn": properties.get("SourceArn"),
            "qualifier": properties.get("Qualifier"),
        })
        data = fc_client(ctx).create_trigger(service, function, **body)
        return ProviderResult(f"{service}|{function}|{properties['TriggerName']}", _attributes(data, properties))

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        service, function, name = physical_id.split("|", 2)
        body = drop_none({
            "triggerConfig": camel_config(properties.get("TriggerConfig") or {}),
            "invocationRole": properties.get("InvocationRole"),
            "qualifier": properties.get("Qualifier"),
        })
        data = fc_client(ctx).update_trigger(service, function, name, **body)
        return ProviderResult(physical_id, _attributes(data, properties))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        service, function, name = physical_id.split("|", 2)
        try:
            fc_client(ctx).delete_trigger(service, function, name)
        except FcNotFound:
            return

    def read(self, ctx, physical_id, properties):
        from rosengine.clients.fc import FcNotFound

        service, function, name = physical_id.split("|", 2)
        try:
            return _attributes(fc_client(ctx).get_trigger(service, function, name), properties)
        except FcNotFound:
            return None
