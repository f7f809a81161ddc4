"""ALIYUN::FC::Function provider (docs/reference/fc-resource-types.md#function).

Code comes from ``Code`` (ZipFile, SourceCode, OSS pair, or our LocalPath extension, see
``fc_api.code_to_api``). The physical id is ``<service>|<function>``. ``AsyncConfiguration`` is applied
through the async-invoke-config API
after the function exists, as FC keeps it as a separate object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider, read_answer
from resource_types.fc.fc_api import (
    code_to_api,
    delete_ignoring_missing,
    drop_none,
    fc_errors,
    function_arn,
    lookup,
    split_id,
    to_api,
)
from resource_types.fc.placeholder_code import missing_code_message, placeholder_code

if TYPE_CHECKING:
    from rosengine.clients.fc import FcClient


_CONFIG_PROPERTIES = (
    "Description",
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Initializer",
    "InitializationTimeout",
    "InstanceConcurrency",
    "InstanceSoftConcurrency",
    "InstanceType",
    "EnvironmentVariables",
    "CAPort",
    "CustomContainerConfig",
    "CustomRuntimeConfig",
    "CustomHealthCheckConfig",
    "Cpu",
    "DiskSize",
    "GpuMemorySize",
    "InstanceLifecycleConfig",
    "CustomDNS",
    "Layers",
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


def _attributes(
    ctx: ProviderContext, service: str, data: dict[str, Any], service_id: str | None
) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/function.json."""
    name = str(data.get("functionName"))
    return {
        "FunctionId": data.get("functionId"),
        "FunctionName": name,
        "ServiceName": service,
        "ServiceId": data.get("serviceId") or service_id,
        "ARN": function_arn(ctx, service, name),
    }


@dataclass(frozen=True)
class _StandIn:
    code: dict[str, Any]
    properties: dict[str, Any]  # without a CustomRuntimeConfig: the stand-in's bootstrap serves
    note: str


def _stand_in_for_missing_code(
    ctx: ProviderContext, service: str, name: str, code: dict[str, Any] | None, properties: dict[str, Any]
) -> _StandIn | None:
    """Placeholder code when the user asked for placeholders and the function's OSS code package
    is not in the local object store (see :mod:`resource_types.fc.placeholder_code`)."""
    if not ctx.placeholders or not code or "ossBucketName" not in code:
        return None
    bucket, key = str(code["ossBucketName"]), str(code["ossObjectName"])
    if _object_exists(ctx, bucket, key):
        return None
    note = missing_code_message(service, name, bucket, key)
    runtime = str(properties.get("Runtime") or "")
    ca_port = int(properties.get("CAPort") or 9000)
    handler = str(properties.get("Handler") or "")
    kept = {k: v for k, v in properties.items() if k != "CustomRuntimeConfig"}
    stand_in = placeholder_code(runtime, handler, note, ca_port)
    if stand_in is None and runtime != "custom-container":
        # Java, Go, .NET, PHP: no few-line handler in their language; a custom runtime's
        # bootstrap answers for them (the function is a placeholder: nothing of its own runs).
        stand_in = placeholder_code("custom", handler, note, ca_port)
        kept["Runtime"] = "custom"
        note = f"{note} (its {runtime} runtime stood in for by a custom runtime)"
    if stand_in is None:
        return None
    return _StandIn(stand_in, kept, note)


def _object_exists(ctx: ProviderContext, bucket: str, key: str) -> bool:
    from rosengine.clients.oss import OssApiError  # the OSS client only when a package is asked about

    try:
        return ctx.client("oss").head_object(bucket, key) is not None
    except OssApiError as exc:
        if exc.status == 404:  # NoSuchBucket: the bucket is not here either
            return False
        raise


def _service_id(client: FcClient, service: str) -> str | None:
    """FC's function object does not carry its service's id; GetAtt ServiceId needs it."""
    data = lookup(lambda: client.get_service(service))
    return None if data is None else data.get("serviceId")


def _async_config(properties: dict[str, Any]) -> dict[str, Any] | None:
    cfg = properties.get("AsyncConfiguration")
    if not cfg:
        return None
    destination = cfg.get("Destination") or {}
    body: dict[str, Any] = {}
    if destination:
        body["destinationConfig"] = drop_none(
            {
                "onSuccess": {"destination": destination["OnSuccess"]}
                if destination.get("OnSuccess")
                else None,
                "onFailure": {"destination": destination["OnFailure"]}
                if destination.get("OnFailure")
                else None,
            }
        )
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
        client = ctx.client("fc")
        service, name = str(properties["ServiceName"]), str(properties["FunctionName"])
        try:
            code = code_to_api(properties.get("Code"), properties.get("Runtime"), ctx)
        except ProviderError as exc:
            raise ProviderError(f"function {service}/{name}: {exc.message}", code=exc.code) from exc
        stand_in = _stand_in_for_missing_code(ctx, service, name, code, properties)
        if stand_in is not None:
            code, properties = stand_in.code, stand_in.properties
        if code is None and properties.get("Runtime") != "custom-container":
            raise ProviderError(
                f"function {service}/{name}: Code is required unless Runtime is custom-container",
                code="InvalidArgument",
            )
        with fc_errors(f"creating function {service}/{name}"):
            data = client.create_function(service, name, code=code, **_config(properties))
            async_cfg = _async_config(properties)
            if async_cfg:
                client.put_async_invoke_config(service, name, async_cfg, qualifier="LATEST")
            service_id = _service_id(client, service)
        return ProviderResult(
            physical_id=f"{service}|{name}",
            attributes=_attributes(ctx, service, data, service_id),
            note=stand_in.note if stand_in else "",
            placeholder=stand_in is not None,
        )

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        client = ctx.client("fc")
        service, name = split_id(physical_id, 2, self.type_name)
        code = None
        # Code is sent again when it changed, and always for LocalPath: the files on disk may have
        # changed while the property did not.
        new_code = properties.get("Code") or {}
        stand_in = None
        if new_code != previous_properties.get("Code") or new_code.get("LocalPath") or ctx.placeholders:
            code = code_to_api(properties.get("Code"), properties.get("Runtime"), ctx)
            stand_in = _stand_in_for_missing_code(ctx, service, name, code, properties)
            if stand_in is not None:
                code, properties = stand_in.code, stand_in.properties
        # A property taken out of the template goes back to its schema default (FC's), since the
        # update API keeps whatever is not sent.
        config = _config(self.properties_after_update(properties, previous_properties))
        with fc_errors(f"updating function {service}/{name}"):
            data = client.update_function(service, name, code=code, **config)
            new_async, old_async = _async_config(properties), _async_config(previous_properties)
            if new_async != old_async:
                if new_async:
                    client.put_async_invoke_config(service, name, new_async, qualifier="LATEST")
                else:
                    lookup(lambda: client.delete_async_invoke_config(service, name, qualifier="LATEST"))
        service_id = previous_attributes.get("ServiceId") or _service_id(client, service)
        return ProviderResult(
            physical_id=physical_id,
            attributes=_attributes(ctx, service, data, service_id),
            note=stand_in.note if stand_in else "",
            placeholder=stand_in is not None,
        )

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        service, name = split_id(physical_id, 2, self.type_name)
        client = ctx.client("fc")
        if properties.get("AsyncConfiguration"):
            with fc_errors(f"deleting the async config of {service}/{name}"):
                lookup(lambda: client.delete_async_invoke_config(service, name, qualifier="LATEST"))
        delete_ignoring_missing(
            f"deleting function {service}/{name}",
            lambda: client.delete_function(service, name),
            ctx,
            retry_codes=frozenset({"FunctionNotEmpty"}),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Attributes; with an empty ``physical_id`` the function is looked up by its properties."""
        if physical_id:
            service, name = split_id(physical_id, 2, self.type_name)
        else:
            service, name = (
                str(properties.get("ServiceName") or ""),
                str(properties.get("FunctionName") or ""),
            )
            if not (service and name):
                return None
        client = ctx.client("fc")
        data = lookup(lambda: client.get_function(service, name))
        if data is None:
            return None
        attributes = _attributes(ctx, service, data, _service_id(client, service))
        return read_answer(physical_id, f"{service}|{name}", attributes)
