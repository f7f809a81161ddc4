"""ALIYUN::RAM::AccessKey provider: an access key pair of a RAM user
(https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-ram-accesskey).

The physical id is the AccessKeyId; the secret is only known at creation (RAM never shows it
again), so it lives in the resource's attributes (``AccessKeySecret``) from then on.
"""

from __future__ import annotations

from typing import Any

from resource_types.base import ProviderContext, ProviderResult, ResourceProvider
from resource_types.ram.ram_api import ignoring_missing, ram_errors


class AccessKeyProvider(ResourceProvider):
    type_name = "ALIYUN::RAM::AccessKey"

    def create(self, ctx: ProviderContext, properties: dict[str, Any]) -> ProviderResult:
        user = str(properties["UserName"])
        with ram_errors(f"creating an access key of user {user}"):
            key = ctx.client("ram").create_access_key(user)
        return ProviderResult(
            physical_id=key["AccessKeyId"],
            attributes={
                "AccessKeyId": key["AccessKeyId"],
                "AccessKeySecret": key["AccessKeySecret"],
                "Status": key["Status"],
            },
        )

    def update(
        self,
        ctx: ProviderContext,
        physical_id: str,
        properties: dict[str, Any],
        previous_properties: dict[str, Any],
        previous_attributes: dict[str, Any],
    ) -> ProviderResult:
        # UserName is the only property and it is create-only: nothing to change in place.
        return ProviderResult(physical_id=physical_id, attributes=dict(previous_attributes))

    def delete(self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]) -> None:
        user = str(properties["UserName"])
        with ram_errors(f"deleting access key {physical_id} of user {user}"):
            ignoring_missing(ctx.client("ram").delete_access_key, user, physical_id)

    def read(
        self, ctx: ProviderContext, physical_id: str, properties: dict[str, Any]
    ) -> dict[str, Any] | None:
        user = str(properties.get("UserName") or "")
        if not physical_id or not user:
            return None
        keys = ignoring_missing(ctx.client("ram").list_access_keys, user) or []
        for key in keys:
            if key["AccessKeyId"] == physical_id:
                return {"AccessKeyId": physical_id, "Status": key["Status"]}
        return None
