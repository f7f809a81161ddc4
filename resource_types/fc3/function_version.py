"""ALIYUN::FC3::FunctionVersion → PublishFunctionVersion / DeleteFunctionVersion.

``Ref`` is the version id (UNCONFIRMED in ROS's docs; it is what a trigger's or invoker's
``Qualifier`` needs). Both properties are create-only: a change publishes a new version (the
engine replaces the resource). Deleting a version an alias still uses fails with the API's
``VersionReferencedByAlias``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors, lookup


def _attributes(function: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "FunctionName": function,
        "Description": data.get("description", ""),
        "CreateTime": data.get("createdTime"),
        "LastModifiedTime": data.get("lastModifiedTime"),
        "VersionId": str(data.get("versionId")),
    }


class Fc3FunctionVersionProvider(ResourceProvider):
    type_name = "ALIYUN::FC3::FunctionVersion"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        function = str(properties["FunctionName"])
        with fc_errors(f"publishing a version of function {function}"):
            data = ctx.client("fc3").publish_version(function, properties.get("Description"))
        return ProviderResult(str(data["versionId"]), _attributes(function, data))

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Nothing is updatable in place (every property is create-only)."""
        return ProviderResult(physical_id, dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        function = str(properties["FunctionName"])
        fc3 = ctx.client("fc3")
        delete_ignoring_missing(
            f"deleting version {physical_id} of function {function}",
            lambda: fc3.delete_version(function, physical_id),
            ctx,
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        function = str(properties.get("FunctionName") or "")
        if not (function and physical_id):
            return None
        versions = lookup(lambda: ctx.client("fc3").list_versions(function))
        if versions is None:
            return None
        found = next((v for v in versions if str(v.get("versionId")) == physical_id), None)
        return None if found is None else _attributes(function, found)
