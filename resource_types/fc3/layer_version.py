"""ALIYUN::FC3::LayerVersion → CreateLayerVersion (+ PutLayerACL).

``Ref`` is the layer version ARN (what a function's ``Layers`` lists). Only ``Acl`` (``"1"``
public, ``"0"`` private) can change in place; it applies to every version of the layer, as the
API's ACL does. ``Code`` is packaged as for functions (ZipFile, OSS pair, LocalPath).
"""

from __future__ import annotations

import re
from typing import Any

from resource_types.base import ProviderContext, ProviderError, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import code_to_api, delete_ignoring_missing, fc_errors, lookup
from resource_types.fc3.fc3_api import drop_none

_ARN = re.compile(r"layers/(?P<name>[^/]+)/versions/(?P<version>\d+)$")


def _attributes(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "Acl": str(data.get("acl", "0")),
        "CodeSize": data.get("codeSize"),
        "CompatibleRuntime": data.get("compatibleRuntime") or [],
        "CreateTime": data.get("createTime"),
        "Description": data.get("description", ""),
        "LayerName": data.get("layerName"),
        "LayerVersionArn": data.get("layerVersionArn"),
        "License": data.get("license", ""),
        "Version": data.get("version"),
    }


def _split(arn: str) -> tuple[str, str]:
    match = _ARN.search(arn)
    if match is None:
        raise ProviderError(f"malformed physical id {arn!r} for ALIYUN::FC3::LayerVersion")
    return match["name"], match["version"]


class Fc3LayerVersionProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::LayerVersion"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        name = str(properties["LayerName"])
        code = code_to_api(properties.get("Code"), None, ctx)
        if code is None:
            raise ProviderError(f"layer {name}: Code is required", code="InvalidArgument")
        body = drop_none(
            {
                "code": code,
                "compatibleRuntime": properties.get("CompatibleRuntime"),
                "description": properties.get("Description"),
                "license": properties.get("License"),
            }
        )
        fc3 = ctx.client("fc3")
        with fc_errors(f"publishing a version of layer {name}"):
            data = fc3.create_layer_version(name, **body)
            if properties.get("Acl") is not None and str(properties["Acl"]) != str(data.get("acl", "0")):
                fc3.put_layer_acl(name, str(properties["Acl"]) == "1")
                data = fc3.get_layer_version(name, data["version"])
        return ProviderResult(str(data["layerVersionArn"]), _attributes(data))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        name, version = _split(physical_id)
        fc3 = ctx.client("fc3")
        with fc_errors(f"updating layer {name}"):
            fc3.put_layer_acl(name, str(properties.get("Acl") or "0") == "1")
            data = fc3.get_layer_version(name, version)
        return ProviderResult(physical_id, _attributes(data))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        name, version = _split(physical_id)
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting layer {name} version {version}", lambda: fc3.delete_layer_version(name, version), ctx
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if not physical_id:
            return None
        data = lookup(lambda: ctx.client("fc3").get_layer_version_by_arn(physical_id))
        return None if data is None else _attributes(data)
