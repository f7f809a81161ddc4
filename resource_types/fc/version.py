"""ALIYUN::FC::Version provider (docs/reference/fc-resource-types.md#version,
docs/reference/fc-api.md#versions-and-aliases).

Publishing snapshots the service and all its functions. Every property is create-only, so the
engine replaces (publishes anew) instead of updating. Physical id: ``<service>|<versionId>``.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.fc.fc_api import delete_ignoring_missing, fc_errors, split_id


class VersionProvider(ResourceProvider):
    type_name = "ALIYUN::FC::Version"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        service = str(properties["ServiceName"])
        with fc_errors(f"publishing a version of service {service}"):
            data = ctx.client("fc").publish_version(service, description=properties.get("Description"))
        version = str(data.get("versionId"))
        return ProviderResult(f"{service}|{version}", {"VersionId": version, "ServiceName": service})

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        """Never reached for a real change (every property is create-only)."""
        return ProviderResult(physical_id, dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        service, version = split_id(physical_id, 2, self.type_name)
        client = ctx.client("fc")
        # Aliases of the same stack pointing at this version may be deleted in parallel.
        delete_ignoring_missing(
            f"deleting version {version} of service {service}",
            lambda: client.delete_version(service, version),
            ctx,
            retry_codes=frozenset({"VersionReferencedByAlias"}),
        )

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        if not physical_id:
            return None
        service, version = split_id(physical_id, 2, self.type_name)
        with fc_errors(f"listing versions of service {service}"):
            from rosengine.clients.fc import FcNotFound

            try:
                versions = ctx.client("fc").list_versions(service)
            except FcNotFound:
                return None
        if not any(str(v.get("versionId")) == version for v in versions):
            return None
        return {"VersionId": version, "ServiceName": service}
