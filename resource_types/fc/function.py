"""ALIYUN::FC::Function provider (fc-spec A.2).

Code comes from ``Code`` (ZipFile, SourceCode, OSS pair, or our LocalPath extension, see
``_support.code_to_api``). ``AsyncConfiguration`` is applied through the async-invoke-config API
after the function exists, as FC keeps it as a separate object.
"""

from __future__ import annotations

import json
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.fc._support import code_to_api, drop_none, fc_client, function_arn, to_api

_CONFIG_PROPERTIES = (
    "Description", "Handler", "Runtime", "MemorySize", "Timeout", "Initializer", "InitializationTimeout",
    "InstanceConcurrency", "InstanceSoftConcurrency", "InstanceType", "EnvironmentVariables", "CAPort",
    "CustomContainerConfig", "CustomRuntimeConfig", "CustomHealthCheckConfig", "Cpu", "DiskSize",
    "GpuMemorySize", "InstanceLifecycleConfig", "CustomDNS", "Layers",
)


def _json_list(value: Any) -> list[str] | None:
    """CustomContainerConfig.Command/Args are JSON array *text* in ROS; the API takes lists."""
    if value is None or isinstance(value, list):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return text.split()
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


def _config(properties: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _CONFIG_PROPERTIES:
        if properties.get(name) is None:
            continue
        key = {"CAPort": "caPort", "CustomDNS": "customDNS"}.get(name, name[:1].lower() + name[1:])
        out[key] = to_api(properties[name], key=name)
    container = out.get("customContainerConfig")
    if isinstance(container, dict):
        for key in ("command", "args"):
            if key in container:
                container[key] = _json_list(container[key])
    return drop_none(out)


def _attributes(ctx: ProviderContext, service: str, data: dict[str, Any]) -> dict[str, Any]:
    name = data.get("functionName")
    return {
        "FunctionId": data.get("functionId"),
        "FunctionName": name,
        "ServiceName": service,
        "ServiceId": data.get("serviceId"),
        "ARN": function_arn(ctx, service, str(name)),
    }


def _async_config(properties: dict[str, Any]) -> dict[str, Any] | None:
    cfg = properties.get("AsyncConfiguration")
    if not cfg:
        return None
    destination = cfg.get("Destination") or {}
    body: dict[str, Any] = {}
    if destination:
        body["destinationConfig"] = drop_none({
            "onSuccess": {"destination": destination["OnSuccess"]} if destination.get("OnSuccess") else None,
            "onFailure": {"destination": destination["OnFailure"]} if destination.get("OnFailure") else None,
        })
    for ros_key, api in (
        ("MaxAsyncRetryAttempts", "maxAsyncRetryAttempts"),
        ("MaxAsyncEventAgeInSeconds", "maxAsyncEventAgeInSeconds"),
        ("StatefulInvocation", "statefulInvocation"),
    ):
        if cfg.get(ros_key) is not None:
            body[api] = cfg[ros_key]
    return body


class FunctionProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Function"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        client = fc_client(ctx)
        service, name = properties["ServiceName"], properties["FunctionName"]
        code = code_to_api(properties.get("Code"), properties.get("Runtime"), ctx)
        if code is None and properties.get("Runtime") != "custom-container":
            raise ProviderError("Code is required unless Runtime is custom-container")
        data = client.create_function(service, name, code=code, **_config(properties))
        async_cfg = _async_config(properties)
        if async_cfg:
            client.put_async_invoke_config(service, name, async_cfg, qualifier="LATEST")
        return ProviderResult(physical_id=f"{service}|{name}", attributes=_attributes(ctx, service, data))

    def update(self, ctx, physical_id, properties, previous_properties, previous_attributes):
        client = fc_client(ctx)
        service, name = properties["ServiceName"], properties["FunctionName"]
        code = None
        if properties.get("Code") != previous_properties.get("Code"):
            code = code_to_api(properties.get("Code"), properties.get("Runtime"), ctx)
        config = _config(properties)
        # FC replaces the environment as a whole; an emptied map must be sent to clear it.
        config.setdefault("environmentVariables", {})
        data = client.update_function(service, name, code=code, **config)
        new_async, old_async = _async_config(properties), _async_config(previous_properties)
        if new_async != old_async:
            if new_async:
                client.put_async_invoke_config(service, name, new_async, qualifier="LATEST")
            else:
                self._delete_async_config(client, service, name)
        return ProviderResult(physical_id=physical_id, attributes=_attributes(ctx, service, data))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        from rosengine.clients.fc import FcNotFound

        service, _, name = physical_id.partition("|")
        client = fc_client(ctx)
        if properties.get("AsyncConfiguration"):
            self._delete_async_config(client, service, name)
        try:
            client.delete_function(service, name)
        except FcNotFound:
            return

    def read(self, ctx, physical_id, properties):
        from rosengine.clients.fc import FcNotFound

        service, _, name = physical_id.partition("|")
        try:
            return _attributes(ctx, service, fc_client(ctx).get_function(service, name))
        except FcNotFound:
            return None

    @staticmethod
    def _delete_async_config(client: Any, service: str, name: str) -> None:
        from rosengine.clients.fc import FcNotFound

        try:
            client.delete_async_invoke_config(service, name, qualifier="LATEST")
        except FcNotFound:
            pass
