"""ALIYUN::FC::Trigger provider (docs/reference/fc-resource-types.md#trigger).

TriggerConfig keys are matched case-insensitively (ROS docs write PascalCase, the API and some
real templates camelCase) and sent camelCased; the timer flag ``Enabled`` of the 2021 docs is
accepted as ``enable``. An http trigger's ``UrlInternet``/``UrlIntranet`` are the backend's
URLs for it (locally both are the same loopback URL). Physical id: ``<service>|<function>|<name>``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import (
    ProviderContext,
    ProviderResult,
    ResourceNotFound,
    ResourceProvider,
    read_answer,
)
from resource_types.fc.fc_api import (
    delete_ignoring_missing,
    drop_none,
    fc_errors,
    lookup,
    split_id,
)
from resource_types.local_values import LOCAL_MARKER

# Keys of TriggerConfig whose values are user data (kept as written, not camelCased inside).
_FREE_FORM_KEYS = {"functionParameter", "eventSourceParameters", "filter", "authConfig"}


def camel_config(value: Any, *, free_form: bool = False) -> Any:
    if isinstance(value, dict):
        if free_form:
            return dict(value)
        out = {}
        for key, item in value.items():
            api = key[:1].lower() + key[1:]
            if api == "enabled":
                api = "enable"
            out[api] = camel_config(item, free_form=api in _FREE_FORM_KEYS)
        return out
    if isinstance(value, list):
        return [camel_config(v) for v in value]
    return value


def _attributes(data: dict[str, Any], service: str, function: str) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/trigger.json."""
    return {
        "TriggerId": data.get("triggerId"),
        "TriggerName": data.get("triggerName"),
        "ServiceName": service,
        "FunctionName": function,
        "UrlInternet": data.get("urlInternet") or None,
        "UrlIntranet": data.get("urlIntranet") or None,
    }


def _stand_in(ctx: ProviderContext, physical_id: str, missing: str, body: dict[str, Any]) -> ProviderResult:
    """A marked placeholder for a trigger whose function only a placeholder would have created
    (an FC application deploys its own services): nothing is created, the reason names them."""
    service, function, name = physical_id.split("|")
    data = {"triggerName": name, "triggerId": f"{name}-{LOCAL_MARKER}", **body}
    note = (
        f"placeholder: {missing}; it would come from {', '.join(ctx.placeholder_sources)}, "
        "deployed as a placeholder"
    )
    return ProviderResult(physical_id, _attributes(data, service, function), note=note, placeholder=True)


class TriggerProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Trigger"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service, function = str(properties["ServiceName"]), str(properties["FunctionName"])
        name = str(properties["TriggerName"])
        body = drop_none(
            {
                "triggerName": name,
                "triggerType": properties["TriggerType"],
                "triggerConfig": camel_config(properties.get("TriggerConfig") or {}),
                "invocationRole": properties.get("InvocationRole"),
                "sourceArn": properties.get("SourceArn"),
                "qualifier": properties.get("Qualifier"),
            }
        )
        physical_id = f"{service}|{function}|{name}"
        try:
            with fc_errors(f"creating trigger {service}/{function}/{name}"):
                data = ctx.client("fc").create_trigger(service, function, **body)
        except ResourceNotFound as missing:
            if not ctx.placeholder_sources:
                raise
            return _stand_in(ctx, physical_id, str(missing), body)
        return ProviderResult(physical_id, _attributes(data, service, function))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        service, function, name = split_id(physical_id, 3, self.type_name)
        after = self.properties_after_update(properties, previous_properties)
        body = drop_none(
            {
                "triggerConfig": camel_config(after.get("TriggerConfig") or {}),
                "invocationRole": after.get("InvocationRole"),
                "qualifier": after.get("Qualifier"),
            }
        )
        try:
            with fc_errors(f"updating trigger {service}/{function}/{name}"):
                data = ctx.client("fc").update_trigger(service, function, name, **body)
        except ResourceNotFound:
            if not ctx.placeholder_sources:
                raise
            # A stand-in (its function still comes from a placeholder) stays one; if the function
            # exists now, the trigger is created for real.
            identity = {"ServiceName": service, "FunctionName": function, "TriggerName": name}
            return self.create(ctx, {**after, **identity})
        return ProviderResult(physical_id, _attributes(data, service, function))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        service, function, name = split_id(physical_id, 3, self.type_name)
        client = ctx.client("fc")
        delete_ignoring_missing(
            f"deleting trigger {service}/{function}/{name}",
            lambda: client.delete_trigger(service, function, name),
            ctx,
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if physical_id:
            service, function, name = split_id(physical_id, 3, self.type_name)
        else:
            service, function, name = (
                str(properties.get(k) or "") for k in ("ServiceName", "FunctionName", "TriggerName")
            )
            if not (service and function and name):
                return None
        data = lookup(lambda: ctx.client("fc").get_trigger(service, function, name))
        if data is None:
            return None
        attributes = _attributes(data, service, function)
        return read_answer(physical_id, f"{service}|{function}|{name}", attributes)
