"""ALIYUN::FC3::Function → CreateFunction / UpdateFunction / DeleteFunction.

Physical id (``Ref``): the function name. Attributes: ``ARN``, ``FunctionId``, ``FunctionName``.
``Code`` as ROS documents it (ZipFile, SourceCode — written to ``index.<ext>`` and zipped, so
``index.handler`` works —, OssBucketName + OssObjectName, and our LocalPath extension), shared
with the FC 2.0 provider (``resource_types.fc.fc_api.code_to_api``). ``SessionAffinityConfig``
is sent as the JSON string the API takes. ``Tags`` go with the create; an update changes them
through the tag API (TagResources / UntagResources), as UpdateFunction takes no tags.

Update: the API keeps what an update does not send, so a property removed from the template is
sent back at its schema default, FC's (memory 512 MB, timeout 3 s, no environment, no layers, ...);
``Cpu`` has none: left out, the backend derives it from the memory again.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider, read_answer
from resource_types.fc.fc_api import code_to_api, delete_ignoring_missing, fc_errors, lookup
from resource_types.fc3.fc3_api import function_arn, json_text, to_api

_CONFIG = (
    "Handler",
    "Runtime",
    "Cpu",
    "MemorySize",
    "Timeout",
    "DiskSize",
    "InstanceConcurrency",
    "InstanceIsolationMode",
    "SessionAffinity",
    "DisableOndemand",
    "EnvironmentVariables",
    "Description",
    "Role",
    "InternetAccess",
    "Layers",
    "LogConfig",
    "NasConfig",
    "OssMountConfig",
    "VpcConfig",
    "TracingConfig",
    "CustomDns",
    "CustomRuntimeConfig",
    "CustomContainerConfig",
    "GpuConfig",
    "InstanceLifecycleConfig",
)
# Output-only members ROS lists inside CustomContainerConfig; the API computes them.
_CONTAINER_OUTPUTS = ("resolvedImageUri", "accelerationInfo")


def _config(properties: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _CONFIG:
        if properties.get(name) is not None:
            key = "customDNS" if name == "CustomDns" else name[:1].lower() + name[1:]
            out[key] = to_api(properties[name], key=name)
    container = out.get("customContainerConfig")
    if isinstance(container, dict):
        for key in _CONTAINER_OUTPUTS:
            container.pop(key, None)
    if properties.get("SessionAffinityConfig") is not None:
        out["sessionAffinityConfig"] = json_text(properties["SessionAffinityConfig"])
    return out


def _tags(properties: dict[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value") or "") for t in properties.get("Tags") or []}


def _attributes(ctx: ProviderContext, data: dict[str, Any]) -> dict[str, Any]:
    """Exactly the Fn::GetAtt attributes of resource_types/fc/fc3_function.json."""
    name = str(data.get("functionName"))
    return {
        "ARN": data.get("functionArn") or function_arn(ctx, name),
        "FunctionId": data.get("functionId"),
        "FunctionName": name,
    }


class Fc3FunctionProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::Function"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = str(properties["FunctionName"])
        runtime = properties.get("Runtime")
        code = code_to_api(properties.get("Code"), runtime, ctx)
        if code is None and runtime != "custom-container":
            raise ProviderError(
                f"function {name}: Code is required unless Runtime is custom-container",
                code="InvalidArgument",
            )
        body = _config(properties)
        if code is not None:
            body["code"] = code
        tags = _tags(properties)
        if tags:
            body["tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        with fc_errors(f"creating function {name}"):
            data = ctx.client("fc3").create_function(name, **body)
        return ProviderResult(name, _attributes(ctx, data))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        fc3 = ctx.client("fc3")
        config = _config(self.properties_after_update(properties, previous_properties))
        new_code = properties.get("Code") or {}
        if new_code != (previous_properties.get("Code") or {}) or new_code.get("LocalPath"):
            code = code_to_api(properties.get("Code"), properties.get("Runtime"), ctx)
            if code is not None:
                config["code"] = code
        with fc_errors(f"updating function {physical_id}"):
            data = fc3.update_function(physical_id, **config)
            arn = data.get("functionArn") or function_arn(ctx, physical_id)
            new_tags, old_tags = _tags(properties), _tags(previous_properties)
            removed = [k for k in old_tags if k not in new_tags]
            if removed:
                fc3.untag_function(arn, removed)
            if new_tags and new_tags != old_tags:
                fc3.tag_function(arn, new_tags)
        return ProviderResult(physical_id, _attributes(ctx, data))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting function {physical_id}",
            lambda: fc3.delete_function(physical_id),
            ctx,
            retry_codes=frozenset({"FunctionNotEmpty"}),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        name = physical_id or str(properties.get("FunctionName") or "")
        if not name:
            return None
        data = lookup(lambda: ctx.client("fc3").get_function(name))
        if data is None:
            return None
        attributes = _attributes(ctx, data)
        return read_answer(physical_id, name, attributes)
