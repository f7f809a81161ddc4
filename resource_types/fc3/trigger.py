"""ALIYUN::FC3::Trigger → CreateTrigger / UpdateTrigger / DeleteTrigger.

``TriggerConfig`` is a map in ROS and a JSON *string* in the 2023-03-30 API: its keys are
camelCased as for FC 2.0 triggers (``resource_types.fc.trigger.camel_config``: ROS docs write
PascalCase, real templates camelCase) and the map is serialised. Physical id:
``<function>|<trigger>``. ``UrlInternet``/``UrlIntranet`` are the trigger's URLs on this backend
for http triggers (empty otherwise).
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider, read_answer
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors, lookup, split_id
from resource_types.fc.trigger import camel_config
from resource_types.fc3.fc3_api import drop_none, json_text


def trigger_config(value: Any) -> str:
    return value if isinstance(value, str) else json_text(camel_config(value or {}))


def _attributes(data: dict[str, Any], function: str) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/fc3_trigger.json."""
    urls = data.get("httpTrigger") or {}
    return {
        "FunctionName": function,
        "TriggerId": data.get("triggerId"),
        "TriggerName": data.get("triggerName"),
        "UrlInternet": urls.get("urlInternet") or None,
        "UrlIntranet": urls.get("urlIntranet") or None,
    }


class Fc3TriggerProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::Trigger"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        function, name = str(properties["FunctionName"]), str(properties["TriggerName"])
        body = drop_none(
            {
                "triggerName": name,
                "triggerType": properties["TriggerType"],
                "triggerConfig": trigger_config(properties.get("TriggerConfig")),
                "description": properties.get("Description"),
                "invocationRole": properties.get("InvocationRole"),
                "qualifier": properties.get("Qualifier"),
                "sourceArn": properties.get("SourceArn"),
            }
        )
        with fc_errors(f"creating trigger {function}/{name}"):
            data = ctx.client("fc3").create_trigger(function, **body)
        return ProviderResult(f"{function}|{name}", _attributes(data, function))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        function, name = split_id(physical_id, 2, self.type_name)
        body = {
            "triggerConfig": trigger_config(properties.get("TriggerConfig")),
            "description": properties.get("Description") or "",
            "invocationRole": properties.get("InvocationRole") or "",
            "qualifier": properties.get("Qualifier") or "",
        }
        with fc_errors(f"updating trigger {function}/{name}"):
            data = ctx.client("fc3").update_trigger(function, name, **body)
        return ProviderResult(physical_id, _attributes(data, function))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        function, name = split_id(physical_id, 2, self.type_name)
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting trigger {function}/{name}", lambda: fc3.delete_trigger(function, name), ctx
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if physical_id:
            function, name = split_id(physical_id, 2, self.type_name)
        else:
            function, name = (
                str(properties.get("FunctionName") or ""),
                str(properties.get("TriggerName") or ""),
            )
            if not (function and name):
                return None
        data = lookup(lambda: ctx.client("fc3").get_trigger(function, name))
        if data is None:
            return None
        attributes = _attributes(data, function)
        return read_answer(physical_id, f"{function}|{name}", attributes)
